#pragma once

// The ACME client's HTTPS: one request per connection (Connection: close) to the CA, under
// one deadline, TLS 1.2+ verified against the CA file or the system store, bodies up to 1 MiB,
// and the headers ACME uses. Private to mtasts::net.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"

namespace mtasts::net::acme {

using Clock = std::chrono::steady_clock;

inline constexpr std::size_t kMaxResponseBody = 1024 * 1024;

enum class Method { get, head, post };

struct HttpRequest {
  Method method = Method::get;
  std::string url;
  std::string body;          // POST only
  std::string content_type;  // POST only
  std::string accept;        // empty: none
};

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string location;
  std::string replay_nonce;
  std::string retry_after;
  std::vector<std::string> links;  // every Link field value
};

class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor executor, DnsResolver& resolver,
             boost::asio::ssl::context context);

  // Sends `request` and reads the whole answer by `deadline`. Any status is a reply; only a
  // failure to get one is an error (AcmeErrc::transport, or timeout).
  boost::asio::awaitable<AcmeResult<HttpReply>> send(HttpRequest request,
                                                     Clock::time_point deadline);

 private:
  boost::asio::any_io_executor executor_;
  DnsResolver& resolver_;
  boost::asio::ssl::context context_;
};

}  // namespace mtasts::net::acme

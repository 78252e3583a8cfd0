#pragma once

// The ACME client's HTTPS, over net's HttpClient: one request per connection to the CA, under
// one deadline, TLS 1.2+ verified against the CA file or the system store, bodies up to 1 MiB,
// and the headers ACME uses. Private to mtasts::net.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/http/http_client.hpp"

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

// The HttpClient options of the ACME client: its User-Agent and kMaxResponseBody.
[[nodiscard]] HttpClientOptions ca_client_options(std::optional<std::string> ca_file);

class CaTransport {
 public:
  explicit CaTransport(HttpClient client) : client_(std::move(client)) {}

  // Sends `request` and reads the whole answer by `deadline`. Any status is a reply; only a
  // failure to get one is an error: AcmeErrc::timeout when the deadline passed,
  // AcmeErrc::protocol for an answer over kMaxResponseBody or a URL that is not https,
  // AcmeErrc::transport otherwise.
  boost::asio::awaitable<AcmeResult<HttpReply>> send(HttpRequest request,
                                                     Clock::time_point deadline);

 private:
  HttpClient client_;
};

}  // namespace mtasts::net::acme

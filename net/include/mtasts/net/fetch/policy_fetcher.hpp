#pragma once

// Retrieval of a policy body over HTTPS (RFC 8461 §3.3), and the PolicyFetcher interface: the
// seam tests replace. What happened on the wire is kept so `mtasts resolve` can explain it.

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mtasts/net/fetch/fetch_outcome.hpp"

namespace mtasts::net {

struct CertificateInfo {
  std::string subject;                 // RFC 2253 form, e.g. "CN=mta-sts.example.com"
  std::string issuer;                  // RFC 2253 form
  std::vector<std::string> dns_names;  // subjectAltName DNS-IDs, as written
  std::string not_before;              // ISO 8601 UTC, e.g. "2024-01-31T00:00:00Z"
  std::string not_after;               // ISO 8601 UTC
};

// The HTTPS exchange as far as it went.
struct HttpExchange {
  std::string url;          // https://mta-sts.<domain>/.well-known/mta-sts.txt
  std::string proxy;        // "host:port" of the CONNECT proxy, empty without one
  std::string peer;         // "address:port" the TCP connection was made to
  std::string tls_version;  // e.g. "TLSv1.3"; empty if the handshake failed
  std::string tls_cipher;   // e.g. "TLS_AES_256_GCM_SHA384"
  std::optional<CertificateInfo> certificate;  // the leaf, even when it failed validation
  long verify_result = 0;                      // OpenSSL X509_V_* code (0: X509_V_OK)
  std::optional<unsigned> status;              // HTTP status, once a header arrived
  std::string reason;                          // HTTP reason phrase
  std::vector<std::pair<std::string, std::string>> headers;  // response header fields
  std::size_t bytes_received = 0;  // HTTP bytes read from the connection, header included
};

struct FetchResult {
  // ok: `body` holds a complete 200 text/plain response of at most 64 KiB, not yet parsed.
  // Otherwise the detail of the first failure; never parse.
  FetchDetail detail = FetchDetail::ok;
  std::string message;  // for a failure: what happened, for a person
  HttpExchange exchange;
  std::string body;
};

// Fetches https://mta-sts.<policy_domain>/.well-known/mta-sts.txt. Implementations never
// follow redirects, never cache, never throw, and complete within their configured deadline.
// `policy_domain` is a normalised domain (lowercase A-labels, no trailing dot). The fetcher
// must outlive the fetches it runs.
class PolicyFetcher {
 public:
  virtual ~PolicyFetcher() = default;
  virtual boost::asio::awaitable<FetchResult> fetch(std::string policy_domain) = 0;
};

}  // namespace mtasts::net

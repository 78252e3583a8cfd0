#pragma once

// The production PolicyFetcher: Beast HTTP/1.1 over OpenSSL, on the caller's event loop.
//
// What it does (RFC 8461 §3.3, CONFORMANCE 028-035, 056, 059, 062):
//   - SNI and the certificate check name the Policy Host; DNS-IDs only (no CN fallback), a
//     wildcard only as the whole left-most label; PKIX against the system store (which
//     honours SSL_CERT_FILE / SSL_CERT_DIR) or a CA file that replaces it; TLS 1.2 or later.
//   - One GET with Connection: close and no conditional headers; 3xx is a failure, never
//     followed; only 200 is accepted; the media type must be text/plain (parameters ignored).
//   - At most 64 KiB of body, whether or not Content-Length is sent; a declared length over
//     the limit ends the fetch before any body is read.
//   - One deadline for everything: name lookup, connect, proxy, handshake, request, response.
//   - At most FetchOptions::max_concurrent fetches at once, if set; the others wait their turn.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"

namespace mtasts::net {

// An HTTP proxy that tunnels HTTPS with CONNECT (RFC 9110 §9.3.6).
struct ProxyConfig {
  std::string host;  // IP address or name
  std::uint16_t port = 3128;
  std::vector<std::string> no_proxy;  // domain suffixes reached directly; "*" for all
};

// Parses "http://HOST[:PORT][/]" or "HOST[:PORT]" (IPv6 in brackets). Only the http scheme is
// accepted: the tunnel carries TLS end to end, the proxy leg itself is not encrypted.
// Errors: Errc::invalid_value naming the problem.
[[nodiscard]] core::Result<ProxyConfig> parse_proxy_url(std::string_view url);

// The proxy named by https_proxy (or HTTPS_PROXY), with no_proxy (or NO_PROXY) as a
// comma-separated list; nullopt when none is set. Errors: as parse_proxy_url.
[[nodiscard]] core::Result<std::optional<ProxyConfig>> proxy_from_environment();

// True when `host` must be reached through `proxy` (it matches no no_proxy entry).
[[nodiscard]] bool use_proxy_for(const ProxyConfig& proxy, std::string_view host);

enum class CertificateDetail {
  describe,  // fill HttpExchange::certificate
  skip,      // leave it empty
};

struct FetchOptions {
  std::chrono::milliseconds timeout{10'000};  // the whole fetch (RFC suggests one minute)
  std::optional<std::string> ca_file;         // PEM bundle that replaces the system store
  std::optional<ProxyConfig> proxy;
  std::uint16_t port = 443;  // RFC 8461 uses 443; another port only serves test worlds
  // Fetches running at once; more wait in line, first come first served, and a fetch's
  // deadline starts when it runs. Each holds about 100 KiB of TLS buffers (Asio's four
  // 17 KiB buffers, OpenSSL's), so a limit bounds the memory a burst of discoveries takes.
  // 0: no limit.
  std::size_t max_concurrent = 0;
  // Threads of the fetcher's own that run the connection, TLS handshake and HTTP exchange:
  // the CPU of a fetch (certificate parsing and verification, key exchange) then leaves the
  // caller's loop and uses other cores. DNS lookups stay on the caller's executor (the
  // resolver is not thread-safe) and results are delivered there. 0: everything on the
  // caller's executor.
  std::size_t threads = 0;
  // Whether FetchResult::exchange.certificate describes the policy host's certificate
  // (`mtasts resolve` shows it; the daemon does not need it and saves the work).
  CertificateDetail certificate = CertificateDetail::describe;
};

// The User-Agent sent with every fetch: "mtasts/<version> (+MTA-STS policy fetcher)".
[[nodiscard]] std::string_view user_agent();

// Makes a fetcher that resolves host names with `resolver` (which must outlive it) and runs
// on `executor` (and on its own threads, FetchOptions::threads). Destroying it stops its
// threads: fetches still running there never complete, so destroy it only once no coroutine
// awaits a fetch (after the executor's loop stopped). Errors: Errc::io when the CA file cannot
// be read or holds no certificate, Errc::system when the TLS context cannot be set up.
[[nodiscard]] core::Result<std::unique_ptr<PolicyFetcher>> make_https_fetcher(
    boost::asio::any_io_executor executor, DnsResolver& resolver, FetchOptions options);

}  // namespace mtasts::net

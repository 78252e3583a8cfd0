#pragma once

// A client connection's first steps under its one deadline: the addresses of the host, then
// the TCP connection. Shared by the policy fetcher, the SMTP probe and the HTTP client.
// Private to mtasts::net.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"

namespace mtasts::net {

enum class LookupEnd {
  found,     // `endpoints` holds what the answer had (possibly none that parse)
  failed,    // the resolver answered without an address: `status`, `reason`
  deadline,  // the deadline passed first
};

struct AddressLookup {
  LookupEnd end = LookupEnd::failed;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  DnsStatus status = DnsStatus::ok;
  std::string reason;  // failed: the resolver's message, or "no A or AAAA record (<status>)"
};

// An IP address literal as it is, else the A and AAAA records of `host` from `resolver`, all
// with `port`; the query is abandoned when `deadline` passes. Runs on the caller's executor.
boost::asio::awaitable<AddressLookup> lookup_addresses(
    DnsResolver& resolver, std::string host, std::uint16_t port,
    std::chrono::steady_clock::time_point deadline);

enum class ConnectEnd {
  connected,  // `peer` answered
  deadline,   // the deadline passed first
  failed,     // no endpoint took the connection: `error`
};

struct ConnectOutcome {
  ConnectEnd end = ConnectEnd::failed;
  boost::asio::ip::tcp::endpoint peer;
  std::string error;  // failed: the system's reason for the last endpoint tried
};

// Sets `deadline` on `stream` for every operation from here on (the layers above it included)
// and connects to the first of `endpoints` that answers.
boost::asio::awaitable<ConnectOutcome> connect_endpoints(
    boost::beast::tcp_stream& stream, const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
    std::chrono::steady_clock::time_point deadline);

// What went wrong, for a person: "the deadline passed while connecting" or
// "cannot connect to <target>: <reason>".
[[nodiscard]] std::string connect_failure_text(const ConnectOutcome& outcome,
                                               const std::string& target);

// A client TLS context set up by configure_client_context (runtime/tls_client.hpp).
// Errors: as configure_client_context, or Errc::invalid_value when the library fails.
[[nodiscard]] core::Result<boost::asio::ssl::context> make_client_context(
    const std::optional<std::string>& ca_file);

// "host:port", with brackets around an IPv6 address.
[[nodiscard]] std::string host_port_text(const std::string& host, std::uint16_t port);

}  // namespace mtasts::net

#pragma once

// The production DnsResolver: c-ares queries driven by the Asio event loop, answers decoded
// by dns_message.hpp so TTLs (negative ones too) survive.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"

namespace mtasts::net {

struct DnsServer {
  std::string host;  // an IP address, or a name resolved once when the resolver is made
  std::uint16_t port = 53;
};

// Parses "HOST", "HOST:PORT", "[IPV6]", "[IPV6]:PORT" or a bare IPv6 address.
// Errors: Errc::invalid_value naming the problem (empty host, bad port, unclosed bracket).
[[nodiscard]] core::Result<DnsServer> parse_dns_server(std::string_view text);

struct DnsOptions {
  std::vector<DnsServer> servers;  // empty: the system configuration (/etc/resolv.conf)
  // Bound on each query, retries and servers included; a query that exceeds it ends with
  // DnsStatus::timeout. A CNAME re-query is a new query with its own bound.
  std::chrono::milliseconds timeout{10'000};
};

// Makes a resolver whose sockets and timers run on `executor`. The resolver must be destroyed
// before the executor's execution context. Server names are resolved here, blocking, once.
// Errors: Errc::connect when a server name does not resolve, Errc::system when c-ares cannot
// be set up (unreadable resolver configuration, out of memory).
[[nodiscard]] core::Result<std::unique_ptr<DnsResolver>> make_ares_resolver(
    boost::asio::any_io_executor executor, const DnsOptions& options);

}  // namespace mtasts::net

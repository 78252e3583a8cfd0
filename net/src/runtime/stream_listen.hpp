#pragma once

// Listening sockets of the servers that accept on a generic stream acceptor (the socketmap
// server, the SMTP/LMTP server): a TCP address (every interface when the host is empty: IPv6
// with IPv4 mapped, else IPv4) or a UNIX socket path (a stale socket removed, a mode set).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "mtasts/core/base/result.hpp"

namespace mtasts::net::detail {

using StreamAcceptor = boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol>;

enum class ReusePortOption { off, on };

// Opens, binds and listens `acceptor` (not yet open) on host:port; returns the bound port.
// Errors: Errc::invalid_value "cannot listen on HOST:PORT: <reason>" (or the resolution's).
[[nodiscard]] core::Result<std::uint16_t> listen_stream_tcp(StreamAcceptor& acceptor,
                                                            const std::string& host,
                                                            std::uint16_t port,
                                                            ReusePortOption reuse);

// Opens, binds and listens `acceptor` (not yet open) on the UNIX socket `path`, then sets its
// mode. Errors: Errc::invalid_value naming the path and the reason.
[[nodiscard]] core::Result<void> listen_stream_unix(StreamAcceptor& acceptor,
                                                    const std::string& path,
                                                    std::optional<std::uint32_t> mode);

}  // namespace mtasts::net::detail

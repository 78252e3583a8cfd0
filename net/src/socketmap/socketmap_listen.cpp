// The listeners of SocketmapServer: TCP (with SO_REUSEPORT) and UNIX sockets, and the
// server's metrics.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cerrno>
#include <cstring>

#include "mtasts/core/base/prometheus_text.hpp"
#include "socketmap/socketmap_server_state.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using detail::Listener;
using detail::Protocol;

core::Error system_error(const std::string& what, const boost::system::error_code& ec) {
  return core::Error{core::Errc::invalid_value, what + ": " + ec.message()};
}

std::uint16_t bound_port(asio::basic_socket_acceptor<Protocol>& acceptor) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(acceptor.native_handle(), reinterpret_cast<sockaddr*>(&storage), &length) !=
      0) {
    return 0;
  }
  if (storage.ss_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, &storage, sizeof in);
    return ntohs(in.sin_port);
  }
  if (storage.ss_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &storage, sizeof in6);
    return ntohs(in6.sin6_port);
  }
  return 0;
}

core::Result<asio::ip::tcp::endpoint> tcp_endpoint(const asio::any_io_executor& executor,
                                                   const std::string& host, std::uint16_t port) {
  if (host.empty()) {
    return asio::ip::tcp::endpoint(asio::ip::tcp::v6(), port);
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    return asio::ip::tcp::endpoint(address, port);
  }
  asio::ip::tcp::resolver resolver(executor);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    return core::fail(core::Errc::invalid_value,
                      "cannot resolve listen host " + host + ": " + ec.message());
  }
  return results.begin()->endpoint();
}

}  // namespace

core::Result<std::uint16_t> SocketmapServer::listen_tcp(const std::string& host, std::uint16_t port,
                                                        ReusePort reuse) {
  auto endpoint = tcp_endpoint(state_->executor, host, port);
  if (!endpoint) {
    return tl::unexpected(endpoint.error());
  }
  const std::string where = (host.empty() ? std::string("*") : host) + ":" + std::to_string(port);
  auto listener = std::make_unique<Listener>(state_->executor);
  auto& acceptor = listener->acceptor;
  const Protocol::endpoint generic(*endpoint);
  boost::system::error_code ec;
  acceptor.open(generic.protocol(), ec);
  if (ec && host.empty()) {  // no IPv6: every IPv4 interface instead
    return listen_tcp("0.0.0.0", port, reuse);
  }
  if (ec) {
    return tl::unexpected(system_error("cannot listen on " + where, ec));
  }
  if (host.empty()) {
    acceptor.set_option(asio::ip::v6_only(false), ec);
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (reuse == ReusePort::on) {
    const int one = 1;
    ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  }
  acceptor.bind(generic, ec);
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return tl::unexpected(system_error("cannot listen on " + where, ec));
  }
  const std::uint16_t bound = bound_port(acceptor);
  state_->listeners.push_back(std::move(listener));
  return bound;
}

core::Result<void> SocketmapServer::listen_unix(const std::string& path,
                                                std::optional<std::uint32_t> mode) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return core::fail(core::Errc::invalid_value,
                        "cannot listen on " + path + ": the file exists and is not a socket");
    }
    ::unlink(path.c_str());  // a stale socket of an earlier run
  }
  auto listener = std::make_unique<Listener>(state_->executor);
  listener->tcp = false;
  boost::system::error_code ec;
  try {
    const Protocol::endpoint generic{asio::local::stream_protocol::endpoint(path)};
    listener->acceptor.open(generic.protocol(), ec);
    if (!ec) {
      listener->acceptor.bind(generic, ec);
    }
  } catch (const boost::system::system_error& e) {  // a path longer than sun_path
    return tl::unexpected(system_error("cannot listen on " + path, e.code()));
  }
  if (!ec) {
    listener->unix_path = path;
    listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return tl::unexpected(system_error("cannot listen on " + path, ec));
  }
  if (mode && ::chmod(path.c_str(), static_cast<mode_t>(*mode)) != 0) {
    return core::fail(core::Errc::invalid_value,
                      "cannot set the mode of " + path + ": " + std::strerror(errno));
  }
  state_->listeners.push_back(std::move(listener));
  return {};
}

std::string socketmap_metrics_text(const SocketmapServerStats& stats) {
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    std::uint64_t value;
  };
  const Family families[] = {
      {"mtasts_socketmap_connections_accepted_total", "counter", "Connections accepted.",
       stats.accepted},
      {"mtasts_socketmap_connections_rejected_total", "counter",
       "Connections closed at once: over the connection limit with every connection busy, or "
       "out of file descriptors.",
       stats.rejected},
      {"mtasts_socketmap_connections_evicted_total", "counter",
       "Idle or slow connections closed to make room for a new one at the connection limit.",
       stats.evicted},
      {"mtasts_socketmap_connections", "gauge", "Connections open now.", stats.active},
      {"mtasts_socketmap_requests_total", "counter", "Requests answered.", stats.requests},
      {"mtasts_socketmap_bad_framing_total", "counter",
       "Connections closed for a framing error or an oversize request.", stats.bad_framing},
      {"mtasts_socketmap_timeouts_total", "counter", "Connections closed by a deadline.",
       stats.timed_out},
  };
  std::string out;
  for (const Family& f : families) {
    core::append_metric_family(out, f.name, f.type, f.help);
    core::append_metric_sample(out, f.name, "", f.value);
  }
  return out;
}

}  // namespace mtasts::net

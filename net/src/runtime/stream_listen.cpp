#include "runtime/stream_listen.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cerrno>
#include <cstring>

namespace mtasts::net::detail {
namespace {

namespace asio = boost::asio;
using Protocol = asio::generic::stream_protocol;

core::Error system_error(const std::string& what, const boost::system::error_code& ec) {
  return core::Error{core::Errc::invalid_value, what + ": " + ec.message()};
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
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

core::Result<std::uint16_t> listen_stream_tcp(StreamAcceptor& acceptor, const std::string& host,
                                              std::uint16_t port, ReusePortOption reuse) {
  auto endpoint = tcp_endpoint(acceptor.get_executor(), host, port);
  if (!endpoint) {
    return tl::unexpected(endpoint.error());
  }
  const std::string where = (host.empty() ? std::string("*") : host) + ":" + std::to_string(port);
  const Protocol::endpoint generic(*endpoint);
  boost::system::error_code ec;
  acceptor.open(generic.protocol(), ec);
  if (ec && host.empty()) {  // no IPv6: every IPv4 interface instead
    return listen_stream_tcp(acceptor, "0.0.0.0", port, reuse);
  }
  if (ec) {
    return tl::unexpected(system_error("cannot listen on " + where, ec));
  }
  if (host.empty()) {
    acceptor.set_option(asio::ip::v6_only(false), ec);
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (reuse == ReusePortOption::on) {
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
  return bound_port(acceptor.native_handle());
}

core::Result<void> listen_stream_unix(StreamAcceptor& acceptor, const std::string& path,
                                      std::optional<std::uint32_t> mode) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return core::fail(core::Errc::invalid_value,
                        "cannot listen on " + path + ": the file exists and is not a socket");
    }
    ::unlink(path.c_str());  // a stale socket of an earlier run
  }
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return core::fail(core::Errc::invalid_value, "cannot listen on " + path + ": path too long");
  }
  boost::system::error_code ec;
  const Protocol::endpoint generic{asio::local::stream_protocol::endpoint(path)};
  acceptor.open(generic.protocol(), ec);
  if (!ec) {
    acceptor.bind(generic, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return tl::unexpected(system_error("cannot listen on " + path, ec));
  }
  if (mode && ::chmod(path.c_str(), static_cast<mode_t>(*mode)) != 0) {
    return core::fail(core::Errc::invalid_value,
                      "cannot set the mode of " + path + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace mtasts::net::detail

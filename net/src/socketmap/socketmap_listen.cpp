// The listeners of SocketmapServer: TCP (with SO_REUSEPORT) and UNIX sockets, and the
// server's metrics.

#include "mtasts/core/base/prometheus_text.hpp"
#include "runtime/stream_listen.hpp"
#include "socketmap/socketmap_server_state.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using detail::Listener;
using detail::Protocol;

}  // namespace

core::Result<std::uint16_t> SocketmapServer::listen_tcp(const std::string& host, std::uint16_t port,
                                                        ReusePort reuse) {
  auto listener = std::make_unique<Listener>(state_->executor);
  auto bound = detail::listen_stream_tcp(
      listener->acceptor, host, port,
      reuse == ReusePort::on ? detail::ReusePortOption::on : detail::ReusePortOption::off);
  if (bound) {
    state_->listeners.push_back(std::move(listener));
  }
  return bound;
}

core::Result<void> SocketmapServer::listen_unix(const std::string& path,
                                                std::optional<std::uint32_t> mode) {
  auto listener = std::make_unique<Listener>(state_->executor);
  listener->tcp = false;
  auto listening = detail::listen_stream_unix(listener->acceptor, path, mode);
  if (listening) {
    listener->unix_path = path;
    state_->listeners.push_back(std::move(listener));
  }
  return listening;
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
      {"mtasts_socketmap_memory_trims_total", "counter",
       "Times the heap was given back to the system after a crowd of connections had gone.",
       stats.memory_trims},
  };
  std::string out;
  for (const Family& f : families) {
    core::append_metric_family(out, f.name, f.type, f.help);
    core::append_metric_sample(out, f.name, "", f.value);
  }
  return out;
}

}  // namespace mtasts::net

#include "mtasts/net/runtime/stop_signals.hpp"

#include <atomic>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <memory>
#include <string>

#include "mtasts/core/base/prometheus_text.hpp"
#include "mtasts/net/runtime/sd_notify.hpp"

namespace mtasts::net {

namespace asio = boost::asio;

namespace {

// One log per process, reopened on one loop; read by the metrics servers' threads.
std::atomic<std::uint64_t> reopens_done{0};
std::atomic<std::uint64_t> reopens_failed{0};

}  // namespace

LogReopens log_reopens() {
  return {reopens_done.load(std::memory_order_relaxed),
          reopens_failed.load(std::memory_order_relaxed)};
}

std::string log_reopen_metrics_text() {
  const LogReopens reopens = log_reopens();
  std::string out;
  core::append_labelled_metric(out, "mtasts_log_reopens_total", "counter",
                               "Reopens of the log file on SIGHUP, by result.", "result",
                               {{"done", reopens.done}, {"failed", reopens.failed}});
  return out;
}

asio::awaitable<bool> await_stop_signal(asio::io_context& io, Logger& log) {
  // Shared with the second-signal handler, so that the signals stay caught between the two
  // waits: a SIGTERM in that gap must not take the default action and kill the process.
  auto signals = std::make_shared<asio::signal_set>(io, SIGTERM, SIGINT, SIGHUP);
  int signal_number = 0;
  for (;;) {
    boost::system::error_code ec;
    signal_number = co_await signals->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return false;
    }
    if (signal_number != SIGHUP) {
      break;
    }
    auto reopened = log.reopen();
    ++(reopened ? reopens_done : reopens_failed);
    if (reopened) {
      log.log(net::LogLevel::info, "log-reopen", {});
    } else {
      // Lines still go to the file open before (renamed by logrotate, say): never lost.
      log.log(net::LogLevel::error, "log-reopen-failed",
              {{"error", reopened.error().message},
               {"action",
                "still writing to the file open before; the daemon's user must be able to open "
                "the log file (logrotate: create 0640 USER GROUP, or copytruncate)"}});
    }
  }
  log.log(net::LogLevel::info, "stopping", {{"signal", signal_number}});
  net::sd_notify("STOPPING=1");
  signals->async_wait([&io, signals](boost::system::error_code ec, int) {
    if (!ec) {
      io.stop();
    }
  });
  co_return true;
}

}  // namespace mtasts::net

#include "mtasts/net/runtime/stop_signals.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <memory>
#include <string>

#include "mtasts/net/runtime/sd_notify.hpp"

namespace mtasts::net {

namespace asio = boost::asio;

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

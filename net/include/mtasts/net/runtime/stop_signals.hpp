#pragma once

// How the long-running commands (`mtasts daemon`, `mtasts host`) end: SIGTERM or SIGINT stops
// them, SIGHUP reopens the log file (after logrotate), and a second signal while they drain
// stops the event loop at once.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <string>

#include "mtasts/net/runtime/log.hpp"

namespace mtasts::net {

// Waits for SIGTERM or SIGINT, reopening `log` on every SIGHUP meanwhile; then logs
// `stopping`, tells systemd STOPPING=1, and arms the second-signal stop of `io`. Returns false
// when the wait was cancelled instead (the loop is going away).
[[nodiscard]] boost::asio::awaitable<bool> await_stop_signal(boost::asio::io_context& io,
                                                             Logger& log);

// The log reopens SIGHUP asked for since the process started, done and failed (a snapshot;
// any thread).
struct LogReopens {
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
};
[[nodiscard]] LogReopens log_reopens();

// The same in the Prometheus text format: mtasts_log_reopens_total{result="done|failed"}.
[[nodiscard]] std::string log_reopen_metrics_text();

}  // namespace mtasts::net

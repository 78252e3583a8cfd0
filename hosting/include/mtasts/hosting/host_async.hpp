#pragma once

// Small coroutine helpers of the service's loops: a pause, and a loop timer whose wait ends
// early when the service stops.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

namespace mtasts::hosting {

// Waits `duration` on the caller's executor.
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds duration);

class LoopTimer {
 public:
  explicit LoopTimer(const boost::asio::any_io_executor& executor) : timer_(executor) {}

  // Waits `duration`; false once stop() was called (before or during the wait).
  boost::asio::awaitable<bool> wait(std::chrono::milliseconds duration);
  void stop();
  [[nodiscard]] bool stopped() const { return stopped_; }

 private:
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace mtasts::hosting

#pragma once

// Runs one coroutine to completion on a test's io_context, with a hard bound so a broken
// deadline fails the test instead of hanging it. Servers spawned on the same context are
// abandoned when the coroutine ends. A loop driven until a condition holds, and a pause on the
// loop's own timer, for fakes that answer late.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>

namespace mtasts::net::testing {

inline constexpr std::chrono::seconds kLoopBound{60};

template <class T>
std::optional<T> run_until_done(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  std::optional<T> result;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr error, T value) {
    failure = error;
    result = std::move(value);
    io.stop();
  });
  io.restart();
  io.run_for(kLoopBound);
  if (failure) {
    std::rethrow_exception(failure);
  }
  return result;
}

// Runs the loop in slices of 5 ms until `done()` holds; false if it does not within `limit`.
// A bounded poll for what the code under test announces to no one (a connection forgotten, a
// background task finished).
inline bool drive(boost::asio::io_context& io, const std::function<bool()>& done,
                  std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Waits `delay` on the calling coroutine's executor (none when it is zero or negative); a
// cancelled wait ends early.
inline boost::asio::awaitable<void> pause(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) {
    co_return;
  }
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace mtasts::net::testing

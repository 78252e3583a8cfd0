#pragma once

// Runs one coroutine to completion on a test's io_context, with a hard bound so a broken
// deadline fails the test instead of hanging it. Servers spawned on the same context are
// abandoned when the coroutine ends.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
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

}  // namespace mtasts::net::testing

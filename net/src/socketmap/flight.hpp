#pragma once

// A value that one coroutine produces and any number of coroutines wait for, each with its own
// deadline: the single-flight primitive (PowerDNS's "packet cache in-flight" and Envoy's
// dns_cache "pending resolution" play the same role). Single-threaded: every call happens on
// the one executor the waiters run on.
//
// A waiter registers a timer that expires at its deadline; publish() cancels every registered
// timer, so waiters wake at once. A waiter that times out simply stops waiting: the producer
// goes on, and later waiters still get its value.

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace mtasts::net::detail {

template <class T>
class Flight {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  [[nodiscard]] bool done() const { return value_.has_value(); }
  [[nodiscard]] const std::optional<T>& value() const { return value_; }

  // Sets the value and wakes every waiter. Only the first call has an effect.
  void publish(T value) {
    if (value_) {
      return;
    }
    value_ = std::move(value);
    std::vector<boost::asio::steady_timer*> waiters = std::move(waiters_);
    waiters_.clear();
    for (boost::asio::steady_timer* timer : waiters) {
      timer->cancel();
    }
  }

  // The value once published, or nullopt when `deadline` passes first.
  static boost::asio::awaitable<std::optional<T>> wait(std::shared_ptr<Flight> self,
                                                       Deadline deadline) {
    if (self->value_) {
      co_return self->value_;
    }
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
    self->waiters_.push_back(&timer);
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    auto& waiters = self->waiters_;
    waiters.erase(std::remove(waiters.begin(), waiters.end(), &timer), waiters.end());
    co_return self->value_;
  }

 private:
  std::optional<T> value_;
  std::vector<boost::asio::steady_timer*> waiters_;
};

// A one-shot event: a Flight without a value.
struct Signal {};
using Event = Flight<Signal>;

}  // namespace mtasts::net::detail

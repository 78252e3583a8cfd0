#include "mtasts/hosting/host_async.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mtasts::hosting {

namespace asio = boost::asio;

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, duration);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<bool> LoopTimer::wait(std::chrono::milliseconds duration) {
  if (stopped_) {
    co_return false;
  }
  timer_.expires_after(duration);
  boost::system::error_code ec;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !stopped_;
}

void LoopTimer::stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace mtasts::hosting

#pragma once

// A PolicyService on a test loop with fake DNS, fetcher, clock and store.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_clock.hpp"
#include "fake_fetcher.hpp"
#include "fake_resolver.hpp"
#include "memory_persistence.hpp"
#include "mtasts/net/socketmap/policy_service.hpp"
#include "test_loop.hpp"

namespace mtasts::net::testing {

inline std::string policy_body(const std::string& mode, const std::vector<std::string>& mx,
                               int max_age = 86400) {
  std::string body = "version: STSv1\r\nmode: " + mode + "\r\n";
  for (const auto& m : mx) {
    body += "mx: " + m + "\r\n";
  }
  return body + "max_age: " + std::to_string(max_age) + "\r\n";
}

// The reply in a zone with the TLSRPT attributes on, for example.com publishing
// policy_body("enforce", {"mail.example.com"}).
inline constexpr char kExampleRptReply[] =
    "OK secure match=mail.example.com servername=hostname policy_type=sts "
    "policy_domain=example.com mx_host_pattern=mail.example.com "
    "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
    "{ policy_string = mx: mail.example.com } { policy_string = max_age: 86400 }";

class PolicyServiceTest : public ::testing::Test {
 protected:
  PolicyServiceTest() { options_.match = core::MatchForm::patterns; }

  // A domain with record id `id` and a policy of `mode` listing `mx`.
  void publish(const std::string& domain, const std::string& mode,
               const std::vector<std::string>& mx, const std::string& id = "1") {
    resolver_.set_sts(domain, "v=STSv1; id=" + id);
    fetcher_.bodies[domain] = policy_body(mode, mx);
  }

  PolicyService& service() {
    if (!service_) {
      service_ = std::make_unique<PolicyService>(io_.get_executor(), resolver_, fetcher_, clock_,
                                                 log_, persistence_, options_);
    }
    return *service_;
  }

  // As the socketmap server asks: answer_now(), then handle() when that declines.
  std::string ask(const std::string& key, const std::string& map = "postfix") {
    if (const std::optional<std::string_view> now = service().answer_now(map, key)) {
      ++answered_now_;
      return std::string(*now);
    }
    return ask_waiting(key, map);
  }

  // Through handle() only.
  std::string ask_waiting(const std::string& key, const std::string& map = "postfix") {
    PolicyService& s = service();
    auto reply = run_until_done(io_, s.handle(map, key));
    return reply.value_or("<no reply>");
  }

  // `count` lookups of `key` started together; their replies in order of start.
  std::vector<std::string> ask_concurrently(const std::string& key, std::size_t count) {
    PolicyService& s = service();
    auto work = [&]() -> boost::asio::awaitable<std::vector<std::string>> {
      auto replies = std::make_shared<std::vector<std::string>>(count);
      auto left = std::make_shared<std::size_t>(count);
      auto executor = co_await boost::asio::this_coro::executor;
      for (std::size_t i = 0; i < count; ++i) {
        boost::asio::co_spawn(executor, s.handle("postfix", key),
                              [replies, left, i](std::exception_ptr, std::string r) {
                                (*replies)[i] = std::move(r);
                                --*left;
                              });
      }
      while (*left > 0) {
        co_await pause(std::chrono::milliseconds(1));
      }
      co_return *replies;
    };
    return run_until_done(io_, work()).value_or(std::vector<std::string>{});
  }

  // Lets background flights finish.
  void settle(std::chrono::milliseconds time = std::chrono::milliseconds(20)) {
    run_until_done(io_, [time]() -> boost::asio::awaitable<int> {
      co_await pause(time);
      co_return 0;
    }());
  }

  void flush() {
    PolicyService& s = service();
    run_until_done(io_, [&s]() -> boost::asio::awaitable<int> {
      co_await s.flush_store();
      co_return 0;
    }());
  }

  boost::asio::io_context io_;
  FakeResolver resolver_;
  FakeFetcher fetcher_;
  FakeClock clock_;
  Logger log_{LogLevel::error};
  PolicyPersistence* persistence_ = nullptr;
  PolicyServiceOptions options_;
  std::unique_ptr<PolicyService> service_;
  int answered_now_ = 0;  // ask() calls that answer_now() answered
};

}  // namespace mtasts::net::testing

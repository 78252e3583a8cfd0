// PolicyService when policies cannot be fetched, with the Postfix 3.10 TLSRPT attributes on:
// the reply never carries policy_failure (Postfix would then fail a delivery RFC 8461 §3.3
// says to make), the failure is counted and logged instead. Also: the lookup log line with its
// reason code, the cap on discoveries running at once, and the purge of expired stored
// policies.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mtasts/net/socketmap/policy_service.hpp"
#include "policy_service_fixture.hpp"

namespace mtasts::net {
namespace {

using namespace std::chrono_literals;
using testing::kExampleRptReply;
using testing::MemoryPersistence;
using testing::PolicyServiceTest;

// One way for a fetch to fail, and the RFC 8460 result type it is reported as.
struct Failure {
  const char* name;
  std::optional<FetchDetail> detail;  // nullopt: the fetch succeeds with an invalid body
  const char* result;
};

const Failure kFailures[] = {
    {"fetch-error", FetchDetail::http_status, "sts-policy-fetch-error"},
    {"invalid", std::nullopt, "sts-policy-invalid"},
    {"webpki-invalid", FetchDetail::cert_name_mismatch, "sts-webpki-invalid"},
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class PolicyFailureTest : public PolicyServiceTest {
 protected:
  PolicyFailureTest() {
    options_.zones["rpt"] = ZoneSettings{.tlsrpt = core::TlsrptAttributes::on};
  }

  // A new service, and a fetcher that has served nothing and knows no policy.
  void start_over() {
    service_.reset();
    fetcher_.bodies.clear();
    fetcher_.failures.clear();
    fetcher_.fetched.clear();
  }

  void fail_fetches(const std::string& domain, const Failure& failure) {
    if (failure.detail) {
      fetcher_.failures[domain] = *failure.detail;
    } else {
      fetcher_.failures.erase(domain);
      fetcher_.bodies[domain] = "version: STSv1\r\nmode: sometimes\r\n";
    }
  }

  std::string sample(const std::string& family, const char* result) {
    return family + "{result=\"" + result + "\"} ";
  }
};

TEST_F(PolicyFailureTest, FailedRefreshOfACachedPolicy_KeepsTheReply_WithoutPolicyFailure) {
  for (const Failure& failure : kFailures) {
    SCOPED_TRACE(failure.name);
    start_over();
    publish("example.com", "enforce", {"mail.example.com"});
    ASSERT_EQ(ask("example.com", "rpt"), kExampleRptReply);

    // A new policy is announced, and its fetch fails.
    clock_.advance(core::Seconds(120));
    resolver_.set_sts("example.com", "v=STSv1; id=2");
    fail_fetches("example.com", failure);
    EXPECT_EQ(ask("example.com", "rpt"), kExampleRptReply);  // the cached policy, refreshed behind
    settle();
    EXPECT_EQ(fetcher_.fetched.size(), 2u);
    // RFC 8461 §3.3: the cached policy stays in force, reply for reply.
    EXPECT_EQ(ask("example.com", "rpt"), kExampleRptReply);
    const std::string text = service().metrics_text();
    EXPECT_TRUE(contains(text, "mtasts_policy_alerts_total 1")) << text;
    EXPECT_TRUE(contains(text, sample("mtasts_fetches_total", failure.result) + "1")) << text;
  }
}

TEST_F(PolicyFailureTest, LookupsWhileARefreshBacksOff_ServeTheCachedPolicy_WithoutPolicyFailure) {
  for (const Failure& failure : kFailures) {
    SCOPED_TRACE(failure.name);
    start_over();
    publish("example.com", "enforce", {"mail.example.com"});
    ASSERT_EQ(ask("example.com", "rpt"), kExampleRptReply);
    // Less than a quarter of max_age left: the body is due for refresh, and its refetch fails.
    clock_.advance(core::Seconds(70000));
    fail_fetches("example.com", failure);
    EXPECT_EQ(ask("example.com", "rpt"), kExampleRptReply);
    settle();
    // Within the backoff the cache serves the policy with the failure attached; the reply
    // stays the cached policy's (RFC 8461 §3.3), the failure is only counted.
    EXPECT_EQ(ask("example.com", "rpt"), kExampleRptReply);
    EXPECT_EQ(fetcher_.fetched.size(), 2u);
    const std::string text = service().metrics_text();
    EXPECT_TRUE(contains(text, "mtasts_cache_decisions_total{reason=\"backoff\"} 1")) << text;
    EXPECT_TRUE(contains(text, sample("mtasts_policy_failures_total", failure.result) + "1"))
        << text;
  }
}

TEST_F(PolicyFailureTest, AnnouncedPolicyThatCannotBeFetched_IsNotFound_AndCounted) {
  for (const Failure& failure : kFailures) {
    SCOPED_TRACE(failure.name);
    start_over();
    resolver_.set_sts("example.com", "v=STSv1; id=1");
    fail_fetches("example.com", failure);
    // RFC 8461 §3.3, §5: nothing cached and no policy fetched: deliver as without MTA-STS.
    EXPECT_EQ(ask("example.com", "rpt"), "NOTFOUND ");
    EXPECT_EQ(ask("example.com", "rpt"), "NOTFOUND ");  // within the backoff: no new fetch
    EXPECT_EQ(fetcher_.fetched.size(), 1u);
    const std::string text = service().metrics_text();
    EXPECT_TRUE(contains(text, sample("mtasts_policy_failures_total", failure.result) + "2"))
        << text;
    EXPECT_TRUE(contains(text, "mtasts_lookups_total{outcome=\"NOTFOUND\"} 2")) << text;
  }
}

TEST_F(PolicyFailureTest, EveryLookupIsLoggedWithItsReasonCode) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("mtasts-lookup-log-" + std::to_string(::getpid()) + ".log");
  log_.set_level(LogLevel::debug);
  ASSERT_TRUE(log_.open_file(path.string()));
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_sts("broken.example", "v=STSv1; id=1");  // no body: HTTP 404
  ask("example.com", "rpt");
  ask("example.com", "rpt");
  ask(".example.com");
  ask("broken.example", "rpt");
  std::stringstream lines;
  lines << std::ifstream(path).rdbuf();
  std::filesystem::remove(path);
  const std::string log = lines.str();
  EXPECT_TRUE(contains(log,
                       "event=lookup domain=example.com zone=rpt reason=miss "
                       "step=check_record urgency=wait reply=OK"))
      << log;
  EXPECT_TRUE(contains(log, "event=lookup domain=example.com zone=rpt reason=hit step=none"));
  EXPECT_TRUE(contains(log,
                       "zone=postfix reason=parent-probe step=none urgency=\"\" "
                       "reply=NOTFOUND"))
      << log;
  EXPECT_TRUE(contains(log,
                       "event=lookup domain=broken.example zone=rpt reason=miss "
                       "step=check_record urgency=wait reply=NOTFOUND "
                       "policy_failure=sts-policy-fetch-error"))
      << log;
}

TEST_F(PolicyFailureTest, DiscoveriesBeyondMaxFlights_AreShed_AndAnswerLikeATimeout) {
  publish("a.example", "enforce", {"mx.a.example"});
  publish("b.example", "enforce", {"mx.b.example"});
  options_.max_flights = 1;
  fetcher_.delay = 100ms;
  PolicyService& s = service();
  auto both = [&s]() -> boost::asio::awaitable<std::vector<std::string>> {
    auto replies = std::make_shared<std::vector<std::string>>(2);
    auto left = std::make_shared<int>(2);
    auto executor = co_await boost::asio::this_coro::executor;
    int i = 0;
    for (const char* key : {"a.example", "b.example"}) {
      boost::asio::co_spawn(executor, s.handle("postfix", key),
                            [replies, left, i](std::exception_ptr, std::string r) {
                              (*replies)[static_cast<std::size_t>(i)] = std::move(r);
                              --*left;
                            });
      ++i;
    }
    while (*left > 0) {
      co_await testing::pause(1ms);
    }
    co_return *replies;
  };
  const auto replies = testing::run_until_done(io_, both()).value_or(std::vector<std::string>{});
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0], "OK secure match=mx.a.example servername=hostname");
  EXPECT_EQ(replies[1], "NOTFOUND ");
  EXPECT_TRUE(contains(s.metrics_text(), "mtasts_discoveries_shed_total 1"));
  // Once the running discovery has ended, b is discovered as usual.
  EXPECT_EQ(ask("b.example"), "OK secure match=mx.b.example servername=hostname");
  EXPECT_EQ(fetcher_.fetched.size(), 2u);
}

TEST_F(PolicyFailureTest, Start_PurgesExpiredPoliciesFromTheStore) {
  MemoryPersistence store;
  persistence_ = &store;
  auto policy = core::parse_policy(testing::policy_body("enforce", {"mail.example.com"}));
  ASSERT_TRUE(policy);
  store.policies["old.example"] = core::CachedPolicy{
      *policy, "1", clock_.now() - core::Seconds(90000), clock_.now() - core::Seconds(3600)};
  store.policies["new.example"] =
      core::CachedPolicy{*policy, "1", clock_.now(), clock_.now() + core::Seconds(86400)};
  service().start();
  settle();
  flush();
  {
    const std::lock_guard lock(store.mutex);
    EXPECT_EQ(store.purges, 1);
    EXPECT_EQ(store.policies.count("old.example"), 0u);
    EXPECT_EQ(store.policies.count("new.example"), 1u);
  }
  EXPECT_TRUE(contains(service().metrics_text(), "mtasts_store_purged_total 1"));
  service_.reset();
}

}  // namespace
}  // namespace mtasts::net

#include "mtasts/net/socketmap/policy_service.hpp"

#include <gtest/gtest.h>

#include "policy_service_fixture.hpp"

namespace mtasts::net {
namespace {

using namespace std::chrono_literals;
using testing::MemoryPersistence;
using testing::PolicyServiceTest;

constexpr char kEnforceReply[] =
    "OK secure match=mail.example.com:.backup.example.com servername=hostname";
const std::vector<std::string> kMx = {"mail.example.com", "*.backup.example.com"};

TEST_F(PolicyServiceTest, Enforce_PatternsForm_IsThePeersReply) {
  publish("example.com", "enforce", kMx);
  EXPECT_EQ(ask("example.com"), kEnforceReply);
  EXPECT_EQ(resolver_.asked, std::vector<std::string>{"TXT _mta-sts.example.com"});
  EXPECT_EQ(fetcher_.fetched, std::vector<std::string>{"example.com"});
}

TEST_F(PolicyServiceTest, KeyForms_AreNormalisedToOneDomain) {
  publish("example.com", "enforce", kMx);
  EXPECT_EQ(ask("Example.COM."), kEnforceReply);
  EXPECT_EQ(ask("[example.com]:25"), kEnforceReply);
  EXPECT_EQ(fetcher_.fetched.size(), 1u);
}

TEST_F(PolicyServiceTest, SecondLookup_IsACacheHit) {
  publish("example.com", "enforce", kMx);
  ask("example.com");
  EXPECT_EQ(ask("example.com"), kEnforceReply);
  EXPECT_EQ(resolver_.asked.size(), 1u);
  EXPECT_EQ(fetcher_.fetched.size(), 1u);
}

TEST_F(PolicyServiceTest, TestingAndNone_AreNotFound_UnlessStrict) {
  publish("testing.example", "testing", {"mx.testing.example"});
  publish("none.example", "none", {});
  EXPECT_EQ(ask("testing.example"), "NOTFOUND ");
  EXPECT_EQ(ask("none.example"), "NOTFOUND ");
  options_.zones["strict"] = ZoneSettings{.testing = core::TestingMode::strict};
  service_.reset();
  EXPECT_EQ(ask("testing.example", "strict"),
            "OK secure match=mx.testing.example servername=hostname");
}

TEST_F(PolicyServiceTest, Zone_SettingsFollowTheMapName) {
  publish("example.com", "enforce", {"mail.example.com"});
  options_.zones["nosni"] = ZoneSettings{.sni = core::SniMode::off};
  options_.zones["rpt"] = ZoneSettings{.tlsrpt = core::TlsrptAttributes::on};
  EXPECT_EQ(ask("example.com", "nosni"), "OK secure match=mail.example.com");
  EXPECT_EQ(ask("example.com", "rpt"), testing::kExampleRptReply);
  EXPECT_EQ(ask("example.com", "unknown-zone"),
            "OK secure match=mail.example.com servername=hostname");
}

TEST_F(PolicyServiceTest, NoRecord_IsNotFoundAndNegativelyCached) {
  EXPECT_EQ(ask("plain.example"), "NOTFOUND ");
  EXPECT_EQ(ask("plain.example"), "NOTFOUND ");
  EXPECT_EQ(resolver_.asked.size(), 1u);
  EXPECT_TRUE(fetcher_.fetched.empty());
}

TEST_F(PolicyServiceTest, KeysWithoutPolicyDomain_AreNotFoundWithoutQueries) {
  for (const char* key : {".example.com", "[192.0.2.1]", "192.0.2.1", "", "a b", "[ipv6:::1]"}) {
    EXPECT_EQ(ask(key), "NOTFOUND ") << key;
  }
  EXPECT_TRUE(resolver_.asked.empty());
}

TEST_F(PolicyServiceTest, FetchFailure_WithNothingCached_IsNotFound) {
  resolver_.set_sts("broken.example", "v=STSv1; id=1");  // no body: HTTP 404
  EXPECT_EQ(ask("broken.example"), "NOTFOUND ");
  EXPECT_EQ(ask("broken.example"), "NOTFOUND ");
  EXPECT_EQ(fetcher_.fetched.size(), 1u) << "backoff: no second fetch of the failing id";
}

TEST_F(PolicyServiceTest, ConcurrentMisses_ShareOneDiscovery) {
  publish("example.com", "enforce", kMx);
  resolver_.delay = 20ms;
  fetcher_.delay = 20ms;
  const auto replies = ask_concurrently("example.com", 10);
  ASSERT_EQ(replies.size(), 10u);
  for (const auto& reply : replies) {
    EXPECT_EQ(reply, kEnforceReply);
  }
  EXPECT_EQ(resolver_.count("TXT _mta-sts.example.com"), 1u);
  EXPECT_EQ(fetcher_.fetched.size(), 1u);
}

TEST_F(PolicyServiceTest, SlowDiscovery_AnswersAtTheZoneTimeout_AndFillsTheCacheBehind) {
  publish("example.com", "enforce", kMx);
  fetcher_.delay = 300ms;
  options_.default_zone.timeout = 50ms;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(ask("example.com"), "NOTFOUND ");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 250ms);
  settle(400ms);
  EXPECT_EQ(ask("example.com"), kEnforceReply);
  EXPECT_EQ(fetcher_.fetched.size(), 1u);
}

TEST_F(PolicyServiceTest, Recheck_IsDoneBehindTheCachedAnswer) {
  publish("example.com", "enforce", kMx);
  ask("example.com");
  clock_.advance(core::Seconds(120));  // past the 60 s recheck interval
  resolver_.delay = 200ms;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(ask("example.com"), kEnforceReply);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 150ms);
  settle(300ms);
  EXPECT_EQ(resolver_.count("TXT _mta-sts.example.com"), 2u);
  EXPECT_EQ(fetcher_.fetched.size(), 1u) << "same id, fresh body: no refetch";
}

TEST_F(PolicyServiceTest, ChangedId_IsFetchedBehind_AndServedNext) {
  publish("example.com", "enforce", kMx);
  ask("example.com");
  clock_.advance(core::Seconds(120));
  publish("example.com", "enforce", {"new.example.com"}, "2");
  EXPECT_EQ(ask("example.com"), kEnforceReply);
  settle();
  EXPECT_EQ(ask("example.com"), "OK secure match=new.example.com servername=hostname");
}

TEST_F(PolicyServiceTest, Store_FetchedPoliciesAreWrittenThrough) {
  MemoryPersistence store;
  persistence_ = &store;
  publish("example.com", "enforce", kMx, "abc");
  ask("example.com");
  flush();
  const std::lock_guard lock(store.mutex);
  ASSERT_EQ(store.policies.count("example.com"), 1u);
  EXPECT_EQ(store.policies.at("example.com").id, "abc");
  EXPECT_EQ(store.policies.at("example.com").policy.mode, core::PolicyMode::enforce);
}

TEST_F(PolicyServiceTest, Store_RestoresOnAMiss_WithoutWaitingForTheNetwork) {
  MemoryPersistence store;
  persistence_ = &store;
  auto policy = core::parse_policy(testing::policy_body("enforce", kMx));
  ASSERT_TRUE(policy);
  store.policies["example.com"] =
      core::CachedPolicy{*policy, "1", clock_.now(), clock_.now() + core::Seconds(86400)};
  resolver_.set_sts("example.com", "v=STSv1; id=1");  // the policy host is down: no body
  resolver_.delay = 200ms;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(ask("example.com"), kEnforceReply);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 150ms);
  settle(300ms);
  EXPECT_EQ(resolver_.count("TXT _mta-sts.example.com"), 1u) << "the record is still checked";
  EXPECT_TRUE(fetcher_.fetched.empty()) << "same id: the stored body is kept";
  EXPECT_EQ(ask("example.com"), kEnforceReply);
}

TEST_F(PolicyServiceTest, Store_ErrorsAreSurvived) {
  MemoryPersistence store;
  store.fail = true;
  persistence_ = &store;
  publish("example.com", "enforce", kMx);
  EXPECT_EQ(ask("example.com"), kEnforceReply);
  flush();
  EXPECT_EQ(store.loads, 1);
  EXPECT_EQ(store.saves, 1);
  EXPECT_NE(service().metrics_text().find("mtasts_store_errors_total 2"), std::string::npos);
}

TEST_F(PolicyServiceTest, Preload_FillsTheCache) {
  publish("a.example", "enforce", {"mx.a.example"});
  publish("b.example", "testing", {"mx.b.example"});
  PolicyService& s = service();
  s.preload({"a.example", "B.Example", "not a domain", "c.example"});
  testing::run_until_done(io_, [&s]() -> boost::asio::awaitable<int> {
    co_await s.preload_done();
    co_return 0;
  }());
  EXPECT_EQ(fetcher_.fetched.size(), 2u);
  const std::size_t asked = resolver_.asked.size();
  EXPECT_EQ(ask("a.example"), "OK secure match=mx.a.example servername=hostname");
  EXPECT_EQ(ask("c.example"), "NOTFOUND ");
  EXPECT_EQ(resolver_.asked.size(), asked);
}

TEST_F(PolicyServiceTest, ProactiveRefresh_RefetchesDueBodies) {
  publish("example.com", "enforce", kMx);
  options_.proactive = ProactiveSettings{.enabled = true, .period = 20ms, .concurrency = 2};
  ask("example.com");
  service().start();
  clock_.advance(core::Seconds(86400 - 600));  // the body is due (a quarter of max_age left)
  settle(200ms);
  EXPECT_GE(fetcher_.fetched.size(), 2u);
  EXPECT_GE(resolver_.count("TXT _mta-sts.example.com"), 2u);
}

TEST_F(PolicyServiceTest, Metrics_CountOutcomes) {
  publish("example.com", "enforce", kMx);
  ask("example.com");
  ask("none.example");
  const std::string text = service().metrics_text();
  EXPECT_NE(text.find("mtasts_lookups_total{outcome=\"OK\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("mtasts_lookups_total{outcome=\"NOTFOUND\"} 1"), std::string::npos);
  EXPECT_NE(text.find("mtasts_fetches_total{result=\"ok\"} 1"), std::string::npos);
  EXPECT_NE(text.find("mtasts_cache_entries 2"), std::string::npos);
  EXPECT_NE(text.find("mtasts_lookup_duration_seconds_count 2"), std::string::npos);
}

}  // namespace
}  // namespace mtasts::net

// PolicyService::answer_now(): the synchronous answer of cached lookups, and its reply memo.

#include <gtest/gtest.h>

#include <sstream>

#include "mtasts/net/socketmap/policy_service.hpp"
#include "policy_service_fixture.hpp"

namespace mtasts::net {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kOk = "OK secure match=mail.example.com servername=hostname";

class AnswerNowTest : public testing::PolicyServiceTest {
 protected:
  AnswerNowTest() { options_.match = core::MatchForm::mx_hosts; }

  // The metrics without the latency sum, which depends on the wall clock.
  std::string counters() {
    std::istringstream in(service().metrics_text());
    std::string out;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("mtasts_lookup_duration_seconds_sum", 0) != 0 &&
          line.rfind("mtasts_lookup_duration_seconds_bucket", 0) != 0) {
        out += line + "\n";
      }
    }
    return out;
  }

  // The metrics after asking `keys` in turn of a new service, through ask() or ask_waiting().
  std::string counters_after(const std::vector<std::string>& keys, bool at_once) {
    service_.reset();
    for (const std::string& key : keys) {
      replies_.push_back(at_once ? ask(key) : ask_waiting(key));
    }
    return counters();
  }

  // The value of the sample named `name` (with its labels) in the metrics.
  std::uint64_t sample(const std::string& name) {
    const std::string text = service().metrics_text();
    const std::size_t at = text.find("\n" + name + " ");
    EXPECT_NE(at, std::string::npos) << name << " in\n" << text;
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size() + 2));
  }

  std::vector<std::string> replies_;
};

TEST_F(AnswerNowTest, Miss_IsDeclinedWithoutCountingOrQuerying) {
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  const std::string before = service().metrics_text();
  EXPECT_FALSE(service().answer_now("postfix", "example.com"));
  EXPECT_EQ(service().metrics_text(), before);
  EXPECT_TRUE(resolver_.asked.empty());
  EXPECT_EQ(ask("example.com"), kOk);
  EXPECT_EQ(answered_now_, 0);
  EXPECT_EQ(ask("example.com"), kOk);
  EXPECT_EQ(answered_now_, 1) << "the second lookup is a cache hit";
}

TEST_F(AnswerNowTest, UncachedMxAnswer_IsDeclined) {
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  ask("example.com");
  clock_.advance(core::Seconds(59));  // within the recheck interval, past no TTL yet
  EXPECT_TRUE(service().answer_now("postfix", "example.com"));
  clock_.advance(core::Seconds(242));  // the MX TTL (300) has passed; the policy is re-checked
  EXPECT_FALSE(service().answer_now("postfix", "example.com"));
  EXPECT_EQ(ask("example.com"), kOk);
  EXPECT_EQ(resolver_.count("MX example.com"), 2u);
}

TEST_F(AnswerNowTest, NoAllowedMx_IsDeclinedForTheRecheck) {
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_mx("example.com", {"rogue.example.net"});
  EXPECT_EQ(ask("example.com").rfind("TEMP ", 0), 0u);
  EXPECT_FALSE(service().answer_now("postfix", "example.com"));
  EXPECT_EQ(ask("example.com").rfind("TEMP ", 0), 0u);
}

TEST_F(AnswerNowTest, Replies_AndCounters_AreThoseOfHandle) {
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  publish("nullmx.example", "enforce", {"mx.nullmx.example"});
  resolver_.set_mx("nullmx.example", {""});  // RFC 7505 null MX: the patterns form
  publish("relay.example", "enforce", {"relay.example"});
  publish("testing.example", "testing", {"mx.testing.example"});
  const std::vector<std::string> keys = {"example.com",
                                         "example.com",
                                         "EXAMPLE.com",
                                         "example.com.",
                                         " example.com:25",
                                         "nullmx.example",
                                         "nullmx.example",
                                         "none.example",
                                         "none.example",
                                         "testing.example",
                                         "testing.example",
                                         "[relay.example]:587",
                                         "[relay.example]",
                                         "192.0.2.1",
                                         ".example.com",
                                         "",
                                         "bad_name.example",
                                         "b\xc3\xbc"
                                         "cher.example",
                                         "127.1",
                                         "a..b.example"};
  const std::string waiting = counters_after(keys, false);
  const std::vector<std::string> expected = replies_;
  replies_.clear();
  answered_now_ = 0;
  const std::string at_once = counters_after(keys, true);
  EXPECT_EQ(replies_, expected);
  EXPECT_EQ(at_once, waiting);
  EXPECT_GE(answered_now_, 12);
  EXPECT_EQ(expected[5], "OK secure match=mx.nullmx.example servername=hostname");
  EXPECT_NE(at_once.find("mtasts_lookup_duration_seconds_count 20"), std::string::npos) << at_once;
}

TEST_F(AnswerNowTest, ImmediateAnswers_AreInTheFirstLatencyBucket) {
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  ask("example.com");  // a miss: handle(), timed
  ask("example.com");  // answered now, but the reply is rendered (and the render timed) first
  // Sampled only now: the two lookups above took what they took, which is not asserted here.
  const std::uint64_t first_bucket = sample("mtasts_lookup_duration_seconds_bucket{le=\"0.0001\"}");
  answered_now_ = 0;
  ask("example.com");  // the memo: nothing rendered, nothing timed
  ask("192.0.2.1");    // no lookup
  EXPECT_EQ(answered_now_, 2);
  EXPECT_EQ(sample("mtasts_lookup_duration_seconds_bucket{le=\"0.0001\"}"), first_bucket + 2);
  EXPECT_EQ(sample("mtasts_lookup_duration_seconds_count"), 4u);
}

TEST_F(AnswerNowTest, Memo_FollowsTheCachedPolicy) {
  publish("example.com", "enforce", {"mail.example.com", "mx2.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com", "mx2.example.com"});
  EXPECT_EQ(ask("example.com"),
            "OK secure match=mail.example.com:mx2.example.com servername=hostname");
  EXPECT_EQ(ask("example.com"),
            "OK secure match=mail.example.com:mx2.example.com servername=hostname");
  // A new policy id: refetched behind the cached answer, then served (the MX answer is
  // still cached, with the memo of the old policy).
  clock_.advance(core::Seconds(61));
  publish("example.com", "enforce", {"mail.example.com"}, "2");
  ask("example.com");
  settle();
  EXPECT_EQ(ask("example.com"), kOk);
  EXPECT_EQ(resolver_.count("MX example.com"), 1u);
}

TEST_F(AnswerNowTest, Memo_FollowsTheMxAnswer) {
  publish("example.com", "enforce", {"*.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  EXPECT_EQ(ask("example.com"), kOk);
  EXPECT_EQ(ask("example.com"), kOk);
  resolver_.set_mx("example.com", {"mx9.example.com"});
  clock_.advance(core::Seconds(301));  // the MX answer expired
  EXPECT_EQ(ask("example.com"), "OK secure match=mx9.example.com servername=hostname");
  EXPECT_EQ(ask("example.com"), "OK secure match=mx9.example.com servername=hostname");
}

TEST_F(AnswerNowTest, Memo_FollowsTheZone) {
  options_.zones["nosni"] = ZoneSettings{.sni = core::SniMode::off};
  options_.zones["rpt"] = ZoneSettings{.tlsrpt = core::TlsrptAttributes::on};
  options_.zones["strict"] = ZoneSettings{.testing = core::TestingMode::strict};
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  publish("testing.example", "testing", {"mail.testing.example"});
  resolver_.set_mx("testing.example", {"mail.testing.example"});
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(ask("example.com"), kOk);
    EXPECT_EQ(ask("example.com", "nosni"), "OK secure match=mail.example.com");
    EXPECT_EQ(ask("example.com", "rpt"), testing::kExampleRptReply);
    EXPECT_EQ(ask("testing.example"), "NOTFOUND ");
    EXPECT_EQ(ask("testing.example", "strict"),
              "OK secure match=mail.testing.example servername=hostname");
  }
  // All but the first lookup of each domain, and the first strict one (its MX answer).
  EXPECT_EQ(answered_now_, 7);
}

TEST_F(AnswerNowTest, PatternsMode_AnswersAtOnce_FromAMemoThatFollowsThePolicy) {
  options_.match = core::MatchForm::patterns;
  options_.zones["nosni"] = ZoneSettings{.sni = core::SniMode::off};
  publish("example.com", "enforce", {"mail.example.com", "*.backup.example.com"});
  ask("example.com");
  const std::uint64_t first_bucket = sample("mtasts_lookup_duration_seconds_bucket{le=\"0.0001\"}");
  EXPECT_EQ(ask("example.com"),
            "OK secure match=mail.example.com:.backup.example.com servername=hostname");
  EXPECT_EQ(ask("example.com"),
            "OK secure match=mail.example.com:.backup.example.com servername=hostname");
  EXPECT_EQ(ask("example.com", "nosni"), "OK secure match=mail.example.com:.backup.example.com");
  EXPECT_EQ(answered_now_, 3);
  EXPECT_GE(sample("mtasts_lookup_duration_seconds_bucket{le=\"0.0001\"}"), first_bucket + 1)
      << "the memo";
  clock_.advance(core::Seconds(61));
  publish("example.com", "enforce", {"mx.example.com"}, "2");
  ask("example.com");  // the old policy, and the new one fetched behind
  settle();
  EXPECT_EQ(ask("example.com"), "OK secure match=mx.example.com servername=hostname");
}

TEST_F(AnswerNowTest, PatternsMode_MemosAreBounded) {
  options_.match = core::MatchForm::patterns;
  options_.mx_cache_capacity = 2;
  for (const std::string domain : {"a.example", "b.example", "c.example"}) {
    publish(domain, "enforce", {"mx." + domain});
    ask(domain);
  }
  for (int round = 0; round < 2; ++round) {
    for (const std::string domain : {"a.example", "b.example", "c.example"}) {
      EXPECT_EQ(ask(domain), "OK secure match=mx." + domain + " servername=hostname");
    }
  }
  options_.mx_cache_capacity = 0;
  service_.reset();
  publish("d.example", "enforce", {"mx.d.example"});
  ask("d.example");
  EXPECT_EQ(ask("d.example"), "OK secure match=mx.d.example servername=hostname");
}

}  // namespace
}  // namespace mtasts::net

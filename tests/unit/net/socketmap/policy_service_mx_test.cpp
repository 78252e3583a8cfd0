// mx_match resolve: match= lists only the destination's MX hosts the policy allows.

#include <gtest/gtest.h>

#include "mtasts/net/socketmap/policy_service.hpp"
#include "policy_service_fixture.hpp"

namespace mtasts::net {
namespace {

using namespace std::chrono_literals;

class ResolveModeTest : public testing::PolicyServiceTest {
 protected:
  ResolveModeTest() { options_.match = core::MatchForm::mx_hosts; }
};

TEST_F(ResolveModeTest, OnlyAllowedMxHosts_AreListed) {
  publish("example.com", "enforce", {"mail.example.com", "*.backup.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com", "rogue.example.net", "b1.backup.example.com",
                                   "x.y.backup.example.com"});
  EXPECT_EQ(ask("example.com"),
            "OK secure match=mail.example.com:b1.backup.example.com servername=hostname");
}

TEST_F(ResolveModeTest, MxAnswers_AreCachedByTtl) {
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  ask("example.com");
  ask("example.com");
  EXPECT_EQ(resolver_.count("MX example.com"), 1u);
  clock_.advance(core::Seconds(301));  // the MX TTL (300) has passed
  ask("example.com");
  EXPECT_EQ(resolver_.count("MX example.com"), 2u);
}

TEST_F(ResolveModeTest, NoMxRecords_TheDomainIsTheImplicitMx) {
  publish("example.com", "enforce", {"example.com"});
  EXPECT_EQ(ask("example.com"), "OK secure match=example.com servername=hostname");
}

TEST_F(ResolveModeTest, BracketedNexthop_IsMatchedWithoutAnMxLookup) {
  publish("relay.example.com", "enforce", {"relay.example.com"});
  EXPECT_EQ(ask("[relay.example.com]:587"),
            "OK secure match=relay.example.com servername=hostname");
  EXPECT_EQ(resolver_.count("MX relay.example.com"), 0u);
}

TEST_F(ResolveModeTest, NoAllowedMx_RechecksThenDefers) {
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_mx("example.com", {"rogue.example.net"});
  const std::string reply = ask("example.com");
  EXPECT_EQ(reply.rfind("TEMP ", 0), 0u) << reply;
  EXPECT_EQ(resolver_.count("TXT _mta-sts.example.com"), 2u) << "RFC 8461 §5 re-check";
  EXPECT_EQ(fetcher_.fetched.size(), 2u) << "refetched although the id is unchanged";
  EXPECT_EQ(resolver_.count("MX example.com"), 2u) << "the MX answer is asked again too";
  // Within the recheck interval the answer stays TEMP without another re-check.
  EXPECT_EQ(ask("example.com").rfind("TEMP ", 0), 0u);
  EXPECT_EQ(fetcher_.fetched.size(), 2u);
}

TEST_F(ResolveModeTest, Recheck_FindingANewPolicy_Answers) {
  publish("example.com", "enforce", {"old.example.com"});
  resolver_.set_mx("example.com", {"new.example.com"});
  EXPECT_EQ(ask("example.com").rfind("TEMP ", 0), 0u);
  clock_.advance(core::Seconds(61));  // past the recheck interval
  fetcher_.bodies["example.com"] = testing::policy_body("enforce", {"new.example.com"});
  EXPECT_EQ(ask("example.com"), "OK secure match=new.example.com servername=hostname");
}

TEST_F(ResolveModeTest, Recheck_ToTestingMode_IsNotFound) {
  publish("example.com", "enforce", {"old.example.com"});
  resolver_.set_mx("example.com", {"new.example.com"});
  EXPECT_EQ(ask("example.com").rfind("TEMP ", 0), 0u);
  clock_.advance(core::Seconds(61));
  publish("example.com", "testing", {"old.example.com"}, "2");
  EXPECT_EQ(ask("example.com"), "NOTFOUND ");
}

// Never wider than the policy: ".backup.example.com" would let Postfix accept a host any
// number of labels deep, where the policy's "*.backup.example.com" allows one.
TEST_F(ResolveModeTest, FailedMxLookup_ListsOnlyThePolicysExactNames) {
  publish("example.com", "enforce",
          {"mail.example.com", "*.backup.example.com", "mx2.example.com"});
  for (const DnsStatus status : {DnsStatus::servfail, DnsStatus::timeout, DnsStatus::error}) {
    resolver_.set_mx_status("example.com", status);
    EXPECT_EQ(ask("example.com"),
              "OK secure match=mail.example.com:mx2.example.com servername=hostname")
        << dns_status_name(status);
  }
}

TEST_F(ResolveModeTest, FailedMxLookup_WildcardsOnly_Defers) {
  publish("example.com", "enforce", {"*.example.com", "*.backup.example.com"});
  resolver_.set_mx_status("example.com", DnsStatus::servfail);
  EXPECT_EQ(ask("example.com"),
            "TEMP MTA-STS: the MX hosts of example.com are unknown and its policy allows only "
            "wildcards");
  resolver_.set_mx("example.com", {"a.example.com", "b.c.example.com"});
  clock_.advance(core::Seconds(31));  // the cached failure (mx_ttl_min) has expired
  ask("example.com");                 // answered as failed while the MX lookup is made again
  settle();
  EXPECT_EQ(ask("example.com"), "OK secure match=a.example.com servername=hostname")
      << "once the MX lookup works, the hosts one label deep are listed";
}

// A DNS outage must not cost an MX query per request: the failure is kept for mx_ttl_min (like
// a temp DANE verdict), then asked again in the background while the failure still answers.
TEST_F(ResolveModeTest, FailedMxLookup_IsCachedForMxTtlMinThenAskedAgainBehind) {
  publish("example.com", "enforce", {"mail.example.com", "*.backup.example.com"});
  resolver_.set_mx_status("example.com", DnsStatus::servfail);
  const std::string exact = "OK secure match=mail.example.com servername=hostname";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ask("example.com"), exact);
  }
  EXPECT_EQ(resolver_.count("MX example.com"), 1u) << "the failure is cached";
  resolver_.set_mx("example.com", {"b1.backup.example.com"});
  clock_.advance(core::Seconds(31));
  EXPECT_EQ(ask("example.com"), exact) << "the expired failure answers while asked again";
  settle();
  EXPECT_EQ(resolver_.count("MX example.com"), 2u);
  EXPECT_EQ(ask("example.com"), "OK secure match=b1.backup.example.com servername=hostname");
}

// DNS that drops queries: only the lookup that meets the silence first waits for the zone's
// timeout; the lookups after it are answered from the policy at once.
TEST_F(ResolveModeTest, SilentDns_OnlyTheFirstLookupWaitsForTheTimeout) {
  publish("example.com", "enforce", {"mail.example.com", "mx2.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  options_.zones["slow"] = ZoneSettings{.timeout = 2s};
  EXPECT_EQ(ask("example.com", "slow"), "OK secure match=mail.example.com servername=hostname");
  clock_.advance(core::Seconds(301));  // the MX answer expired
  resolver_.hang = true;
  const std::string exact = "OK secure match=mail.example.com:mx2.example.com servername=hostname";
  EXPECT_EQ(ask("example.com", "slow"), exact);
  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(ask("example.com", "slow"), exact);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << "waited for the silent DNS";
  }
}

TEST_F(ResolveModeTest, NullMx_ListsOnlyThePolicysExactNames) {
  publish("example.com", "enforce", {"mail.example.com", "*.example.com"});
  resolver_.set_mx("example.com", {""});  // RFC 7505: "MX 0 ."
  EXPECT_EQ(ask("example.com"), "OK secure match=mail.example.com servername=hostname");
  EXPECT_EQ(ask("example.com"), "OK secure match=mail.example.com servername=hostname")
      << "cached with the MX answer";
}

TEST_F(ResolveModeTest, FailedMxLookup_WithTlsrpt_ListsExactNamesAndEveryPattern) {
  publish("example.com", "enforce", {"mail.example.com", "*.backup.example.com"});
  options_.zones["rpt"] = ZoneSettings{.tlsrpt = core::TlsrptAttributes::on};
  resolver_.set_mx_status("example.com", DnsStatus::servfail);
  const std::string reply = ask("example.com", "rpt");
  EXPECT_EQ(reply.rfind("OK secure match=mail.example.com ", 0), 0u) << reply;
  EXPECT_NE(reply.find("mx_host_pattern=*.backup.example.com"), std::string::npos) << reply;
}

TEST_F(ResolveModeTest, TestingPolicy_NeedsNoMxLookup) {
  publish("example.com", "testing", {"mail.example.com"});
  EXPECT_EQ(ask("example.com"), "NOTFOUND ");
  EXPECT_EQ(resolver_.count("MX example.com"), 0u);
}

TEST_F(ResolveModeTest, ConcurrentLookups_ShareOneMxQuery) {
  publish("example.com", "enforce", {"mail.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  ask("example.com");
  resolver_.mx.clear();
  resolver_.set_mx("other.example", {"mx.other.example"});
  publish("other.example", "enforce", {"mx.other.example"});
  resolver_.delay = 20ms;
  const auto replies = ask_concurrently("other.example", 5);
  for (const auto& reply : replies) {
    EXPECT_EQ(reply, "OK secure match=mx.other.example servername=hostname");
  }
  EXPECT_EQ(resolver_.count("MX other.example"), 1u);
}

TEST_F(ResolveModeTest, SlowMxLookup_ListsExactNamesAtTheZoneTimeout) {
  publish("example.com", "enforce",
          {"mail.example.com", "mx2.example.com", "*.backup.example.com"});
  resolver_.set_mx("example.com", {"mail.example.com"});
  options_.zones["fast"] = ZoneSettings{.timeout = 50ms};
  EXPECT_EQ(ask("example.com"), "OK secure match=mail.example.com servername=hostname");
  clock_.advance(core::Seconds(301));  // the MX answer expired
  resolver_.delay = 300ms;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(ask("example.com", "fast"),
            "OK secure match=mail.example.com:mx2.example.com servername=hostname");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 250ms);
  settle(400ms);
  EXPECT_EQ(ask("example.com", "fast"), "OK secure match=mail.example.com servername=hostname")
      << "the MX lookup finished behind and was cached";
}

}  // namespace
}  // namespace mtasts::net

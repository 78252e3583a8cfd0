// DANE first: a destination with DNSSEC-signed, usable TLSA records gets "dane-only" or "dane",
// never an MTA-STS reply that would replace Postfix's DANE check (RFC 8461 §2).

#include <gtest/gtest.h>

#include "mtasts/net/socketmap/policy_service.hpp"
#include "policy_service_fixture.hpp"

namespace mtasts::net {
namespace {

using namespace std::chrono_literals;

const core::TlsaRecord k311{3, 1, 1, 32};

class DaneTest : public testing::PolicyServiceTest {
 protected:
  DaneTest() {
    options_.match = core::MatchForm::mx_hosts;
    options_.dane = true;
  }

  // An enforce domain whose signed MX RRset names `hosts`, each with secure addresses.
  void signed_domain(const std::string& domain, const std::vector<std::string>& hosts) {
    publish(domain, "enforce", hosts);
    resolver_.set_mx(domain, hosts);
    for (const std::string& host : hosts) {
      resolver_.set_address(host, {"192.0.2.25"});
    }
    resolver_.set_secure(domain, hosts);
  }
  void tlsa_for(const std::string& host, std::vector<core::TlsaRecord> records = {k311}) {
    resolver_.set_tlsa("_25._tcp." + host, std::move(records));
  }
  void no_tlsa(const std::string& host) {
    resolver_.set_tlsa("_25._tcp." + host, {}, true, DnsStatus::nxdomain);
  }

  std::string metrics() { return service().metrics_text(); }
};

TEST_F(DaneTest, EveryMxWithUsableTlsa_IsDaneOnly) {
  signed_domain("example.com", {"mx1.example.com", "mx2.example.com"});
  tlsa_for("mx1.example.com");
  tlsa_for("mx2.example.com", {core::TlsaRecord{2, 1, 1, 32}});
  EXPECT_EQ(ask("example.com"), "OK dane-only");
  EXPECT_NE(metrics().find("mtasts_dane_replies_total{level=\"dane-only\"} 1"), std::string::npos);
  EXPECT_NE(metrics().find("mtasts_dane_lookups_total{reason=\"all-hosts-tlsa\"} 1"),
            std::string::npos);
}

// The hole this closes: an MTA-STS reply ("secure") would make Postfix accept a WebPKI
// certificate where the TLSA record fails. Testing mode never gets a reply at all, so
// Postfix's own dane level governs it.
TEST_F(DaneTest, TestingMode_IsNotFoundWithoutADaneLookup) {
  signed_domain("example.com", {"mx1.example.com"});
  publish("example.com", "testing", {"mx1.example.com"});
  tlsa_for("mx1.example.com");
  EXPECT_EQ(ask("example.com"), "NOTFOUND ");
  EXPECT_EQ(resolver_.count("TLSA _25._tcp.mx1.example.com"), 0u);
}

TEST_F(DaneTest, SomeMxWithUsableTlsa_IsDane) {
  signed_domain("example.com", {"mx1.example.com", "mx2.example.com"});
  tlsa_for("mx1.example.com");
  no_tlsa("mx2.example.com");
  EXPECT_EQ(ask("example.com"), "OK dane");
}

TEST_F(DaneTest, SignedWithoutTlsa_IsMtaSts) {
  signed_domain("example.com", {"mx1.example.com"});
  no_tlsa("mx1.example.com");
  EXPECT_EQ(ask("example.com"), "OK secure match=mx1.example.com servername=hostname");
}

TEST_F(DaneTest, OnlyUnusableTlsa_IsMtaSts) {
  signed_domain("example.com", {"mx1.example.com"});
  tlsa_for("mx1.example.com", {core::TlsaRecord{1, 1, 1, 32}, core::TlsaRecord{3, 1, 1, 20}});
  EXPECT_EQ(ask("example.com"), "OK secure match=mx1.example.com servername=hostname");
}

TEST_F(DaneTest, InsecureMxRrset_IsMtaStsAndAsksNoTlsa) {
  signed_domain("example.com", {"mx1.example.com"});
  resolver_.set_secure("example.com", {}, false);
  tlsa_for("mx1.example.com");
  EXPECT_EQ(ask("example.com"), "OK secure match=mx1.example.com servername=hostname");
  EXPECT_EQ(resolver_.count("TLSA _25._tcp.mx1.example.com"), 0u);
}

TEST_F(DaneTest, InsecureTlsaOrAddresses_DoNotCount) {
  signed_domain("example.com", {"mx1.example.com"});
  resolver_.set_tlsa("_25._tcp.mx1.example.com", {k311}, false);
  EXPECT_EQ(ask("example.com"), "OK secure match=mx1.example.com servername=hostname");

  signed_domain("example.net", {"mx1.example.net"});
  resolver_.set_secure("example.net", {"mx1.example.net"}, false);
  resolver_.set_secure("example.net", {});  // the MX RRset alone is signed
  tlsa_for("mx1.example.net");
  EXPECT_EQ(ask("example.net"), "OK secure match=mx1.example.net servername=hostname");
  EXPECT_EQ(resolver_.count("TLSA _25._tcp.mx1.example.net"), 0u);
}

// Never a downgrade: while the TLSA state of a host is unknown, MTA-STS may not take over.
TEST_F(DaneTest, TlsaLookupFailure_IsTemp_ThenAskedAgain) {
  signed_domain("example.com", {"mx1.example.com"});
  resolver_.set_tlsa("_25._tcp.mx1.example.com", {}, false, DnsStatus::servfail);
  EXPECT_EQ(ask("example.com"), "TEMP DANE: the TLSA lookup of MX host mx1.example.com failed");
  EXPECT_EQ(ask("example.com"), "TEMP DANE: the TLSA lookup of MX host mx1.example.com failed");
  EXPECT_EQ(resolver_.count("TLSA _25._tcp.mx1.example.com"), 1u) << "cached briefly";
  clock_.advance(options_.mx_ttl_min + core::Seconds(1));
  tlsa_for("mx1.example.com");
  EXPECT_EQ(ask("example.com"), "OK dane-only");
}

TEST_F(DaneTest, MxLookupFailure_IsTempNotExactNames) {
  publish("example.com", "enforce", {"mx1.example.com"});
  resolver_.set_mx_status("example.com", DnsStatus::servfail);
  EXPECT_EQ(ask("example.com"), "TEMP DANE: the MX lookup of example.com failed");
}

// postfix-tlspol #172 / #189: one MX host that does not resolve, or whose address lookup
// fails, does not hold up a domain whose other hosts are fine.
TEST_F(DaneTest, OneUnreachableHost_DoesNotFailTheDomain) {
  signed_domain("example.com", {"mx1.example.com", "gone.example.com", "flaky.example.com"});
  resolver_.addresses.erase("gone.example.com");  // NXDOMAIN
  resolver_.addresses["flaky.example.com"].meta.status = DnsStatus::servfail;
  tlsa_for("mx1.example.com");
  EXPECT_EQ(ask("example.com"), "OK dane-only");

  signed_domain("example.net", {"mx1.example.net", "gone.example.net"});
  resolver_.addresses.erase("gone.example.net");
  no_tlsa("mx1.example.net");
  EXPECT_EQ(ask("example.net"),
            "OK secure match=mx1.example.net:gone.example.net "
            "servername=hostname");
}

TEST_F(DaneTest, ImplicitMx_IsJudgedByTheDomainsOwnRecords) {
  publish("example.com", "enforce", {"example.com"});
  resolver_.set_mx_status("example.com", DnsStatus::nodata);
  resolver_.mx["example.com"].meta.authenticated = true;  // signed denial of MX
  resolver_.set_address("example.com", {"192.0.2.25"});
  resolver_.set_secure("example.com", {"example.com"});
  tlsa_for("example.com");
  EXPECT_EQ(ask("example.com"), "OK dane-only");
}

TEST_F(DaneTest, TlsaAtTheCnameTarget_IsFoundFirst) {
  signed_domain("example.com", {"mx1.example.com"});
  resolver_.set_address("mx1.example.com", {"192.0.2.25"}, {"mail.provider.net"});
  resolver_.set_secure("example.com", {"mx1.example.com"});
  tlsa_for("mail.provider.net");
  EXPECT_EQ(ask("example.com"), "OK dane-only");
  EXPECT_EQ(resolver_.count("TLSA _25._tcp.mx1.example.com"), 0u);
}

TEST_F(DaneTest, Verdicts_AreCachedByTtl_AndAnsweredAtOnce) {
  signed_domain("example.com", {"mx1.example.com"});
  tlsa_for("mx1.example.com");
  EXPECT_EQ(ask("example.com"), "OK dane-only");
  const int now_before = answered_now_;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ask("example.com"), "OK dane-only");
  }
  EXPECT_EQ(answered_now_ - now_before, 5) << "cached verdicts need no coroutine";
  EXPECT_EQ(resolver_.count("TLSA _25._tcp.mx1.example.com"), 1u);
  clock_.advance(core::Seconds(301));  // past the TTLs (300)
  no_tlsa("mx1.example.com");
  EXPECT_EQ(ask("example.com"), "OK secure match=mx1.example.com servername=hostname");
  EXPECT_EQ(resolver_.count("TLSA _25._tcp.mx1.example.com"), 2u);
  EXPECT_NE(metrics().find("mtasts_dane_cache_entries 1"), std::string::npos);
}

// DNS that drops queries: the verdict not learnt within the zone's timeout is kept as a temp
// one, so only the first lookup waits for the silence.
TEST_F(DaneTest, SilentDns_OnlyTheFirstLookupWaitsForTheTimeout) {
  signed_domain("example.com", {"mx1.example.com"});
  tlsa_for("mx1.example.com");
  options_.zones["slow"] = ZoneSettings{.timeout = 2s};
  EXPECT_EQ(ask("example.com", "slow"), "OK dane-only");
  clock_.advance(core::Seconds(301));  // the verdict expired; the policy did not
  resolver_.hang = true;
  const std::string temp = "TEMP DANE: the DNSSEC state of example.com is not known yet";
  EXPECT_EQ(ask("example.com", "slow"), temp);
  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(ask("example.com", "slow"), temp);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << "waited for the silent DNS";
  }
}

TEST_F(DaneTest, ConcurrentLookups_ShareOneDaneLookup) {
  signed_domain("example.com", {"mx1.example.com"});
  tlsa_for("mx1.example.com");
  ask("example.com");  // discovery and the first verdict
  clock_.advance(core::Seconds(301));
  resolver_.delay = 5ms;
  const std::vector<std::string> replies = ask_concurrently("example.com", 4);
  for (const std::string& reply : replies) {
    EXPECT_EQ(reply, "OK dane-only");
  }
  EXPECT_EQ(resolver_.count("TLSA _25._tcp.mx1.example.com"), 2u);
}

TEST_F(DaneTest, BracketedNexthop_IsJudgedAsItsOwnHost) {
  publish("relay.example.com", "enforce", {"relay.example.com"});
  resolver_.set_address("relay.example.com", {"192.0.2.25"});
  resolver_.set_secure("", {"relay.example.com"});
  tlsa_for("relay.example.com");
  EXPECT_EQ(ask("[relay.example.com]:25"), "OK dane-only");
  EXPECT_EQ(resolver_.count("MX relay.example.com"), 0u);
}

TEST_F(DaneTest, Off_AsksNothingAboutDane) {
  options_.dane = false;
  signed_domain("example.com", {"mx1.example.com"});
  tlsa_for("mx1.example.com");
  EXPECT_EQ(ask("example.com"), "OK secure match=mx1.example.com servername=hostname");
  EXPECT_EQ(resolver_.count("TLSA _25._tcp.mx1.example.com"), 0u);
}

}  // namespace
}  // namespace mtasts::net

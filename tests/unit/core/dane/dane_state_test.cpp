// DANE first: which TLSA records count, and the level a destination's DNSSEC facts ask for.

#include "mtasts/core/dane/dane_state.hpp"

#include <gtest/gtest.h>

namespace mtasts::core {
namespace {

using Fact = DnsFact;

TlsaRecord tlsa(std::uint8_t usage, std::uint8_t selector, std::uint8_t matching,
                std::size_t size) {
  return TlsaRecord{usage, selector, matching, size};
}

TEST(TlsaUsable, UsagesSelectorsAndDigestLengths) {
  struct Case {
    TlsaRecord record;
    bool usable;
  };
  const Case cases[] = {
      {tlsa(3, 1, 1, 32), true},   // DANE-EE SPKI SHA-256: the common one
      {tlsa(2, 1, 1, 32), true},   // DANE-TA
      {tlsa(3, 0, 2, 64), true},   // full certificate, SHA-512
      {tlsa(2, 0, 0, 700), true},  // the full certificate itself
      {tlsa(0, 1, 1, 32), false},  // PKIX-TA: not for SMTP (RFC 7672 §3.1.3)
      {tlsa(1, 1, 1, 32), false},  // PKIX-EE
      {tlsa(4, 1, 1, 32), false},  // unassigned usage
      {tlsa(3, 2, 1, 32), false},  // unassigned selector
      {tlsa(3, 1, 3, 32), false},  // unassigned matching type
      {tlsa(3, 1, 1, 31), false},  // SHA-256 one octet short
      {tlsa(3, 1, 1, 64), false},  // a SHA-512 length under SHA-256
      {tlsa(3, 1, 2, 32), false},  // a SHA-256 length under SHA-512
      {tlsa(3, 1, 0, 0), false},   // empty full data
  };
  for (const Case& c : cases) {
    EXPECT_EQ(tlsa_usable(c.record), c.usable)
        << int(c.record.usage) << " " << int(c.record.selector) << " " << int(c.record.matching)
        << " len " << c.record.data_size;
  }
}

DaneHostFacts host(std::string name, DnsEvidence addresses, DnsEvidence tlsa_evidence = {},
                   std::vector<TlsaRecord> records = {}) {
  return DaneHostFacts{std::move(name), addresses, tlsa_evidence, std::move(records)};
}

const DnsEvidence kSecureFound{Fact::found, true};
const DnsEvidence kInsecureFound{Fact::found, false};
const DnsEvidence kSecureNone{Fact::none, true};
const DnsEvidence kInsecureNone{Fact::none, false};
const DnsEvidence kFailed{Fact::failed, false};

DaneHostFacts usable_host(std::string name) {
  return host(std::move(name), kSecureFound, kSecureFound, {tlsa(3, 1, 1, 32)});
}

DaneHostFacts plain_host(std::string name) {
  return host(std::move(name), kSecureFound, kSecureNone);
}

const DaneMxFacts kSecureMx{kSecureFound, false};

TEST(ClassifyHost, EachFactCombination) {
  EXPECT_EQ(classify_host(usable_host("a")), HostDane::usable);
  EXPECT_EQ(classify_host(plain_host("a")), HostDane::none);
  // Insecure addresses: TLSA does not count, even a secure, usable one (RFC 7672 §2.2.2).
  EXPECT_EQ(classify_host(host("a", kInsecureFound, kSecureFound, {tlsa(3, 1, 1, 32)})),
            HostDane::none);
  EXPECT_EQ(classify_host(host("a", kSecureFound, kInsecureFound, {tlsa(3, 1, 1, 32)})),
            HostDane::none);
  EXPECT_EQ(classify_host(host("a", kSecureFound, kInsecureNone)), HostDane::none);
  EXPECT_EQ(classify_host(host("a", kSecureFound, kSecureFound, {tlsa(1, 1, 1, 32)})),
            HostDane::none);
  EXPECT_EQ(classify_host(host("a", kSecureFound, kFailed)), HostDane::unknown);
  EXPECT_EQ(classify_host(host("a", kSecureNone)), HostDane::unreachable);
  EXPECT_EQ(classify_host(host("a", kFailed)), HostDane::unreachable);
}

TEST(DecideDane, EveryHostUsable_IsDaneOnly) {
  const DaneVerdict v = decide_dane(kSecureMx, {usable_host("mx1"), usable_host("mx2")});
  EXPECT_EQ(v.level, DaneLevel::dane_only);
  EXPECT_EQ(v.reason, DaneReason::all_hosts_tlsa);
  EXPECT_EQ(render_dane_reply(v, "example.com"), "OK dane-only");
}

TEST(DecideDane, SomeHostsUsable_IsDane) {
  const DaneVerdict v = decide_dane(kSecureMx, {usable_host("mx1"), plain_host("mx2")});
  EXPECT_EQ(v.level, DaneLevel::dane);
  EXPECT_EQ(v.reason, DaneReason::some_hosts_tlsa);
  EXPECT_EQ(render_dane_reply(v, "example.com"), "OK dane");
}

TEST(DecideDane, NoHostUsable_LeavesMtaSts) {
  const DaneVerdict v = decide_dane(kSecureMx, {plain_host("mx1"), plain_host("mx2")});
  EXPECT_EQ(v.level, DaneLevel::none);
  EXPECT_EQ(v.reason, DaneReason::no_usable_tlsa);
}

// postfix-tlspol #172 and #189: a host that does not resolve, or whose address lookup fails,
// is one Postfix cannot use either; it never fails a domain whose other hosts are fine.
TEST(DecideDane, UnreachableHosts_DoNotDecide) {
  EXPECT_EQ(decide_dane(kSecureMx, {usable_host("mx1"), host("gone", kSecureNone)}).level,
            DaneLevel::dane_only);
  EXPECT_EQ(decide_dane(kSecureMx, {usable_host("mx1"), host("flaky", kFailed)}).level,
            DaneLevel::dane_only);
  EXPECT_EQ(decide_dane(kSecureMx, {plain_host("mx1"), host("flaky", kFailed)}).level,
            DaneLevel::none);
  const DaneVerdict none = decide_dane(kSecureMx, {host("a", kFailed), host("b", kSecureNone)});
  EXPECT_EQ(none.level, DaneLevel::none);
  EXPECT_EQ(none.reason, DaneReason::no_reachable_host);
}

// Never a downgrade: when the only thing unknown might be TLSA, MTA-STS must not take over.
TEST(DecideDane, TlsaLookupFailed_WithNoUsableHost_IsTemp) {
  const DaneVerdict v =
      decide_dane(kSecureMx, {plain_host("mx1"), host("mx2", kSecureFound, kFailed)});
  EXPECT_EQ(v.level, DaneLevel::temp);
  EXPECT_EQ(v.reason, DaneReason::tlsa_lookup_failed);
  EXPECT_EQ(v.host, "mx2");
  EXPECT_EQ(render_dane_reply(v, "example.com"),
            "TEMP DANE: the TLSA lookup of MX host mx2 failed");
}

TEST(DecideDane, TlsaLookupFailed_BesideAUsableHost_IsDane) {
  // Postfix's own TLSA lookup defers the failing host; the usable one carries the mail.
  EXPECT_EQ(decide_dane(kSecureMx, {usable_host("mx1"), host("mx2", kSecureFound, kFailed)}).level,
            DaneLevel::dane);
}

TEST(DecideDane, MxFacts_DecideBeforeTheHosts) {
  const DaneVerdict failed = decide_dane({kFailed, false}, {usable_host("mx1")});
  EXPECT_EQ(failed.level, DaneLevel::temp);
  EXPECT_EQ(failed.reason, DaneReason::mx_lookup_failed);
  EXPECT_EQ(render_dane_reply(failed, "example.com"),
            "TEMP DANE: the MX lookup of example.com failed");
  // An insecure MX RRset lets an attacker name hosts without TLSA: MTA-STS governs.
  const DaneVerdict insecure = decide_dane({kInsecureFound, false}, {usable_host("mx1")});
  EXPECT_EQ(insecure.level, DaneLevel::none);
  EXPECT_EQ(insecure.reason, DaneReason::mx_insecure);
  EXPECT_EQ(decide_dane({kInsecureNone, false}, {usable_host("example.com")}).reason,
            DaneReason::mx_insecure);
  EXPECT_EQ(decide_dane({kSecureFound, true}, {}).reason, DaneReason::null_mx);
  // An implicit MX whose absence is signed: the domain itself is judged as the host.
  EXPECT_EQ(decide_dane({kSecureNone, false}, {usable_host("example.com")}).level,
            DaneLevel::dane_only);
}

TEST(DaneNames, EveryValueHasADistinctName) {
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < kDaneReasons; ++i) {
    names.push_back(dane_reason_name(static_cast<DaneReason>(i)));
  }
  for (std::size_t i = 0; i < kDaneLevels; ++i) {
    names.push_back(dane_level_name(static_cast<DaneLevel>(i)));
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  EXPECT_EQ(dane_reason_name(DaneReason::lookup_timed_out), "lookup-timed-out");
}

}  // namespace
}  // namespace mtasts::core

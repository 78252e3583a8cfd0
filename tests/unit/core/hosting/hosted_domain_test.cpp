// The hosted domain model: ids, validation, lifecycle, records and the served body.

#include "mtasts/core/hosting/hosted_domain.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mtasts/core/sts/sts_record.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_record.hpp"

namespace mtasts::core {
namespace {

using std::chrono::seconds;

HostTime at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  const std::chrono::sys_days day{std::chrono::year{y} / std::chrono::month{m} /
                                  std::chrono::day{d}};
  return HostTime{day} + std::chrono::hours{hh} + std::chrono::minutes{mm} + seconds{ss};
}

const HostTime kNow = at(2025, 3, 4, 5, 6, 7);
constexpr std::string_view kStamp = "20250304050607";

HostedPolicy enforce(std::vector<std::string> mx, std::uint32_t max_age = 604800) {
  return HostedPolicy{PolicyMode::enforce, std::move(mx), max_age};
}

// --- names -----------------------------------------------------------------------------------

TEST(HostedDomain, RecordModeNames_RoundTrip_ExactSpellingOnly) {
  for (const RecordMode mode : {RecordMode::self, RecordMode::delegated}) {
    EXPECT_EQ(parse_record_mode(record_mode_name(mode)), mode);
  }
  EXPECT_EQ(record_mode_name(RecordMode::delegated), "delegated");
  EXPECT_FALSE(parse_record_mode("Self"));
  EXPECT_FALSE(parse_record_mode(""));
}

TEST(HostedDomain, HostedStateNames_RoundTrip_ExactSpellingOnly) {
  for (const HostedState state : {HostedState::active, HostedState::removing}) {
    EXPECT_EQ(parse_hosted_state(hosted_state_name(state)), state);
  }
  EXPECT_EQ(hosted_state_name(HostedState::removing), "removing");
  EXPECT_FALSE(parse_hosted_state("ACTIVE"));
}

TEST(HostedDomain, FormatUtc_Table_Rfc3339Seconds) {
  struct Case {
    HostTime t;
    std::string want;
  };
  const std::vector<Case> cases = {
      {kNow, "2025-03-04T05:06:07Z"},
      {HostTime{}, "1970-01-01T00:00:00Z"},
      {at(2024, 2, 29, 23, 59, 59), "2024-02-29T23:59:59Z"},
      {HostTime{seconds{-1}}, "1969-12-31T23:59:59Z"},
      {at(12000, 1, 1), "9999-12-31T23:59:59Z"},  // clamped
  };
  for (const Case& c : cases) {
    EXPECT_EQ(format_utc(c.t), c.want);
  }
}

// --- ids -------------------------------------------------------------------------------------

TEST(HostedDomain, NextPolicyId_Table_MatchesExpected) {
  struct Case {
    std::string name;
    HostTime now;
    std::string previous;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"no previous: the UTC time", kNow, "", std::string(kStamp)},
      {"previous earlier: the time", kNow, "20250304050606", std::string(kStamp)},
      {"same second: previous + 1", kNow, std::string(kStamp), "20250304050608"},
      {"clock went back: previous + 1", kNow, "20250304050610", "20250304050611"},
      {"carry through nines", kNow, "20250304059999", "20250304060000"},
      {"previous not digits: as 0", kNow, "abc", std::string(kStamp)},
      {"previous partly digits: as 0", kNow, "2099030405060x", std::string(kStamp)},
      {"leading zeros compare by value", kNow, "0020250304050607", "0020250304050608"},
      {"longer previous grows", kNow, "99999999999999999999", "100000000000000000000"},
      {"31 nines: 32 digits", kNow, std::string(31, '9'), "1" + std::string(31, '0')},
      {"32 nines: back to the time", kNow, std::string(32, '9'), std::string(kStamp)},
      {"before 1970", HostTime{seconds{-1}}, "", "19691231235959"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(next_policy_id(c.now, c.previous), c.want);
  }
}

TEST(HostedDomain, NextPolicyId_ManyChangesInOneSecond_StrictlyGrowingValidIds) {
  std::string id;
  std::string before;
  for (int i = 0; i < 50; ++i) {
    id = next_policy_id(kNow, id);
    SCOPED_TRACE(id);
    EXPECT_LE(id.size(), kMaxStsIdLength);
    const Result<StsRecord> record = parse_sts_record(sts_record_text(id));
    ASSERT_TRUE(record) << record.error().message;
    EXPECT_EQ(record->id, id);
    if (!before.empty()) {
      EXPECT_TRUE(id.size() > before.size() || (id.size() == before.size() && id > before));
    }
    before = id;
  }
  EXPECT_EQ(id, "20250304050656");
}

TEST(HostedDomain, NextPolicyId_NearThe32DigitLimit_NeverLonger) {
  std::string id = std::string(31, '9') + "7";
  for (int i = 0; i < 5; ++i) {
    id = next_policy_id(kNow, id);
    EXPECT_LE(id.size(), kMaxStsIdLength) << id;
    EXPECT_FALSE(id.empty());
  }
}

// --- validation ------------------------------------------------------------------------------

TEST(HostedDomain, ValidateHostedPolicy_Errors_NameTheField) {
  struct Case {
    std::string name;
    HostedPolicy policy;
    std::string field;  // the message starts with "<field>: "
  };
  std::vector<std::string> too_many;
  for (int i = 0; i <= 100; ++i) {
    too_many.push_back("mx" + std::to_string(i) + ".example.com");
  }
  const std::vector<Case> cases = {
      {"bad second pattern", enforce({"mail.example.com", "bad_host.example.com"}), "mx[1]"},
      {"IP address", enforce({"192.0.2.1"}), "mx[0]"},
      {"U-label", enforce({"*.example.com", "mx.exämple.com"}), "mx[1]"},
      {"two wildcards", enforce({"*.*.example.com"}), "mx[0]"},
      {"empty pattern", enforce({""}), "mx[0]"},
      {"trailing dot", enforce({"mail.example.com."}), "mx[0]"},
      {"enforce without mx", enforce({}), "mx"},
      {"testing without mx", HostedPolicy{PolicyMode::testing, {}, 86400}, "mx"},
      {"101 patterns", enforce(too_many), "mx"},
      {"max_age 0", enforce({"mail.example.com"}, 0), "max_age"},
      {"max_age over a year", enforce({"mail.example.com"}, 31557601), "max_age"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Result<HostedPolicy> got = validate_hosted_policy(c.policy);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, Errc::invalid_value);
    EXPECT_TRUE(got.error().message.starts_with(c.field + ": ")) << got.error().message;
  }
}

TEST(HostedDomain, ValidateHostedPolicy_Accepted_Normalised) {
  struct Case {
    std::string name;
    HostedPolicy policy;
    HostedPolicy want;
  };
  const std::vector<Case> cases = {
      {"lowercased, duplicates dropped keeping the first",
       enforce({"MAIL.Example.com", "*.EXAMPLE.net", "mail.example.com"}),
       enforce({"mail.example.com", "*.example.net"})},
      {"none without mx", HostedPolicy{PolicyMode::none, {}, 86400},
       HostedPolicy{PolicyMode::none, {}, 86400}},
      {"max_age bounds 1", enforce({"a.example"}, 1), enforce({"a.example"}, 1)},
      {"max_age bounds max", enforce({"a.example"}, 31557600), enforce({"a.example"}, 31557600)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Result<HostedPolicy> got = validate_hosted_policy(c.policy);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, c.want);
  }
}

// --- the served body -------------------------------------------------------------------------

TEST(HostedDomain, RenderHostedPolicy_Table_CanonicalAndParsesBack) {
  struct Case {
    HostedPolicy policy;
    std::string want;
  };
  const std::vector<Case> cases = {
      {enforce({"mail.example.com", "*.backup.example.net"}),
       "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.backup.example.net\r\n"
       "max_age: 604800\r\n"},
      {HostedPolicy{PolicyMode::testing, {"mx.example.org"}, 86400},
       "version: STSv1\r\nmode: testing\r\nmx: mx.example.org\r\nmax_age: 86400\r\n"},
      {HostedPolicy{PolicyMode::none, {}, kHostedRemovalMaxAge},
       "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n"},
  };
  for (const Case& c : cases) {
    const std::string body = render_hosted_policy(c.policy);
    SCOPED_TRACE(body);
    EXPECT_EQ(body, c.want);
    EXPECT_TRUE(body.starts_with("version: STSv1\r\n"));  // version first, no BOM
    EXPECT_EQ(body.find("\r\n\r\n"), std::string::npos);  // no blank line
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\n') {
        EXPECT_TRUE(i > 0 && body[i - 1] == '\r') << "bare LF at " << i;
      }
    }
    const PolicyReport report = lint_policy(body);
    ASSERT_TRUE(report.policy);
    EXPECT_EQ(report.policy->mode, c.policy.mode);
    EXPECT_EQ(report.policy->max_age, c.policy.max_age);
    std::vector<std::string> mx;
    for (const MxPatternView p : report.policy->mx) {
      mx.push_back(p.text());
    }
    EXPECT_EQ(mx, c.policy.mx);
    EXPECT_TRUE(report.policy->lines.empty()) << "the body is the canonical form";
    for (const Finding& w : report.findings.warnings) {
      EXPECT_TRUE(w.code == "policy-mode-testing" || w.code == "policy-max-age-short") << w.code;
    }
    EXPECT_EQ(render_policy(*report.policy), body);
  }
}

// --- proposal from live MX -------------------------------------------------------------------

TEST(HostedDomain, ProposeHostedPolicy_Table_DistinctHostsInOrder) {
  struct Case {
    std::string name;
    std::vector<std::string> hosts;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"dedupe, lowercase, trailing dot",
       {"mx1.example.com.", "MX2.example.com", "mx1.example.com"},
       {"mx1.example.com", "mx2.example.com"}},
      {"null MX only", {""}, {}},
      {"null MX as a dot", {"."}, {}},
      {"null MX among others dropped", {"", "mx.example.com"}, {"mx.example.com"}},
      {"address and wildcard left out",
       {"192.0.2.1", "*.example.com", "mx.example.com"},
       {"mx.example.com"}},
      {"nothing", {}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const HostedPolicy got = propose_hosted_policy(c.hosts);
    EXPECT_EQ(got.mx, c.want);
    EXPECT_EQ(got.mode, PolicyMode::testing);
    EXPECT_EQ(got.max_age, kHostedDefaultMaxAge);
  }
}

TEST(HostedDomain, ProposeHostedPolicy_OnlyNullMx_RefusedByValidation) {
  const Result<HostedPolicy> got = validate_hosted_policy(propose_hosted_policy({""}));
  ASSERT_FALSE(got);
  EXPECT_TRUE(got.error().message.starts_with("mx: ")) << got.error().message;
}

// --- lifecycle -------------------------------------------------------------------------------

TEST(HostedDomain, NewHostedDomain_FirstVersion_IdFromTheTime) {
  const HostedDomain d = new_hosted_domain("example.com", enforce({"mx.example.com"}, 1209600),
                                           RecordMode::delegated, kNow);
  EXPECT_EQ(d.name, "example.com");
  EXPECT_EQ(d.state, HostedState::active);
  EXPECT_EQ(d.records, RecordMode::delegated);
  EXPECT_EQ(d.current.id, kStamp);
  EXPECT_EQ(d.current.created_at, kNow);
  EXPECT_EQ(d.current.policy, enforce({"mx.example.com"}, 1209600));
  EXPECT_EQ(d.longest_max_age, 1209600u);
  EXPECT_EQ(d.created_at, kNow);
  EXPECT_EQ(d.updated_at, kNow);
  EXPECT_FALSE(d.serve_until);
  EXPECT_TRUE(hosted_serving(d, kNow));
}

TEST(HostedDomain, ChangeHostedPolicy_SamePolicy_UnchangedNoNewId) {
  const HostedDomain d =
      new_hosted_domain("example.com", enforce({"mx.example.com"}), RecordMode::self, kNow);
  // Written differently, equal once normalised.
  const Result<PolicyChange> got =
      change_hosted_policy(d, enforce({"MX.example.com", "mx.example.com"}), kNow + seconds{60});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->result, ChangeResult::unchanged);
  EXPECT_EQ(got->domain, d);
}

TEST(HostedDomain, ChangeHostedPolicy_NewPolicy_NewVersion) {
  const HostedDomain d =
      new_hosted_domain("example.com", enforce({"mx.example.com"}), RecordMode::self, kNow);
  const HostTime later = kNow + seconds{3600};
  const Result<PolicyChange> got =
      change_hosted_policy(d, enforce({"mx.example.com", "mx2.example.com"}, 86400), later);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->result, ChangeResult::changed);
  EXPECT_EQ(got->domain.current.id, "20250304060607");
  EXPECT_EQ(got->domain.current.created_at, later);
  EXPECT_EQ(got->domain.current.policy.mx,
            (std::vector<std::string>{"mx.example.com", "mx2.example.com"}));
  EXPECT_EQ(got->domain.updated_at, later);
  EXPECT_EQ(got->domain.created_at, kNow);
  EXPECT_EQ(got->domain.longest_max_age, 604800u) << "the longest served so far stays";
}

TEST(HostedDomain, ChangeHostedPolicy_SameSecond_IdStillGrows) {
  const HostedDomain d =
      new_hosted_domain("example.com", enforce({"mx.example.com"}), RecordMode::self, kNow);
  const Result<PolicyChange> got = change_hosted_policy(d, enforce({"mx2.example.com"}), kNow);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->domain.current.id, "20250304050608");
}

TEST(HostedDomain, ChangeHostedPolicy_InvalidPolicy_ErrorNamesField) {
  const HostedDomain d =
      new_hosted_domain("example.com", enforce({"mx.example.com"}), RecordMode::self, kNow);
  const Result<PolicyChange> got = change_hosted_policy(d, enforce({}, 86400), kNow);
  ASSERT_FALSE(got);
  EXPECT_TRUE(got.error().message.starts_with("mx: ")) << got.error().message;
}

TEST(HostedDomain, BeginHostedRemoval_LongestMaxAgeBefore_ServeUntilAndNoneBody) {
  HostedDomain d = new_hosted_domain("example.com", enforce({"mx.example.com"}, 2592000),
                                     RecordMode::self, kNow);
  d = change_hosted_policy(d, enforce({"mx.example.com"}, 3600), kNow + seconds{10})->domain;
  ASSERT_EQ(d.current.policy.max_age, 3600u);
  ASSERT_EQ(d.longest_max_age, 2592000u);
  const HostTime start = kNow + seconds{100};
  const Result<HostedDomain> removed = begin_hosted_removal(d, start);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(removed->state, HostedState::removing);
  EXPECT_EQ(removed->serve_until, start + seconds{2592000});
  EXPECT_EQ(removed->current.policy, (HostedPolicy{PolicyMode::none, {}, kHostedRemovalMaxAge}));
  EXPECT_EQ(removed->current.created_at, start);
  EXPECT_NE(removed->current.id, d.current.id);
  EXPECT_EQ(removed->current.id, "20250304050747");
  EXPECT_EQ(removed->updated_at, start);

  const Result<Policy> body = parse_policy(render_hosted_policy(removed->current.policy));
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(body->mode, PolicyMode::none);
  EXPECT_EQ(body->max_age, kHostedRemovalMaxAge);
  EXPECT_TRUE(body->mx.empty());

  EXPECT_TRUE(hosted_serving(*removed, start));
  EXPECT_TRUE(hosted_serving(*removed, start + seconds{2592000 - 1}));
  EXPECT_FALSE(hosted_serving(*removed, start + seconds{2592000}));
}

TEST(HostedDomain, BeginHostedRemoval_ShortMaxAges_ServeUntilUsesThemNoneCounted) {
  const HostedDomain d =
      new_hosted_domain("example.com", enforce({"mx.example.com"}, 3600), RecordMode::self, kNow);
  const Result<HostedDomain> removed = begin_hosted_removal(d, kNow);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->serve_until, kNow + seconds{3600});
  EXPECT_EQ(removed->longest_max_age, kHostedRemovalMaxAge);
}

TEST(HostedDomain, Removing_ChangeOrRemoveAgain_Refused) {
  const HostedDomain d =
      new_hosted_domain("example.com", enforce({"mx.example.com"}), RecordMode::self, kNow);
  const HostedDomain removed = *begin_hosted_removal(d, kNow);
  const Result<HostedDomain> again = begin_hosted_removal(removed, kNow);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::invalid_value);
  const Result<PolicyChange> change =
      change_hosted_policy(removed, enforce({"mx.example.com"}), kNow);
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().code, Errc::invalid_value);
}

TEST(HostedDomain, HostedServing_RemovingWithoutServeUntil_NotServed) {
  HostedDomain d =
      new_hosted_domain("example.com", enforce({"mx.example.com"}), RecordMode::self, kNow);
  d.state = HostedState::removing;
  EXPECT_FALSE(hosted_serving(d, kNow));
}

// --- records ---------------------------------------------------------------------------------

ServiceIdentity service_with(std::string hostname, std::vector<std::string> addresses,
                             std::string zone) {
  return ServiceIdentity{std::move(hostname), std::move(addresses), std::move(zone), 600, true, {}};
}

TEST(HostedDomain, HostedRecords_Table_SelfAndDelegated) {
  const std::string id(kStamp);
  const std::string txt = "v=STSv1; id=" + id;
  const DnsRecordSpec tlsrpt{"_smtp._tls.example.com", "TXT",
                             "v=TLSRPTv1; rua=https://mta-sts.example.com/tlsrpt", 600, false};
  const ServiceIdentity by_name =
      service_with("mta-sts.provider.example.", {"192.0.2.10"}, "sts.provider.example");
  const ServiceIdentity by_address =
      service_with("", {"192.0.2.10", "2001:db8::10"}, "sts.provider.example.");
  const ServiceIdentity no_zone = service_with("mta-sts.provider.example", {}, "");
  struct Case {
    std::string name;
    RecordMode records;
    ServiceIdentity service;
    std::vector<DnsRecordSpec> want;
  };
  const std::vector<Case> cases = {
      {"self, host name",
       RecordMode::self,
       by_name,
       {{"mta-sts.example.com", "CNAME", "mta-sts.provider.example", 600, false},
        {"_mta-sts.example.com", "TXT", txt, 600, false},
        tlsrpt}},
      {"self, addresses",
       RecordMode::self,
       by_address,
       {{"mta-sts.example.com", "A", "192.0.2.10", 600, false},
        {"mta-sts.example.com", "AAAA", "2001:db8::10", 600, false},
        {"_mta-sts.example.com", "TXT", txt, 600, false},
        tlsrpt}},
      {"delegated, host name",
       RecordMode::delegated,
       by_name,
       {{"mta-sts.example.com", "CNAME", "mta-sts.provider.example", 600, false},
        {"_mta-sts.example.com", "CNAME", "example.com.sts.provider.example", 600, false},
        {"example.com.sts.provider.example", "TXT", txt, 600, true},
        tlsrpt}},
      {"delegated, addresses",
       RecordMode::delegated,
       by_address,
       {{"mta-sts.example.com", "A", "192.0.2.10", 600, false},
        {"mta-sts.example.com", "AAAA", "2001:db8::10", 600, false},
        {"_mta-sts.example.com", "CNAME", "example.com.sts.provider.example", 600, false},
        {"example.com.sts.provider.example", "TXT", txt, 600, true},
        tlsrpt}},
      {"delegated without a zone: self records",
       RecordMode::delegated,
       no_zone,
       {{"mta-sts.example.com", "CNAME", "mta-sts.provider.example", 600, false},
        {"_mta-sts.example.com", "TXT", txt, 600, false},
        tlsrpt}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const HostedDomain d =
        new_hosted_domain("example.com", enforce({"mx.example.com"}), c.records, kNow);
    EXPECT_EQ(hosted_records(d, c.service), c.want);
  }
}

TEST(HostedDomain, TlsrptRecordText_Intakes_ParseBackAsEachRua) {
  ServiceIdentity service = service_with("mta-sts.provider.example", {}, "");
  struct Case {
    bool https;
    std::string mail_domain;
    std::vector<std::string> rua;  // empty: no record at all
  };
  const std::vector<Case> cases = {
      {true, "", {"https://mta-sts.example.com/tlsrpt"}},
      {true,
       "tlsrpt.provider.example.",
       {"https://mta-sts.example.com/tlsrpt", "mailto:example.com@tlsrpt.provider.example"}},
      {false, "tlsrpt.provider.example", {"mailto:example.com@tlsrpt.provider.example"}},
      {false, "", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mail_domain + (c.https ? " https" : " no https"));
    service.report_https = c.https;
    service.report_mail_domain = c.mail_domain;
    const std::string text = tlsrpt_record_text("example.com.", service);
    const HostedDomain d =
        new_hosted_domain("example.com", enforce({"mx.example.com"}), RecordMode::self, kNow);
    const std::vector<DnsRecordSpec> records = hosted_records(d, service);
    if (c.rua.empty()) {
      EXPECT_EQ(text, "");
      EXPECT_EQ(records.back().owner, "_mta-sts.example.com");
      continue;
    }
    const Result<TlsrptRecord> parsed = parse_tlsrpt_record(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(parsed->rua, c.rua);
    EXPECT_EQ(records.back().owner, "_smtp._tls.example.com");
    EXPECT_EQ(records.back().value, text);
  }
}

TEST(HostedDomain, DelegatedRecordOwner_TrailingDots_Dropped) {
  const ServiceIdentity s = service_with("", {}, "sts.provider.example.");
  EXPECT_EQ(delegated_record_owner("example.com", s), "example.com.sts.provider.example");
  EXPECT_EQ(delegated_record_owner("example.com.", s), "example.com.sts.provider.example");
}

TEST(HostedDomain, StsRecordText_Id_ParsesBack) {
  EXPECT_EQ(sts_record_text("20250304050607"), "v=STSv1; id=20250304050607");
  const Result<StsRecord> record = parse_sts_record(sts_record_text("abc123"));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->id, "abc123");
}

}  // namespace
}  // namespace mtasts::core

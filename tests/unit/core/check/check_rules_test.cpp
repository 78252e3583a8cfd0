// The pure rules of `mtasts check`: what each input means as check findings.

#include "mtasts/core/check/check_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mtasts::core {
namespace {

using Coded = std::pair<std::string, CheckSeverity>;

constexpr CheckSeverity kError = CheckSeverity::error;
constexpr CheckSeverity kWarning = CheckSeverity::warning;
constexpr CheckSeverity kInfo = CheckSeverity::info;

std::vector<Coded> coded(const CheckFindings& findings) {
  std::vector<Coded> out;
  for (const CheckFinding& f : findings) {
    out.emplace_back(f.code, f.severity);
  }
  return out;
}

std::vector<TxtStrings> rrs(std::vector<std::string> texts) {
  std::vector<TxtStrings> out;
  for (std::string& text : texts) {
    out.push_back(TxtStrings{std::move(text)});
  }
  return out;
}

// A finding carries the catalogue's row and the subject it was given.
void expect_catalogued(const CheckFindings& findings, std::string_view subject) {
  for (const CheckFinding& f : findings) {
    const CheckCodeInfo& info = check_code_info(f.id);
    EXPECT_EQ(f.code, info.code);
    EXPECT_EQ(f.severity, info.severity);
    EXPECT_EQ(f.area, info.area);
    EXPECT_EQ(f.rfc, info.rfc);
    EXPECT_EQ(f.fix, info.fix);
    EXPECT_EQ(f.subject, subject);
    EXPECT_FALSE(f.message.empty());
  }
}

struct RecordCase {
  std::string name;
  std::vector<std::string> txt;
  std::vector<Coded> want;
};

TEST(CheckRules, CheckStsSelection_Table) {
  const std::vector<RecordCase> cases = {
      {"one valid record", {"v=STSv1; id=20240101"}, {}},
      {"no TXT at all", {}, {{"sts-record-missing", kError}}},
      {"only unrelated TXT", {"v=spf1 -all", "hello"}, {{"sts-record-missing", kError}}},
      {"two records", {"v=STSv1; id=1", "v=STSv1; id=2"}, {{"sts-record-multiple", kError}}},
      {"id missing", {"v=STSv1;"}, {{"sts-record-invalid", kError}}},
      {"id too long", {"v=STSv1; id=" + std::string(33, 'a')}, {{"sts-record-invalid", kError}}},
      {"id with a dash", {"v=STSv1; id=2024-01"}, {{"sts-record-invalid", kError}}},
      {"duplicate id warns", {"v=STSv1; id=1; id=2"}, {{"sts-record-warning", kWarning}}},
      {"duplicate invalid id warns", {"v=STSv1; id=1; id=a-b"}, {{"sts-record-warning", kWarning}}},
      {"wrong case", {"v=stsv1; id=1"}, {{"sts-record-ignored", kError}}},
      {"version not first", {"id=1; v=STSv1"}, {{"sts-record-ignored", kError}}},
      {"missing semicolon", {"v=STSv1 id=1"}, {{"sts-record-ignored", kError}}},
      {"spaces in the version", {"v = STSv1; id=1"}, {{"sts-record-ignored", kError}}},
      {"quoted text", {"\"v=STSv1; id=1\""}, {{"sts-record-ignored", kError}}},
      {"a near miss beside a valid record", {"v=stsv1; id=1", "v=STSv1; id=2"}, {}},
      {"near miss and unrelated",
       {"V=STSv1; id=1", "v=spf1 -all"},
       {{"sts-record-ignored", kError}}},
  };
  for (const RecordCase& c : cases) {
    SCOPED_TRACE(c.name);
    const CheckFindings got = check_sts_selection(select_sts_record(rrs(c.txt)), "_mta-sts.a.test");
    EXPECT_EQ(coded(got), c.want);
    expect_catalogued(got, "_mta-sts.a.test");
  }
}

// The owner hears why senders discard the record and what to write instead.
TEST(CheckRules, CheckStsSelection_IgnoredRecord_SaysWhyAndWhatToWrite) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"v=stsv1; id=20240101", "case-sensitive"},
      {"id=20240101; v=STSv1", "\"v=STSv1\" must come first"},
      {"v=STSv1 id=20240101", "must be followed by \";\""},
      {"v = STSv1; id=20240101", "without spaces"},
  };
  for (const auto& [txt, why] : cases) {
    SCOPED_TRACE(txt);
    const CheckFindings got = check_sts_selection(select_sts_record(rrs({txt})), "_mta-sts.a.test");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0].message.find("this record is ignored by senders because"), std::string::npos)
        << got[0].message;
    EXPECT_NE(got[0].message.find(why), std::string::npos) << got[0].message;
    EXPECT_NE(got[0].message.find("write \"v=STSv1; id=20240101;\" instead"), std::string::npos)
        << got[0].message;
  }
  const CheckFindings no_id =
      check_sts_selection(select_sts_record(rrs({"v=STSv1 id=2024-01"})), "x");
  ASSERT_EQ(no_id.size(), 1u);
  EXPECT_NE(no_id[0].message.find("id=<1-32 letters or digits>"), std::string::npos)
      << no_id[0].message;
}

TEST(CheckRules, CheckStsSelection_Multiple_MessageCountsCandidates) {
  const CheckFindings got = check_sts_selection(
      select_sts_record(rrs({"v=STSv1; id=1", "v=STSv1; id=2", "v=STSv1; id=3"})),
      "_mta-sts.a.test");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].message.find('3'), std::string::npos) << got[0].message;
}

struct BodyCase {
  std::string name;
  std::string body;
  std::vector<Coded> want;
};

const std::string kCrlfEnforce =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.a.test\r\nmax_age: 604800\r\n";

TEST(CheckRules, CheckPolicyBody_Table) {
  const std::vector<BodyCase> cases = {
      {"CRLF enforce: nothing", kCrlfEnforce, {}},
      {"LF endings: info",
       "version: STSv1\nmode: enforce\nmx: mx1.a.test\nmax_age: 604800\n",
       {{"policy-line-endings", kInfo}}},
      {"mixed endings: info",
       "version: STSv1\r\nmode: enforce\nmx: mx1.a.test\r\nmax_age: 604800\r\n",
       {{"policy-line-endings", kInfo}}},
      {"no final line end: nothing",
       "version: STSv1\r\nmode: enforce\r\nmx: mx1.a.test\r\nmax_age: 604800",
       {}},
      {"BOM: warning", "\xEF\xBB\xBF" + kCrlfEnforce, {{"policy-bom", kWarning}}},
      {"IP address pattern: warning",
       "version: STSv1\r\nmode: enforce\r\nmx: 192.0.2.1\r\nmax_age: 604800\r\n",
       {{"policy-pattern-ip-address", kWarning}}},
      {"max_age under a day: warning",
       "version: STSv1\r\nmode: enforce\r\nmx: mx1.a.test\r\nmax_age: 86399\r\n",
       {{"policy-max-age-short", kWarning}}},
      {"max_age of a day: nothing",
       "version: STSv1\r\nmode: enforce\r\nmx: mx1.a.test\r\nmax_age: 86400\r\n",
       {}},
      {"mode testing: one warning",
       "version: STSv1\r\nmode: testing\r\nmx: mx1.a.test\r\nmax_age: 604800\r\n",
       {{"policy-mode-testing", kWarning}}},
      {"mode none: info",
       "version: STSv1\r\nmode: none\r\nmx: mx1.a.test\r\nmax_age: 604800\r\n",
       {{"policy-mode-none", kInfo}}},
      {"unknown key: syntax warning",
       "version: STSv1\r\nmode: enforce\r\nmx: mx1.a.test\r\nmax_age: 604800\r\nfoo: bar\r\n",
       {{"policy-syntax-warning", kWarning}}},
      {"mode missing: invalid",
       "version: STSv1\r\nmx: mx1.a.test\r\nmax_age: 604800\r\n",
       {{"policy-invalid", kError}}},
      {"two errors: two findings",
       "version: STSv1\r\nmode: strict\r\nmx: mx1.a.test\r\n",
       {{"policy-invalid", kError}, {"policy-invalid", kError}}},
      {"empty: invalid", "", {{"policy-invalid", kError}}},
      {"over 64 KiB: too large",
       kCrlfEnforce + std::string(65536, 'x'),
       {{"policy-too-large", kError}}},
      {"BOM, LF, testing, short max_age together",
       "\xEF\xBB\xBFversion: STSv1\nmode: testing\nmx: mx1.a.test\nmax_age: 60\n",
       {{"policy-bom", kWarning},
        {"policy-max-age-short", kWarning},
        {"policy-line-endings", kInfo},
        {"policy-mode-testing", kWarning}}},
  };
  const std::string subject = "https://mta-sts.a.test/.well-known/mta-sts.txt";
  for (const BodyCase& c : cases) {
    SCOPED_TRACE(c.name);
    const CheckFindings got = check_policy_body(lint_policy(c.body), c.body, subject);
    EXPECT_EQ(coded(got), c.want);
    expect_catalogued(got, subject);
  }
}

TEST(CheckRules, CheckPolicyBody_Invalid_MessageNamesLine) {
  const std::string body = "version: STSv1\r\nmode: strict\r\nmx: mx1.a.test\r\nmax_age: 1\r\n";
  const CheckFindings got = check_policy_body(lint_policy(body), body, "u");
  ASSERT_FALSE(got.empty());
  EXPECT_NE(got[0].message.find("line 2"), std::string::npos) << got[0].message;
}

struct CoverageCase {
  std::string name;
  std::string mx_lines;
  std::vector<std::string> hosts;
  std::vector<std::pair<std::string, std::string>> want;  // code, subject
};

TEST(CheckRules, CheckMxCoverage_Table) {
  const std::vector<CoverageCase> cases = {
      {"exact names", "mx: mx1.a.test\r\nmx: mx2.a.test\r\n", {"mx1.a.test", "mx2.a.test"}, {}},
      {"trailing dot from DNS", "mx: mx1.a.test\r\n", {"mx1.a.test."}, {}},
      {"one-label wildcard covers two", "mx: *.mx.a.test\r\n", {"x.mx.a.test", "y.mx.a.test"}, {}},
      {"wildcard does not cover two labels",
       "mx: *.a.test\r\nmx: mx1.a.test\r\n",
       {"mx1.a.test", "b.c.a.test"},
       {{"mx-not-covered", "b.c.a.test"},
        {"policy-pattern-wide", "*.a.test"},
        {"policy-pattern-domain-wildcard", "*.a.test"}}},
      {"uncovered host",
       "mx: mx1.a.test\r\n",
       {"mx1.a.test", "backup.b.test"},
       {{"mx-not-covered", "backup.b.test"}}},
      {"stale pattern",
       "mx: mx1.a.test\r\nmx: old.a.test\r\n",
       {"mx1.a.test"},
       {{"policy-pattern-stale", "old.a.test"}}},
      {"wide wildcard",
       "mx: *.mx.a.test\r\n",
       {"x.mx.a.test"},
       {{"policy-pattern-wide", "*.mx.a.test"}}},
      {"domain wildcard",
       "mx: *.a.test\r\n",
       {"mx1.a.test", "mx2.a.test"},
       {{"policy-pattern-domain-wildcard", "*.a.test"}}},
      {"implicit MX covered", "mx: a.test\r\n", {}, {}},
      {"implicit MX uncovered",
       "mx: mx1.a.test\r\n",
       {},
       {{"mx-not-covered", "a.test"}, {"policy-pattern-stale", "mx1.a.test"}}},
  };
  for (const CoverageCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string body =
        "version: STSv1\r\nmode: enforce\r\n" + c.mx_lines + "max_age: 604800\r\n";
    const PolicyReport report = lint_policy(body);
    ASSERT_TRUE(report.policy) << report.findings.first_error();
    const CheckFindings got =
        check_mx_coverage(audit_mx_coverage(*report.policy, "a.test", c.hosts), "a.test");
    std::vector<std::pair<std::string, std::string>> subjects;
    for (const CheckFinding& f : got) {
      subjects.emplace_back(f.code, f.subject);
      EXPECT_EQ(f.severity, check_code_info(f.id).severity);
    }
    EXPECT_EQ(subjects, c.want);
  }
}

TEST(CheckRules, CheckMxCoverage_Severities) {
  const PolicyReport report =
      lint_policy("version: STSv1\r\nmode: enforce\r\nmx: old.a.test\r\nmax_age: 604800\r\n");
  ASSERT_TRUE(report.policy);
  const CheckFindings got =
      check_mx_coverage(audit_mx_coverage(*report.policy, "a.test", {"new.a.test"}), "a.test");
  EXPECT_EQ(coded(got),
            (std::vector<Coded>{{"mx-not-covered", kError}, {"policy-pattern-stale", kWarning}}));
}

TEST(CheckRules, CheckTlsrptSelection_Table) {
  const std::vector<RecordCase> cases = {
      {"valid mailto", {"v=TLSRPTv1; rua=mailto:tlsrpt@a.test"}, {}},
      {"valid https", {"v=TLSRPTv1; rua=https://reports.a.test/tlsrpt"}, {}},
      {"two URIs", {"v=TLSRPTv1; rua=mailto:a@a.test,https://r.a.test/x"}, {}},
      {"missing", {}, {{"tlsrpt-record-missing", kWarning}}},
      {"unrelated TXT only", {"v=spf1 -all"}, {{"tlsrpt-record-missing", kWarning}}},
      {"two records",
       {"v=TLSRPTv1; rua=mailto:a@a.test", "v=TLSRPTv1; rua=mailto:b@a.test"},
       {{"tlsrpt-record-multiple", kWarning}}},
      {"rua missing", {"v=TLSRPTv1;"}, {{"tlsrpt-record-invalid", kWarning}}},
      {"rua not a URI", {"v=TLSRPTv1; rua=tlsrpt@a.test"}, {{"tlsrpt-record-invalid", kWarning}}},
      {"http rua", {"v=TLSRPTv1; rua=http://r.a.test/x"}, {{"tlsrpt-record-invalid", kWarning}}},
  };
  for (const RecordCase& c : cases) {
    SCOPED_TRACE(c.name);
    const CheckFindings got =
        check_tlsrpt_selection(select_tlsrpt_record(rrs(c.txt)), "_smtp._tls.a.test");
    // An invalid record may have several errors: one finding each, all the same code.
    std::vector<Coded> got_coded = coded(got);
    if (!c.want.empty() && got_coded.size() > 1) {
      got_coded.resize(1);
    }
    EXPECT_EQ(got_coded, c.want);
    expect_catalogued(got, "_smtp._tls.a.test");
  }
}

struct ExpiryCase {
  std::optional<std::int64_t> days_left;
  bool warns;
};

TEST(CheckRules, CheckCertExpiry_FourteenDayBoundary) {
  const std::vector<ExpiryCase> cases = {
      {std::nullopt, false}, {-30, false}, {-1, false},  {0, true}, {1, true}, {13, true},
      {14, false},           {15, false},  {365, false},
  };
  for (const ExpiryCase& c : cases) {
    SCOPED_TRACE(c.days_left ? std::to_string(*c.days_left) : "unknown");
    for (const CheckCode code : {CheckCode::policy_cert_expiring, CheckCode::mx_cert_expiring}) {
      const auto got = check_cert_expiry(code, "mx1.a.test", c.days_left);
      ASSERT_EQ(got.has_value(), c.warns);
      if (got) {
        EXPECT_EQ(got->id, code);
        EXPECT_EQ(got->severity, kWarning);
        EXPECT_EQ(got->subject, "mx1.a.test");
        EXPECT_NE(got->message.find(std::to_string(*c.days_left) + " day"), std::string::npos);
      }
    }
  }
}

TEST(CheckRules, CheckCertExpiry_FromNotAfter_BoundaryInSeconds) {
  // 2030-01-15T00:00:00Z; the warning starts when less than 14 whole days remain.
  const std::int64_t not_after = 1894665600;
  const std::string text = "2030-01-15T00:00:00Z";
  const std::int64_t day = 86400;
  const auto at = [&](std::int64_t now) {
    return check_cert_expiry(CheckCode::mx_cert_expiring, "mx", days_until(text, now));
  };
  EXPECT_FALSE(at(not_after - 15 * day));
  EXPECT_FALSE(at(not_after - 14 * day));
  EXPECT_TRUE(at(not_after - 14 * day + 1));
  EXPECT_TRUE(at(not_after - 1));
  EXPECT_TRUE(at(not_after));
  EXPECT_FALSE(at(not_after + 1));  // expired: the verification reports it, not this rule
}

}  // namespace
}  // namespace mtasts::core

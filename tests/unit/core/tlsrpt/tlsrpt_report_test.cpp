// Unit tests for the TLS-RPT report reader: calendar arithmetic, RFC 3339 date-times, the
// limits and errors, duplicate keys and the code list. Field-by-field behaviour on whole reports
// is in tlsrpt_report_golden_test.cpp.

#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace mtasts::core {
namespace {

constexpr std::string_view kMinimal =
    R"({"organization-name":"o","date-range":{"start-datetime":"2026-12-01T00:00:00Z",)"
    R"("end-datetime":"2026-12-01T23:59:59Z"},"contact-info":"a@b.example","report-id":"r",)"
    R"("policies":[{"policy":{"policy-type":"no-policy-found","policy-domain":"b.example"},)"
    R"("summary":{"total-successful-session-count":1,"total-failure-session-count":0}}]})";

std::vector<std::string> finding_strings(const TlsrptReport& report) {
  std::vector<std::string> out;
  for (const auto& f : report.findings) {
    out.push_back(std::string(tlsrpt_report_code_name(f.code)) + " " + f.path);
  }
  return out;
}

TEST(TlsrptReportTime, DaysFromCivil_KnownDays) {
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(days_from_civil({1969, 12, 31}), -1);
  EXPECT_EQ(days_from_civil({2000, 3, 1}), 11017);
  EXPECT_EQ(days_from_civil({2024, 2, 29}), 19782);
  EXPECT_EQ(days_from_civil({2026, 12, 1}), 20788);
  EXPECT_EQ(days_from_civil({1, 1, 1}), -719162);
  EXPECT_EQ(days_from_civil({9999, 12, 31}), 2932896);
}

TEST(TlsrptReportTime, CivilFromDays_RoundTripsEveryDayOfFourCenturies) {
  std::int64_t expected = days_from_civil({1800, 1, 1});
  for (std::int64_t year = 1800; year < 2200; ++year) {
    for (unsigned month = 1; month <= 12; ++month) {
      for (unsigned day = 1; day <= 31; ++day) {
        const CivilDate back = civil_from_days(expected);
        if (back.month != month || back.day != day) {
          break;  // past the month's last day
        }
        ASSERT_EQ(back.year, year);
        ASSERT_EQ(days_from_civil({year, month, day}), expected);
        ++expected;
      }
    }
  }
  EXPECT_EQ(expected, days_from_civil({2200, 1, 1}));  // no day skipped or repeated
}

TEST(TlsrptReportTime, ParseRfc3339_ZoneForms) {
  const auto z = parse_rfc3339_time("2026-12-01T00:00:00Z");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->epoch_seconds, 1796083200);
  EXPECT_EQ(z->zone, TimeZoneForm::utc);
  const auto lower = parse_rfc3339_time("2026-12-01t00:00:00z");
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->epoch_seconds, 1796083200);
  const auto plus = parse_rfc3339_time("2026-12-01T02:30:00+02:30");
  ASSERT_TRUE(plus);
  EXPECT_EQ(plus->epoch_seconds, 1796083200);
  EXPECT_EQ(plus->zone, TimeZoneForm::offset);
  const auto minus = parse_rfc3339_time("2026-11-30 19:00:00-05:00");
  ASSERT_TRUE(minus);
  EXPECT_EQ(minus->epoch_seconds, 1796083200);
  const auto zero = parse_rfc3339_time("2026-12-01T00:00:00+00:00");
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->zone, TimeZoneForm::utc);
  const auto none = parse_rfc3339_time("2026-12-01T00:00:00");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->zone, TimeZoneForm::none);
  EXPECT_EQ(none->epoch_seconds, 1796083200);
}

TEST(TlsrptReportTime, ParseRfc3339_FractionAndLeapSecond) {
  const auto frac = parse_rfc3339_time("1970-01-01T00:00:01.5Z");
  ASSERT_TRUE(frac);
  EXPECT_EQ(frac->epoch_seconds, 1);
  EXPECT_EQ(frac->nanoseconds, 500000000U);
  const auto long_frac = parse_rfc3339_time("1970-01-01T00:00:00.1234567891234Z");
  ASSERT_TRUE(long_frac);
  EXPECT_EQ(long_frac->nanoseconds, 123456789U);
  const auto before_epoch = parse_rfc3339_time("1969-12-31T23:59:59.25Z");
  ASSERT_TRUE(before_epoch);
  EXPECT_EQ(before_epoch->epoch_seconds, -1);
  EXPECT_EQ(before_epoch->nanoseconds, 250000000U);
  const auto leap = parse_rfc3339_time("2016-12-31T23:59:60Z");
  ASSERT_TRUE(leap);
  EXPECT_EQ(leap->epoch_seconds, days_from_civil({2017, 1, 1}) * 86400);
}

TEST(TlsrptReportTime, ParseRfc3339_Malformed_IsNullopt) {
  for (const char* text :
       {"", "2026-12-01", "2026-12-01T00:00Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T00:60:00Z",
        "2026-12-01T00:00:61Z", "2026-12-01T00:00:00.Z", "2026-12-01T00:00:00+0200",
        "2026-12-01T00:00:00+24:00", "2026-12-01T00:00:00Zjunk", "2026-12-01X00:00:00Z",
        "+2026-12-01T00:00:00Z", "2026-1-01T00:00:00Z", "2026-12-01T00:00:00 Z"}) {
    EXPECT_FALSE(parse_rfc3339_time(text)) << text;
  }
  EXPECT_TRUE(parse_rfc3339_time("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339_time("2000-02-29T00:00:00Z"));
}

TEST(TlsrptReport, MinimalReport_NoFindings_RawKept) {
  const auto report = parse_tlsrpt_report(kMinimal);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->findings.empty()) << ::testing::PrintToString(finding_strings(*report));
  EXPECT_EQ(report->raw, kMinimal);
  ASSERT_EQ(report->policies.size(), 1U);
  EXPECT_EQ(report->policies[0].type, TlsrptPolicyType::no_policy_found);
  EXPECT_EQ(report->date_range.window, TlsrptWindow::day_ending_235959);
}

TEST(TlsrptReport, SizeLimit_IsInclusive) {
  TlsrptReportLimits limits;
  limits.max_bytes = kMinimal.size();
  EXPECT_TRUE(parse_tlsrpt_report(kMinimal, limits));
  limits.max_bytes = kMinimal.size() - 1;
  const auto too_big = parse_tlsrpt_report(kMinimal, limits);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, Errc::too_large);
  EXPECT_NE(too_big.error().message.find("limit"), std::string::npos);
}

TEST(TlsrptReport, DefaultLimits_Are10MiBAnd64) {
  const TlsrptReportLimits limits;
  EXPECT_EQ(limits.max_bytes, 10U * 1024 * 1024);
  EXPECT_EQ(limits.max_depth, 64U);
}

TEST(TlsrptReport, NestingLimit_CountsTheTopLevelObject) {
  // The minimal report nests 4 deep: top, policies, the policy entry, its policy object.
  TlsrptReportLimits limits;
  limits.max_depth = 4;
  EXPECT_TRUE(parse_tlsrpt_report(kMinimal, limits));
  limits.max_depth = 3;
  const auto deep = parse_tlsrpt_report(kMinimal, limits);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().code, Errc::too_large);
  EXPECT_NE(deep.error().message.find("deeper than 3"), std::string::npos);
}

TEST(TlsrptReport, BracketsInsideStrings_DoNotCountAsNesting) {
  std::string text(kMinimal);
  text.replace(text.find("\"o\""), 3, "\"" + std::string(200, '[') + "\\\"{{\"");
  const auto report = parse_tlsrpt_report(text);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->organization_name->size(), 203U);
}

TEST(TlsrptReport, DeepNestingOfTenMebibytes_IsRejectedWithoutRecursion) {
  const std::string text = "{\"x\":" + std::string(5 * 1024 * 1024, '[');
  const auto report = parse_tlsrpt_report(text);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, Errc::too_large);
}

TEST(TlsrptReport, NotJsonOrNotObject_AreErrors) {
  const std::pair<std::string_view, Errc> cases[] = {
      {"", Errc::invalid_syntax},
      {"{", Errc::invalid_syntax},
      {"{\"a\":1} {\"b\":2}", Errc::invalid_syntax},
      {"{\"a\":1,}", Errc::invalid_syntax},
      {"{\"a\":\"\xff\"}", Errc::invalid_syntax},  // I-JSON: UTF-8 only
      {"{\"a\":1} /* c */", Errc::invalid_syntax},
      {"null", Errc::invalid_value},
      {"42", Errc::invalid_value},
      {"[]", Errc::invalid_value},
  };
  for (const auto& [text, code] : cases) {
    const auto report = parse_tlsrpt_report(text);
    ASSERT_FALSE(report) << text;
    EXPECT_EQ(report.error().code, code) << text;
    EXPECT_FALSE(report.error().message.empty());
  }
}

TEST(TlsrptReport, DuplicateKeysInArrays_PathsNameTheElement) {
  const std::string text =
      R"({"organization-name":"o","contact-info":"c","report-id":"r","date-range":{},)"
      R"("policies":[{"summary":{}},{"policy":{"policy-type":"tlsa","policy-type":"sts",)"
      R"("policy-string":["x"],"policy-domain":"d"},"summary":{"total-successful-session-count":1,)"
      R"("total-failure-session-count":0}}]})";
  const auto report = parse_tlsrpt_report(text);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_FALSE(report->findings.empty());
  EXPECT_EQ(report->findings[0].code, TlsrptReportCode::duplicate_key);
  EXPECT_EQ(report->findings[0].path, "/policies/1/policy/policy-type");
  ASSERT_EQ(report->policies.size(), 2U);
  EXPECT_EQ(report->policies[1].type, TlsrptPolicyType::tlsa);  // the first wins
}

TEST(TlsrptReport, DuplicateKeyHoldingAnObject_DoesNotShiftLaterPaths) {
  const std::string text =
      R"({"x":{"a":[1,{"b":1}]},"x":{"a":[2,{"b":2,"b":3}]},"policies":[{},{"summary":)"
      R"({"total-successful-session-count":-1}}]})";
  const auto report = parse_tlsrpt_report(text);
  ASSERT_TRUE(report) << report.error().message;
  const auto found = finding_strings(*report);
  const std::set<std::string> set(found.begin(), found.end());
  EXPECT_TRUE(set.count("duplicate-key /x"));
  EXPECT_TRUE(set.count("duplicate-key /x/a/1/b"));
  EXPECT_TRUE(set.count("count-invalid /policies/1/summary/total-successful-session-count"));
}

TEST(TlsrptReport, Counts_BoundsAndMinusZero) {
  auto with_count = [](const std::string& count) {
    std::string text(kMinimal);
    text.replace(text.find("\"total-successful-session-count\":1"), 34,
                 "\"total-successful-session-count\":" + count);
    return parse_tlsrpt_report(text);
  };
  EXPECT_EQ(with_count("9007199254740991")->policies[0].total_successful_session_count,
            kTlsrptMaxCount);
  EXPECT_EQ(with_count("9007199254740992")->policies[0].total_successful_session_count,
            std::nullopt);
  EXPECT_EQ(with_count("18446744073709551616")->policies[0].total_successful_session_count,
            std::nullopt);
  EXPECT_EQ(with_count("-0")->policies[0].total_successful_session_count, 0U);
  EXPECT_EQ(with_count("1e2")->policies[0].total_successful_session_count, std::nullopt);
  const auto report = with_count("-3");
  ASSERT_EQ(report->findings.size(), 1U);
  EXPECT_EQ(report->findings[0].code, TlsrptReportCode::count_invalid);
  EXPECT_EQ(report->findings[0].path, "/policies/0/summary/total-successful-session-count");
}

TEST(TlsrptReport, FailureSum_ManyHugeCounts_DoesNotWrap) {
  std::string details;
  for (int i = 0; i < 3000; ++i) {
    details += std::string(i == 0 ? "" : ",") +
               R"({"result-type":"validation-failure","sending-mta-ip":"192.0.2.1",)"
               R"("failed-session-count":9007199254740991})";
  }
  std::string text(kMinimal);
  text.replace(text.find("\"total-failure-session-count\":0}"), 32,
               "\"total-failure-session-count\":0},\"failure-details\":[" + details + "]");
  const auto report = parse_tlsrpt_report(text);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->findings.size(), 1U) << ::testing::PrintToString(finding_strings(*report));
  EXPECT_EQ(report->findings[0].code, TlsrptReportCode::failure_count_mismatch);
  EXPECT_NE(report->findings[0].message.find("more than 2^53-1"), std::string::npos);
}

TEST(TlsrptReport, UnknownKeyWithSlashAndTilde_IsEscapedInThePath) {
  std::string text(kMinimal);
  text.insert(1, R"("a/b~c":1,)");
  const auto report = parse_tlsrpt_report(text);
  ASSERT_TRUE(report);
  ASSERT_EQ(report->findings.size(), 1U);
  EXPECT_EQ(report->findings[0].path, "/a~1b~0c");
  EXPECT_EQ(tlsrpt_report_code_severity(report->findings[0].code), TlsrptReportSeverity::info);
}

TEST(TlsrptReportCode, Names_AreUniqueKebabCase) {
  std::set<std::string_view> names;
  for (const TlsrptReportCode code : kAllTlsrptReportCodes) {
    const std::string_view name = tlsrpt_report_code_name(code);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-"), std::string_view::npos);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(TlsrptReportCode::unknown_field) + 1);
}

TEST(TlsrptReportCode, EveryCode_IsDocumented) {
  const std::string path = std::string(MTASTS_TESTDATA_DIR) + "/../../docs/tlsrpt-report.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream doc;
  doc << in.rdbuf();
  for (const TlsrptReportCode code : kAllTlsrptReportCodes) {
    const std::string heading = "### `" + std::string(tlsrpt_report_code_name(code)) + "`";
    EXPECT_NE(doc.str().find(heading), std::string::npos) << heading;
  }
}

TEST(TlsrptReportCode, Severities_InfoOnlyForHarmlessVariants) {
  const std::set<TlsrptReportCode> infos = {
      TlsrptReportCode::date_range_unusual, TlsrptReportCode::mx_host_string,
      TlsrptReportCode::alias_field, TlsrptReportCode::unknown_field};
  for (const TlsrptReportCode code : kAllTlsrptReportCodes) {
    EXPECT_EQ(tlsrpt_report_code_severity(code) == TlsrptReportSeverity::info,
              infos.count(code) == 1)
        << tlsrpt_report_code_name(code);
  }
}

}  // namespace
}  // namespace mtasts::core

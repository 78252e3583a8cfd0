#include "mtasts/core/check/check_findings.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mtasts::core {
namespace {

// The codes and severities `mtasts check` reports, pinned here so that changing one fails a
// test.
const std::vector<std::pair<std::string, CheckSeverity>> kRequired = {
    {"sts-record-missing", CheckSeverity::error},
    {"sts-record-ignored", CheckSeverity::error},
    {"sts-record-multiple", CheckSeverity::error},
    {"sts-record-invalid", CheckSeverity::error},
    {"policy-host-unresolvable", CheckSeverity::error},
    {"policy-fetch-timeout", CheckSeverity::error},
    {"policy-http-status", CheckSeverity::error},
    {"policy-redirect", CheckSeverity::error},
    {"policy-content-type", CheckSeverity::error},
    {"policy-too-large", CheckSeverity::error},
    {"policy-invalid", CheckSeverity::error},
    {"policy-cert-expired", CheckSeverity::error},
    {"policy-cert-name-mismatch", CheckSeverity::error},
    {"policy-cert-untrusted", CheckSeverity::error},
    {"mx-not-covered", CheckSeverity::error},
    {"mx-unreachable", CheckSeverity::error},
    {"mx-starttls-missing", CheckSeverity::error},
    {"mx-cert-untrusted", CheckSeverity::error},
    {"mx-cert-expired", CheckSeverity::error},
    {"mx-cert-name-mismatch", CheckSeverity::error},
    {"policy-mode-testing", CheckSeverity::warning},
    {"tlsrpt-record-missing", CheckSeverity::warning},
    {"tlsrpt-record-invalid", CheckSeverity::warning},
    {"policy-cert-expiring", CheckSeverity::warning},
    {"mx-cert-expiring", CheckSeverity::warning},
    {"policy-pattern-stale", CheckSeverity::warning},
    {"policy-mode-none", CheckSeverity::info},
};

TEST(CheckCatalogue, RowsInEnumOrder_EachComplete) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kCheckCatalogue.size(); ++i) {
    const CheckCodeInfo& info = kCheckCatalogue[i];
    SCOPED_TRACE(std::string(info.code));
    EXPECT_EQ(static_cast<std::size_t>(info.id), i);
    EXPECT_FALSE(info.code.empty());
    EXPECT_EQ(info.code.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"),
              std::string_view::npos);
    EXPECT_TRUE(info.rfc.starts_with("RFC "));
    EXPECT_FALSE(info.fix.empty());
    EXPECT_FALSE(check_area_title(info.area).empty());
    EXPECT_TRUE(names.insert(info.code).second) << "duplicate code";
  }
}

TEST(CheckCatalogue, PinnedCodes_PresentWithPinnedSeverity) {
  for (const auto& [name, severity] : kRequired) {
    SCOPED_TRACE(name);
    const auto code = check_code_from_name(name);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(check_code_info(*code).severity, severity);
  }
}

TEST(CheckCatalogue, UnknownName_IsNullopt) {
  EXPECT_FALSE(check_code_from_name("no-such-code").has_value());
}

TEST(CheckFinding, Make_CopiesCatalogueRow) {
  const CheckFinding f =
      make_check_finding(CheckCode::mx_cert_expired, "mx1.example.com", "expired");
  EXPECT_EQ(f.code, "mx-cert-expired");
  EXPECT_EQ(f.severity, CheckSeverity::error);
  EXPECT_EQ(f.area, CheckArea::mx_host);
  EXPECT_EQ(f.subject, "mx1.example.com");
  EXPECT_EQ(f.message, "expired");
  EXPECT_EQ(f.rfc, "RFC 8461 §4.2");
  EXPECT_FALSE(f.fix.empty());
}

TEST(DaysUntil, Table) {
  constexpr std::int64_t k2024 = 1'704'067'200;  // 2024-01-01T00:00:00Z
  EXPECT_EQ(days_until("2024-01-01T00:00:00Z", k2024), 0);
  EXPECT_EQ(days_until("2024-01-15T00:00:00Z", k2024), 14);
  EXPECT_EQ(days_until("2024-01-14T23:59:59Z", k2024), 13);
  EXPECT_EQ(days_until("2023-12-31T23:59:59Z", k2024), -1);
  EXPECT_EQ(days_until("2023-12-30T00:00:00Z", k2024), -2);
  EXPECT_EQ(days_until("2025-01-01T00:00:00Z", k2024), 366);  // 2024 is a leap year
  EXPECT_EQ(days_until("1970-01-01T00:00:00Z", 0), 0);
  EXPECT_FALSE(days_until("", k2024).has_value());
  EXPECT_FALSE(days_until("2024-13-01T00:00:00Z", k2024).has_value());
  EXPECT_FALSE(days_until("2024-01-01 00:00:00Z", k2024).has_value());
  EXPECT_FALSE(days_until("2024-01-01T00:00:0xZ", k2024).has_value());
}

}  // namespace
}  // namespace mtasts::core

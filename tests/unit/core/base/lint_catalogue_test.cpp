// The lint catalogue: one row per code in LintCode order, and every finding the record and
// policy parsers report is a catalogue code with the catalogue's severity and subject.

#include "mtasts/core/base/lint_catalogue.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "golden.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/sts/policy_audit.hpp"
#include "mtasts/core/sts/sts_record.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_record.hpp"

namespace mtasts::core {
namespace {

using mtasts::testing::load_golden;

std::string_view prefix_of(LintSubject subject) {
  switch (subject) {
    case LintSubject::sts_record:
      return "sts-";
    case LintSubject::tlsrpt_record:
      return "tlsrpt-";
    case LintSubject::policy:
    case LintSubject::policy_mx:
      return "policy-";
  }
  return "?";
}

TEST(LintCatalogue, Rows_InEnumOrderWithUniqueNamesOfTheirSubject) {
  const std::regex kebab("[a-z0-9]+(-[a-z0-9]+)*");
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kLintCatalogue.size(); ++i) {
    const LintCodeInfo& row = kLintCatalogue[i];
    EXPECT_EQ(static_cast<std::size_t>(row.id), i) << row.code;
    EXPECT_TRUE(std::regex_match(std::string(row.code), kebab)) << row.code;
    EXPECT_EQ(row.code.substr(0, prefix_of(row.subject).size()), prefix_of(row.subject));
    EXPECT_FALSE(row.meaning.empty()) << row.code;
    EXPECT_TRUE(names.insert(row.code).second) << "duplicate " << row.code;
    EXPECT_EQ(lint_code_from_name(row.code), row.id) << row.code;
    EXPECT_EQ(&lint_code_info(row.id), &row);
  }
  EXPECT_EQ(lint_code_from_name("sts-no-such-code"), std::nullopt);
  EXPECT_EQ(lint_code_from_name(""), std::nullopt);
}

// Checks every finding of one parser run against the catalogue and records its code.
class Emitted {
 public:
  void add(const Findings& findings, std::set<LintSubject> subjects) {
    check(findings.errors, Severity::error, subjects);
    check(findings.warnings, Severity::warning, subjects);
  }
  [[nodiscard]] const std::set<std::string>& codes() const { return codes_; }

 private:
  void check(const std::vector<Finding>& list, Severity severity,
             const std::set<LintSubject>& subjects) {
    for (const Finding& f : list) {
      const auto code = lint_code_from_name(f.code);
      ASSERT_TRUE(code.has_value()) << f.code << " is not in the catalogue";
      const LintCodeInfo& info = lint_code_info(*code);
      EXPECT_EQ(info.severity, severity) << f.code;
      EXPECT_TRUE(subjects.count(info.subject) == 1) << f.code;
      codes_.insert(f.code);
    }
  }
  std::set<std::string> codes_;
};

// Inputs for the codes the golden files do not reach.
const std::vector<std::string> kMoreTlsrptRecords = {
    "v=TLSRPTv1; rua=mailto:r@example.com; x=\x01",  // tlsrpt-non-ascii
    "v=TLSRPTv1;; rua=mailto:r@example.com",         // tlsrpt-empty-field
    "v=TLSRPTv1; rua=mailto:r@example.com; junk",    // tlsrpt-field-syntax
    "v=TLSRPTv1; rua=mailto:r@example.com  ",        // tlsrpt-trailing-whitespace
};
const std::vector<std::string> kMorePolicies = {
    "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 604800\nx: \xff\n",
};

TEST(LintCatalogue, ParserFindings_AreCatalogueCodesAndReachEveryCode) {
  Emitted emitted;
  for (const auto& row : load_golden("sts_record.jsonl")) {
    emitted.add(lint_sts_record(row.at("input").get<std::string>()).findings,
                {LintSubject::sts_record});
  }
  std::vector<std::string> tlsrpt = kMoreTlsrptRecords;
  for (const auto& row : load_golden("tlsrpt_record.jsonl")) {
    tlsrpt.push_back(row.at("input").get<std::string>());
  }
  for (const std::string& text : tlsrpt) {
    emitted.add(lint_tlsrpt_record(text).findings, {LintSubject::tlsrpt_record});
  }
  std::vector<std::string> policies = kMorePolicies;
  for (const auto& row : load_golden("policy.jsonl")) {
    policies.push_back(row.at("input").get<std::string>());
  }
  for (const std::string& body : policies) {
    emitted.add(lint_policy(body).findings, {LintSubject::policy});
  }
  const auto policy = parse_policy(
      "version: STSv1\nmode: enforce\nmx: old.example.com\nmx: *.b.example.com\n"
      "mx: *.example.com\nmax_age: 604800\n");
  ASSERT_TRUE(policy) << policy.error().message;
  Findings audit;
  add_mx_coverage_warnings(
      audit_mx_coverage(*policy, "example.com", {"new.example.org", "x.b.example.com"}),
      "example.com", audit);
  emitted.add(audit, {LintSubject::policy_mx});

  std::set<std::string> expected;
  for (const LintCodeInfo& row : kLintCatalogue) {
    expected.insert(std::string(row.code));
  }
  // Reported by `mtasts lint policy --domain` itself when the MX lookup fails (app/lint).
  expected.erase("policy-mx-lookup-failed");
  EXPECT_EQ(emitted.codes(), expected);
}

}  // namespace
}  // namespace mtasts::core

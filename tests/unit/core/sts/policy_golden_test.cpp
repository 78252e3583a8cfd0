// Golden tests for the policy file, mx pattern matching and domain names: one row per
// CONFORMANCE.md test case in tests/testdata/golden/{policy,mx_match,domain_name}.jsonl.

#include <algorithm>
#include <set>

#include "golden.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::core {
namespace {

using mtasts::testing::golden_name;
using mtasts::testing::load_golden;
using nlohmann::json;

class PolicyGolden : public ::testing::TestWithParam<json> {};

TEST_P(PolicyGolden, LintPolicy_GoldenBody_MatchesExpectation) {
  const json& row = GetParam();
  const json& expect = row.at("expect");
  const PolicyReport report = lint_policy(row.at("input").get<std::string>());
  ASSERT_EQ(report.policy.has_value(), expect.at("valid").get<bool>())
      << report.findings.first_error();

  std::multiset<std::pair<std::string, int>> got_errors;
  for (const auto& f : report.findings.errors) {
    got_errors.emplace(f.code, f.line ? static_cast<int>(*f.line) : 0);
    EXPECT_FALSE(f.message.empty());
  }
  std::multiset<std::pair<std::string, int>> want_errors;
  for (const auto& e : expect.at("errors")) {
    want_errors.emplace(e.at("code").get<std::string>(), e.value("line", 0));
  }
  EXPECT_EQ(got_errors, want_errors);

  if (expect.contains("warnings")) {
    std::set<std::string> got;
    for (const auto& f : report.findings.warnings) {
      got.insert(f.code);
    }
    const auto want = expect.at("warnings").get<std::set<std::string>>();
    EXPECT_EQ(got, want);
  }
  if (report.policy) {
    EXPECT_EQ(mode_name(report.policy->mode), expect.at("mode").get<std::string>());
    EXPECT_EQ(report.policy->max_age, expect.at("max_age").get<std::uint32_t>());
    std::vector<std::string> mx;
    for (const auto& p : report.policy->mx) {
      mx.push_back(p.text());
    }
    EXPECT_EQ(json(mx), expect.at("mx"));
  }
}

INSTANTIATE_TEST_SUITE_P(Conformance, PolicyGolden,
                         ::testing::ValuesIn(load_golden("policy.jsonl")), golden_name);

class MxMatchGolden : public ::testing::TestWithParam<json> {};

TEST_P(MxMatchGolden, MxMatches_GoldenPair_MatchesExpectation) {
  const json& row = GetParam();
  const auto pattern = parse_mx_pattern(row.at("pattern").get<std::string>());
  ASSERT_TRUE(pattern) << pattern.error().message;
  EXPECT_EQ(mx_matches(*pattern, row.at("host").get<std::string>()), row.at("match").get<bool>());
}

INSTANTIATE_TEST_SUITE_P(Conformance, MxMatchGolden,
                         ::testing::ValuesIn(load_golden("mx_match.jsonl")), golden_name);

class DomainNameGolden : public ::testing::TestWithParam<json> {};

TEST_P(DomainNameGolden, NormalizeDomain_GoldenName_MatchesExpectation) {
  const json& row = GetParam();
  const auto result = normalize_domain(row.at("input").get<std::string>());
  if (row.at("expect").is_null()) {
    ASSERT_FALSE(result) << *result;
    EXPECT_EQ(result.error().code, Errc::not_a_host_name);
    EXPECT_FALSE(result.error().message.empty());
  } else {
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(*result, row.at("expect").get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(Conformance, DomainNameGolden,
                         ::testing::ValuesIn(load_golden("domain_name.jsonl")), golden_name);

TEST(PolicyRender, RenderPolicy_ParsedPolicy_IsCanonicalAndRoundTrips) {
  const auto policy = parse_policy(
      "mx: *.b.example\nmax_age: 604800\nversion: STSv1\nmode: enforce\nmx: a.example\n");
  ASSERT_TRUE(policy);
  const std::string text = render_policy(*policy);
  EXPECT_EQ(text,
            "version: STSv1\r\nmode: enforce\r\nmx: *.b.example\r\nmx: a.example\r\n"
            "max_age: 604800\r\n");
  const auto again = parse_policy(text);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->mx, policy->mx);
  EXPECT_EQ(again->mode, policy->mode);
}

TEST(PolicyParse, ParsePolicy_Oversize_ReturnsTooLarge) {
  const auto result = parse_policy(std::string(kMaxPolicySize + 1, 'a'));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::too_large);
}

TEST(PolicyParse, PolicyLines_KeepFieldLinesWithoutTrailingWhitespace) {
  const auto policy =
      parse_policy("version: STSv1\r\nmode: none  \r\nmax_age: 86400\r\nfoo: bar\r\n");
  ASSERT_TRUE(policy);
  EXPECT_EQ(
      std::vector<std::string>(policy->lines.begin(), policy->lines.end()),
      (std::vector<std::string>{"version: STSv1", "mode: none", "max_age: 86400", "foo: bar"}));
}

TEST(PolicyParse, PolicyLines_CanonicalBody_StoredEmptyAndRegenerated) {
  const auto policy = parse_policy(
      "version: STSv1\nmode: enforce\nmx: a.example\nmx: *.b.example\nmax_age: 86400\n");
  ASSERT_TRUE(policy);
  EXPECT_TRUE(policy->lines.empty());
  EXPECT_EQ(policy_lines(*policy),
            (std::vector<std::string>{"version: STSv1", "mode: enforce", "mx: a.example",
                                      "mx: *.b.example", "max_age: 86400"}));
}

TEST(PolicyParse, PolicyLines_NonCanonicalOrder_KeptAsServed) {
  const auto policy =
      parse_policy("mode: enforce\nversion: STSv1\nmx: a.example\nmax_age: 86400\n");
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy_lines(*policy), (std::vector<std::string>{"mode: enforce", "version: STSv1",
                                                             "mx: a.example", "max_age: 86400"}));
}

TEST(PolicyAllows, PolicyAllowsMx_AnyPatternMatches_True) {
  const auto policy = parse_policy(
      "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.backup.example.net\nmax_age: "
      "86400\n");
  ASSERT_TRUE(policy);
  EXPECT_TRUE(policy_allows_mx(*policy, "mx1.example.com."));
  EXPECT_TRUE(policy_allows_mx(*policy, "b1.backup.example.net"));
  EXPECT_FALSE(policy_allows_mx(*policy, "a.b1.backup.example.net"));
  EXPECT_FALSE(policy_allows_mx(*policy, "mx2.example.com"));
}

}  // namespace
}  // namespace mtasts::core

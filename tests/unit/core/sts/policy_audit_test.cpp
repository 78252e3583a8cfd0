// The policy compared with live MX hosts (`mtasts lint policy --domain` and `mtasts check`).

#include "mtasts/core/sts/policy_audit.hpp"

#include <gtest/gtest.h>

#include "mtasts/core/sts/policy.hpp"

namespace mtasts::core {
namespace {

Policy policy_of(std::string_view body) {
  auto policy = parse_policy(body);
  EXPECT_TRUE(policy) << policy.error().message;
  return policy.value_or(Policy{});
}

std::vector<std::string> codes(const Findings& f) {
  std::vector<std::string> out;
  for (const auto& w : f.warnings) {
    out.push_back(w.code);
  }
  return out;
}

TEST(PolicyAudit, AuditMxCoverage_AllCoveredExactly_NoWarnings) {
  const Policy p = policy_of(
      "version: STSv1\nmode: enforce\nmx: a.example.com\nmx: *.b.example.com\n"
      "max_age: 604800\n");
  const MxCoverage c =
      audit_mx_coverage(p, "example.com", {"a.example.com.", "x.b.example.com", "y.b.example.com"});
  EXPECT_TRUE(c.uncovered.empty());
  EXPECT_TRUE(c.stale.empty());
  EXPECT_TRUE(c.wide.empty());
  EXPECT_FALSE(c.domain_wildcard);
}

TEST(PolicyAudit, AuditMxCoverage_UncoveredStaleAndWide_Reported) {
  const Policy p = policy_of(
      "version: STSv1\nmode: enforce\nmx: old.example.com\nmx: *.b.example.com\n"
      "max_age: 604800\n");
  const MxCoverage c = audit_mx_coverage(p, "example.com", {"new.example.com", "x.b.example.com"});
  EXPECT_EQ(c.uncovered, std::vector<std::string>{"new.example.com"});
  ASSERT_EQ(c.stale.size(), 1u);
  EXPECT_EQ(c.stale[0].text(), "old.example.com");
  ASSERT_EQ(c.wide.size(), 1u);
  EXPECT_EQ(c.wide[0].text(), "*.b.example.com");
  Findings f;
  add_mx_coverage_warnings(c, "example.com", f);
  EXPECT_EQ(codes(f), (std::vector<std::string>{"policy-mx-not-covered", "policy-pattern-stale",
                                                "policy-pattern-wide"}));
  EXPECT_TRUE(f.ok());
}

TEST(PolicyAudit, AuditMxCoverage_WildcardOfPolicyDomain_Warns) {
  // CONFORMANCE 070: "mx: *.example.com" for example.com lets any host in the domain qualify.
  const Policy p = policy_of("version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 604800\n");
  const MxCoverage c = audit_mx_coverage(p, "example.com", {"mx1.example.com", "mx2.example.com"});
  EXPECT_TRUE(c.domain_wildcard);
  Findings f;
  add_mx_coverage_warnings(c, "example.com", f);
  EXPECT_EQ(codes(f), std::vector<std::string>{"policy-pattern-domain-wildcard"});
}

TEST(PolicyAudit, AuditMxCoverage_NoMxRecords_UsesImplicitMx) {
  const Policy p = policy_of("version: STSv1\nmode: enforce\nmx: example.com\nmax_age: 604800\n");
  const MxCoverage c = audit_mx_coverage(p, "example.com", {});
  EXPECT_TRUE(c.uncovered.empty());
  EXPECT_TRUE(c.stale.empty());
}

}  // namespace
}  // namespace mtasts::core

#include "mtasts/core/tlsrpt/policy_match.hpp"

#include <gtest/gtest.h>

namespace mtasts::core {
namespace {

HostTime at(std::int64_t seconds) {
  return HostTime(std::chrono::seconds(seconds));
}

PolicyVersion version(std::string id, PolicyMode mode, std::vector<std::string> mx,
                      std::int64_t created) {
  return PolicyVersion{std::move(id), HostedPolicy{mode, std::move(mx), 86400}, at(created)};
}

TEST(PolicyMatch, Table) {
  const std::vector<PolicyVersion> versions = {
      version("v2", PolicyMode::enforce, {"mx1.example.com", "*.mx.example.com"}, 2000),
      version("v1", PolicyMode::testing, {"mx1.example.com", "*.mx.example.com"}, 1000),
  };
  struct Case {
    const char* name;
    std::vector<std::string> lines;
    std::int64_t when;
    std::string match;
    std::string id;
  };
  const std::vector<std::string> testing = {"version: STSv1", "mode: testing",
                                            "mx: *.mx.example.com", "mx: mx1.example.com",
                                            "max_age: 86400"};
  const std::vector<std::string> enforce = {"version: STSv1", "mode: enforce",
                                            "mx: mx1.example.com", "mx: *.mx.example.com",
                                            "max_age: 86400"};
  const Case cases[] = {
      {"the live version, mx in another order", testing, 1500, "live", "v1"},
      {"the live version after a change", enforce, 2500, "live", "v2"},
      {"an older version than the live one", testing, 2500, "older", "v1"},
      {"before the first version: judged against it", testing, 10, "live", "v1"},
      {"another mx",
       {"version: STSv1", "mode: enforce", "mx: evil.test", "max_age: 86400"},
       2500,
       "unknown",
       ""},
      {"another max_age",
       {"version: STSv1", "mode: enforce", "mx: mx1.example.com", "mx: *.mx.example.com",
        "max_age: 1"},
       2500,
       "unknown",
       ""},
      {"not a policy", {"garbage"}, 2500, "unknown", ""},
      {"nothing", {}, 2500, "unknown", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const PolicyMatch got = match_policy_string(c.lines, versions, at(c.when));
    EXPECT_EQ(got.match, c.match);
    EXPECT_EQ(got.id, c.id);
  }
  EXPECT_EQ(match_policy_string(testing, {}, at(1)).match, "unknown");
}

}  // namespace
}  // namespace mtasts::core

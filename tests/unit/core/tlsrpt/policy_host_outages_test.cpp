#include "mtasts/core/tlsrpt/policy_host_outages.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mtasts::core {
namespace {

constexpr std::int64_t kT0 = 1'790'000'000;

HostTime at(std::int64_t offset) {
  return HostTime(std::chrono::seconds(kT0 + offset));
}

ServiceEvent failing(std::int64_t t, std::vector<std::string> codes) {
  return ServiceEvent{ServiceEvent::Kind::monitor_failing, at(t), std::move(codes), {}};
}
ServiceEvent passing(std::int64_t t) {
  return ServiceEvent{ServiceEvent::Kind::monitor_passing, at(t), {}, {}};
}
ServiceEvent issued(std::int64_t t, std::int64_t not_after) {
  return ServiceEvent{ServiceEvent::Kind::certificate_issued, at(t), {}, at(not_after)};
}

using Cause = OutageWindow::Cause;

TEST(PolicyHostOutages, Table) {
  struct Case {
    std::string name;
    std::vector<ServiceEvent> events;
    std::vector<OutageWindow> want;
  };
  const std::vector<Case> cases = {
      {"nothing recorded", {}, {}},
      {"monitor failing on a policy code, then passing",
       {failing(100, {"policy-cert-expired", "mx-unreachable"}), passing(200)},
       {{Cause::monitor, at(100), at(200), false, {"policy-cert-expired"}}}},
      {"failing on MX codes only is not a policy host outage",
       {failing(100, {"mx-unreachable"}), passing(200)},
       {}},
      {"a later failing without policy codes ends the window; codes gathered",
       {failing(100, {"policy-fetch-timeout"}), failing(150, {"policy-http-status"}),
        failing(180, {"mx-starttls-missing"}), passing(300)},
       {{Cause::monitor, at(100), at(180), false, {"policy-fetch-timeout", "policy-http-status"}}}},
      {"still failing: open until now",
       {passing(50), failing(100, {"policy-host-unreachable"})},
       {{Cause::monitor, at(100), at(1000), true, {"policy-host-unreachable"}}}},
      {"certificates renewed in time: no gap", {issued(0, 500), issued(400, 1500)}, {}},
      {"renewed after expiry: the gap",
       {issued(0, 300), issued(420, 1500)},
       {{Cause::certificate, at(300), at(420), false, {}}}},
      {"expired and never renewed: open",
       {issued(0, 300)},
       {{Cause::certificate, at(300), at(1000), true, {}}}},
      {"events in any order; windows oldest first",
       {issued(420, 1200), passing(260), failing(250, {"policy-cert-expired"}), issued(0, 300)},
       {{Cause::monitor, at(250), at(260), false, {"policy-cert-expired"}},
        {Cause::certificate, at(300), at(420), false, {}}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(policy_host_outages(c.events, at(1000)), c.want);
  }
}

TEST(PolicyHostOutages, Between_Overlapping) {
  const std::vector<OutageWindow> windows = {
      {Cause::certificate, at(100), at(200), false, {}},
      {Cause::monitor, at(300), at(400), false, {"policy-fetch-failed"}},
  };
  EXPECT_EQ(outages_between(windows, at(0), at(100)).size(), 0u);
  EXPECT_EQ(outages_between(windows, at(0), at(101)).size(), 1u);
  EXPECT_EQ(outages_between(windows, at(150), at(350)).size(), 2u);
  EXPECT_EQ(outages_between(windows, at(401), at(500)).size(), 0u);
  EXPECT_EQ(outages_between(windows, at(400), at(500)).size(), 1u);
}

}  // namespace
}  // namespace mtasts::core

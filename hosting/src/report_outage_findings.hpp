#pragma once

// Private to report_summary.cpp: the policy-host-failure finding explained by what the service
// recorded of its own policy host (core/tlsrpt/policy_host_outages.hpp), read from the audit log.

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "mtasts/store/hosting_store.hpp"

namespace mtasts::hosting {

// Adds "outages" (from, to, cause, codes, open) to the policy-host-failure entry of `findings`
// for the windows touching a day with policy-host failures in `by_day`, and says in its message
// what they were, or that the service saw no failure of its own on those days.
[[nodiscard]] store::Result<void> explain_policy_host_failures(
    store::HostingStore& store, std::string_view domain,
    const std::vector<store::SessionTotal>& by_day, core::HostTime now, nlohmann::json& findings);

}  // namespace mtasts::hosting

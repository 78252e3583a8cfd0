#pragma once

// Output of `mtasts cache`: JSON objects (one per policy for export and list --json) and the
// text a person reads.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/store/stored_policy.hpp"

namespace mtasts::app {

// "2024-05-01T12:00:00Z".
[[nodiscard]] std::string rfc3339(core::TimePoint t);

// {"domain", "id", "mode", "mx", "max_age", "fetched_at", "expires_at"} (times in RFC 3339
// UTC); a body that no longer parses gives mode, mx and max_age null and an "error".
// With `body`, the policy text as fetched too.
enum class WithBody { no, yes };
[[nodiscard]] nlohmann::json policy_entry_json(const store::StoredPolicy& stored,
                                               WithBody body = WithBody::no);

// One aligned line per policy: domain, mode, expiry, id.
[[nodiscard]] std::string list_text(const std::vector<store::StoredPolicy>& policies);

// The policy, its times (with how long ago / how long left at `now`) and its text.
[[nodiscard]] std::string show_text(const store::StoredPolicy& stored, core::TimePoint now,
                                    std::string_view backend);

}  // namespace mtasts::app

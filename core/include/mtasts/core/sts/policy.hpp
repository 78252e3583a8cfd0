#pragma once

// The MTA-STS policy file (RFC 8461 §3.2) with the decisions of docs/decisions.md where the
// RFC is silent: LF or CRLF, case-sensitive keys and values, unknown keys ignored, max_age
// 1-10 digits and at most 31557600, mx required unless mode is none, a BOM and blank lines
// tolerated with a warning, one trailing dot on an mx value tolerated with a warning.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/findings.hpp"
#include "mtasts/core/base/packed_strings.hpp"
#include "mtasts/core/base/result.hpp"
#include "mtasts/core/sts/mx_pattern.hpp"

namespace mtasts::core {

inline constexpr std::size_t kMaxPolicySize = 64 * 1024;       // RFC 8461 §3.3
inline constexpr std::uint32_t kMaxPolicyMaxAge = 31'557'600;  // RFC 8461 §3.2
inline constexpr std::uint32_t kShortMaxAge = 86'400;          // below this the linter warns
inline constexpr std::string_view kPolicyPath = "/.well-known/mta-sts.txt";
inline constexpr std::string_view kPolicyHostPrefix = "mta-sts.";

enum class PolicyMode { enforce, testing, none };

[[nodiscard]] std::string_view mode_name(PolicyMode mode);

struct Policy {
  PolicyMode mode = PolicyMode::none;
  std::uint32_t max_age = 0;  // seconds
  MxPatterns mx;              // de-duplicated, in order of first appearance
  // Every field line as parsed ("key: value", trailing whitespace removed), in order,
  // extension fields included: what Postfix 3.10's policy_string attributes carry. Empty when
  // the policy was exactly its canonical form (policy_lines() regenerates it), which keeps the
  // cache small: read the lines through policy_lines().
  PackedStrings lines;

  friend bool operator==(const Policy&, const Policy&) = default;
};

struct PolicyReport {
  std::optional<Policy> policy;  // set exactly when findings.ok()
  Findings findings;
};

// Parses a policy body. Never throws; every problem is a Finding with its 1-based line.
[[nodiscard]] PolicyReport lint_policy(std::string_view body);

// The same, for callers that want the policy or the first error (Errc::invalid_syntax,
// Errc::invalid_value or Errc::too_large).
[[nodiscard]] Result<Policy> parse_policy(std::string_view body);

// True when some pattern of the policy matches the MX host (RFC 8461 §4.1).
[[nodiscard]] bool policy_allows_mx(const Policy& policy, std::string_view mx_host);

// The policy's field lines as served: Policy::lines, or the canonical lines when those are
// empty ("version: STSv1", "mode: ...", one "mx: ..." per pattern, "max_age: ...").
[[nodiscard]] std::vector<std::string> policy_lines(const Policy& policy);

// The canonical text of a policy: version first, CRLF line ends, mode, each mx, max_age.
[[nodiscard]] std::string render_policy(const Policy& policy);

}  // namespace mtasts::core

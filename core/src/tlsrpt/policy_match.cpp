#include "mtasts/core/tlsrpt/policy_match.hpp"

#include <algorithm>

#include "mtasts/core/sts/policy.hpp"

namespace mtasts::core {
namespace {

std::vector<std::string> sorted_patterns(const Policy& policy) {
  std::vector<std::string> out;
  for (const MxPatternView pattern : policy.mx) {
    out.push_back((pattern.wildcard ? "*." : "") + std::string(pattern.domain));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool same_policy(const Policy& seen, const std::vector<std::string>& seen_mx,
                 const HostedPolicy& published) {
  std::vector<std::string> mx = published.mx;
  std::sort(mx.begin(), mx.end());
  return seen.mode == published.mode && seen.max_age == published.max_age && seen_mx == mx;
}

}  // namespace

PolicyMatch match_policy_string(const std::vector<std::string>& lines,
                                const std::vector<PolicyVersion>& versions, HostTime at) {
  std::string body;
  for (const std::string& line : lines) {
    body += line;
    body += "\r\n";
  }
  const Result<Policy> seen = parse_policy(body);
  if (!seen || versions.empty()) {
    return {std::string(kPolicyMatchUnknown), ""};
  }
  const std::vector<std::string> seen_mx = sorted_patterns(*seen);
  std::vector<const PolicyVersion*> by_time;
  by_time.reserve(versions.size());
  for (const PolicyVersion& version : versions) {
    by_time.push_back(&version);
  }
  std::stable_sort(
      by_time.begin(), by_time.end(),
      [](const PolicyVersion* a, const PolicyVersion* b) { return a->created_at < b->created_at; });
  const PolicyVersion* live = by_time.front();
  for (const PolicyVersion* version : by_time) {
    if (version->created_at <= at) {
      live = version;
    }
  }
  if (same_policy(*seen, seen_mx, live->policy)) {
    return {std::string(kPolicyMatchLive), live->id};
  }
  // The newest other version with this policy: the one the sender most likely cached.
  for (auto it = by_time.rbegin(); it != by_time.rend(); ++it) {
    if (same_policy(*seen, seen_mx, (*it)->policy)) {
      return {std::string(kPolicyMatchOlder), (*it)->id};
    }
  }
  return {std::string(kPolicyMatchUnknown), ""};
}

}  // namespace mtasts::core

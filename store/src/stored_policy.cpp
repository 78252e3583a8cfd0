#include "mtasts/store/stored_policy.hpp"

#include <algorithm>

#include "mtasts/core/sts/policy.hpp"

namespace mtasts::store {
namespace {

bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

std::int64_t seconds_of(TimePoint t) {
  return t.time_since_epoch().count();
}

}  // namespace

Result<void> validate(const StoredPolicy& policy) {
  if (policy.domain.empty() || policy.domain.size() > kMaxDomainSize ||
      has_space_or_control(policy.domain)) {
    return fail(Errc::invalid_argument,
                "cannot store a policy for \"" + policy.domain +
                    "\": a domain is 1 to 255 bytes without spaces or control characters");
  }
  if (policy.id.size() > kMaxIdSize || has_space_or_control(policy.id)) {
    return fail(Errc::invalid_argument, "cannot store the policy of " + policy.domain +
                                            ": its id is over 255 bytes or has spaces");
  }
  if (policy.body.size() > core::kMaxPolicySize) {
    return fail(Errc::invalid_argument,
                "cannot store the policy of " + policy.domain + ": its body is over 64 KiB");
  }
  if (seconds_of(policy.fetched_at) < 0 || policy.fetched_at > policy.expires_at ||
      seconds_of(policy.expires_at) > kMaxStoredTime) {
    return fail(Errc::invalid_argument,
                "cannot store the policy of " + policy.domain +
                    ": fetched_at must not be after expires_at, both within 1970..9999");
  }
  return {};
}

StoredPolicy to_stored(std::string_view domain, const core::CachedPolicy& cached) {
  std::string body;
  for (const std::string& line : core::policy_lines(cached.policy)) {
    body += line;
    body += "\r\n";
  }
  return StoredPolicy{std::string(domain), cached.id, std::move(body), cached.fetched_at,
                      cached.expires_at};
}

Result<core::CachedPolicy> to_cached(const StoredPolicy& stored) {
  auto policy = core::parse_policy(stored.body);
  if (!policy) {
    return fail(Errc::corrupt, "stored policy of " + stored.domain +
                                   " no longer parses: " + policy.error().message);
  }
  return core::CachedPolicy{std::move(*policy), stored.id, stored.fetched_at, stored.expires_at};
}

}  // namespace mtasts::store

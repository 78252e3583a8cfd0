#pragma once

// A fetched policy as the stores keep it: the body as fetched (re-parsed on load) and its
// times. Conversions to and from the cache's core::CachedPolicy.

#include <cstdint>
#include <string>
#include <string_view>

#include "mtasts/core/cache/policy_cache.hpp"
#include "mtasts/store/store_error.hpp"

namespace mtasts::store {

using TimePoint = core::TimePoint;

// 9999-12-31T23:59:59Z: the latest time a store accepts, so every time prints as RFC 3339.
inline constexpr std::int64_t kMaxStoredTime = 253'402'300'799;
inline constexpr std::size_t kMaxDomainSize = 255;
inline constexpr std::size_t kMaxIdSize = 255;

struct StoredPolicy {
  std::string domain;    // the Policy Domain, normalised (core::normalize_domain)
  std::string id;        // the TXT id the policy was fetched for
  std::string body;      // the policy text as fetched; core::parse_policy reads it back
  TimePoint fetched_at;  // when the body was fetched
  TimePoint expires_at;  // served while now <= expires_at (core::CachedPolicy's meaning)

  friend bool operator==(const StoredPolicy&, const StoredPolicy&) = default;
};

// Ok when every store can keep `policy`: a domain of 1..255 bytes without spaces or control
// characters, an id of at most 255 bytes without them, a body of at most core::kMaxPolicySize
// bytes, 0 <= fetched_at <= expires_at <= kMaxStoredTime. Otherwise invalid_argument.
[[nodiscard]] Result<void> validate(const StoredPolicy& policy);

// The stored form of a cached policy: its field lines as fetched, joined by CRLF, which
// core::parse_policy reads back to the same Policy.
[[nodiscard]] StoredPolicy to_stored(std::string_view domain, const core::CachedPolicy& cached);

// The cached form of a stored policy, for core::PolicyCache::restore(). A body that no longer
// parses is corrupt (the message names the domain and the parser's reason).
[[nodiscard]] Result<core::CachedPolicy> to_cached(const StoredPolicy& stored);

}  // namespace mtasts::store

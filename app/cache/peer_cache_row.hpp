#pragma once

// One row of postfix-mta-sts-resolver's cache (store/peer_sqlite_cache.hpp) as the policy
// mtasts stores, and what importing it does to what mtasts already holds. Pure: no I/O.
//
// The peer keeps the policy as it parsed it (utils.parse_mta_sts_policy), a JSON object: each
// field line's key with its value after the colon, `mx` a list of every mx value, `max_age` an
// integer; a key seen twice keeps its last value. The text rebuilt from it ("version", "mode",
// each "mx", "max_age", then any other key, CRLF line ends) is what core::parse_policy then
// judges, exactly as a freshly fetched policy.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "mtasts/store/peer_sqlite_cache.hpp"
#include "mtasts/store/stored_policy.hpp"

namespace mtasts::app {

// A peer row stamped later than now plus this is refused: its time cannot be a fetch time.
inline constexpr std::chrono::seconds kPeerClockSlack{3600};

// The policy text the peer's JSON object stands for.
// Errors (one sentence): not JSON, not an object, a member of the wrong type, a key or value
// holding a line break, no "version" or "mode" member.
[[nodiscard]] tl::expected<std::string, std::string> policy_text_from_peer_json(
    std::string_view json);

// The row as mtasts stores it: domain normalised (core::normalize_domain), the peer's id
// (which must be a valid RFC 8461 §3.1 id), the policy text (policy_text_from_peer_json)
// parsed by core::parse_policy, fetched_at = the peer's ts and expires_at = ts + max_age (the
// peer renews ts whenever it finds the TXT id unchanged, so this is the last time the peer
// confirmed the policy).
// Errors (one sentence naming what is wrong): any of the above, a ts that is not an integer,
// negative or later than now + kPeerClockSlack, a policy store::validate() refuses.
[[nodiscard]] tl::expected<store::StoredPolicy, std::string> policy_from_peer_row(
    const store::PeerCacheRow& row, store::TimePoint now);

// What importing `candidate` does, given what the target store holds for its domain (not
// expired at `now`).
enum class ImportOutcome {
  added,       // nothing held: written
  replaced,    // an older fetch held: written over it
  unchanged,   // the same policy, id and times held: nothing to write (a second import)
  kept_newer,  // a later fetch held: kept, nothing written
  expired,     // the candidate expired before `now`: nothing written
  skipped,     // the row is malformed (policy_from_peer_row failed): nothing written
};

// "added", "replaced", "unchanged", "kept-newer", "expired", "skipped".
[[nodiscard]] std::string_view outcome_name(ImportOutcome outcome);

// The outcome for a well-formed candidate (never skipped).
[[nodiscard]] ImportOutcome import_outcome(const store::StoredPolicy& candidate,
                                           const std::optional<store::StoredPolicy>& held,
                                           store::TimePoint now);

}  // namespace mtasts::app

#pragma once

// Persistence of fetched policies behind one interface, so a restarted daemon keeps enforcing
// what it fetched (RFC 8461 §3.3: a cached policy stays in force while the policy host is
// down), and a fleet of MTAs shares one cache (Redis, PostgreSQL).
//
// The stores know nothing of MTA-STS logic: core::PolicyCache decides; the daemon writes
// through put() after a fetch and reads with get() / visit() to restore. Time comes in as
// `now`: stores never read a clock. Every store is thread-safe and synchronous; every network
// call is bounded by StoreConfig::timeout (connections by connect_timeout; resolving a server
// given by name is the system resolver's, unbounded: prefer an address or a local resolver).
// A network store whose connection broke reconnects on the next call.
//
// A StoreType::memory store duplicates what core::PolicyCache already holds; the daemon need
// not open one. It exists for the peer's `internal` type and for tests.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "mtasts/store/store_config.hpp"
#include "mtasts/store/store_error.hpp"
#include "mtasts/store/stored_policy.hpp"

namespace mtasts::store {

class PolicyStore {
 public:
  PolicyStore() = default;
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;
  virtual ~PolicyStore() = default;

  // The policy stored for `domain` if it has not expired at `now` (now <= expires_at), else
  // nullopt. Errors: unavailable, corrupt (a stored value that does not decode), backend_error.
  [[nodiscard]] virtual Result<std::optional<StoredPolicy>> get(std::string_view domain,
                                                                TimePoint now) = 0;

  // Stores `policy` unless the store holds one for the same domain fetched strictly later
  // (that one is kept, and the call still succeeds: concurrent daemons, newest wins).
  // Errors: invalid_argument (validate()), write_failed, unavailable, backend_error.
  [[nodiscard]] virtual Result<void> put(const StoredPolicy& policy) = 0;

  // Removes whatever is stored for `domain`, expired or not; true if there was something.
  [[nodiscard]] virtual Result<bool> erase(std::string_view domain) = 0;

  // At most `limit` policies not expired at `now`, sorted by domain.
  [[nodiscard]] virtual Result<std::vector<StoredPolicy>> list(TimePoint now,
                                                               std::size_t limit) = 0;

  // Calls `visitor` once for every policy not expired at `now`, in no particular order, a
  // batch at a time, without holding the store's lock (the visitor may call the store).
  // Returns how many were visited. Stored values that do not decode are skipped. With Redis,
  // a key written during the visit may be visited twice or not at all.
  [[nodiscard]] virtual Result<std::size_t> visit(
      TimePoint now, const std::function<void(const StoredPolicy&)>& visitor) = 0;

  // Deletes the policies expired at `now` (expires_at < now); returns how many. Redis expires
  // its keys by itself, so its store returns 0 without a round trip.
  [[nodiscard]] virtual Result<std::size_t> purge_expired(TimePoint now) = 0;

  // "memory", "sqlite", "redis" or "postgres", for logs and `mtasts cache`.
  [[nodiscard]] virtual std::string_view name() const = 0;
};

// Opens the configured store: creates a missing SQLite file (and its directory), checks it
// (PRAGMA quick_check) and migrates its schema; connects to Redis or PostgreSQL once and
// creates the PostgreSQL table if missing. Errors: invalid_config (an empty sqlite filename,
// a malformed redis url), corrupt, write_failed, incompatible, unavailable, backend_error;
// the message names the file or server.
[[nodiscard]] Result<std::unique_ptr<PolicyStore>> open_store(const StoreConfig& config);

}  // namespace mtasts::store

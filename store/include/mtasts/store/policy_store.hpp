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
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/store/store_config.hpp"
#include "mtasts/store/store_error.hpp"
#include "mtasts/store/stored_policy.hpp"

namespace mtasts::store {

// The public functions are not virtual: each backend provides the primitives below them
// (get, put, erase, one sorted page, purge) and list() and visit() are built on the page.
class PolicyStore {
 public:
  using Visitor = std::function<void(const StoredPolicy&)>;

  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;
  virtual ~PolicyStore() = default;

  // The policy stored for `domain` if it has not expired at `now` (now <= expires_at), else
  // nullopt. Errors: unavailable, corrupt (a stored value that does not decode), backend_error.
  [[nodiscard]] Result<std::optional<StoredPolicy>> get(std::string_view domain, TimePoint now) {
    return do_get(domain, now);
  }

  // Stores `policy` unless the store holds one for the same domain fetched strictly later
  // (that one is kept, and the call still succeeds: concurrent daemons, newest wins).
  // Errors: invalid_argument (validate()), write_failed, unavailable, backend_error.
  [[nodiscard]] Result<void> put(const StoredPolicy& policy);

  // Removes whatever is stored for `domain`, expired or not; true if there was something.
  [[nodiscard]] Result<bool> erase(std::string_view domain) { return do_erase(domain); }

  // At most `limit` policies not expired at `now`, sorted by domain.
  [[nodiscard]] Result<std::vector<StoredPolicy>> list(TimePoint now, std::size_t limit) {
    return page({now, std::string(), limit});
  }

  // Calls `visitor` once for every policy not expired at `now`, in no particular order, a
  // batch at a time, without holding the store's lock (the visitor may call the store).
  // Returns how many were visited. Stored values that do not decode are skipped. With Redis,
  // a key written during the visit may be visited twice or not at all.
  [[nodiscard]] Result<std::size_t> visit(TimePoint now, const Visitor& visitor) {
    return do_visit(now, visitor);
  }

  // Deletes the policies expired at `now` (expires_at < now); returns how many. Redis expires
  // its keys by itself, so its store returns 0 without a round trip.
  [[nodiscard]] Result<std::size_t> purge_expired(TimePoint now) { return do_purge(now); }

  // "memory", "sqlite", "redis" or "postgres", for logs and `mtasts cache`.
  [[nodiscard]] std::string_view name() const { return name_; }

 protected:
  // `name` is a literal: the store keeps the view.
  explicit PolicyStore(std::string_view name) : name_(name) {}

  // The policies not expired at `now` whose domain sorts after `after`, at most `limit`, in
  // domain order.
  struct PageQuery {
    TimePoint now;
    std::string after;
    std::size_t limit = 0;
  };

 private:
  [[nodiscard]] virtual Result<std::optional<StoredPolicy>> do_get(std::string_view domain,
                                                                   TimePoint now) = 0;
  // `policy` has passed validate().
  [[nodiscard]] virtual Result<void> do_put(const StoredPolicy& policy) = 0;
  [[nodiscard]] virtual Result<bool> do_erase(std::string_view domain) = 0;
  [[nodiscard]] virtual Result<std::vector<StoredPolicy>> page(const PageQuery& query) = 0;
  [[nodiscard]] virtual Result<std::size_t> do_purge(TimePoint now) = 0;
  // Pages through page() (keyset pagination: "domain > last"), so neither the store nor the
  // caller ever holds more than one page, and the store's lock is free while the visitor runs.
  [[nodiscard]] virtual Result<std::size_t> do_visit(TimePoint now, const Visitor& visitor);

  std::string_view name_;
};

// Opens the configured store: creates a missing SQLite file (and its directory), checks it
// (PRAGMA quick_check) and migrates its schema; connects to Redis or PostgreSQL once and
// creates the PostgreSQL table if missing. Errors: invalid_config (an empty sqlite filename,
// a malformed redis url), corrupt, write_failed, incompatible, unavailable, backend_error;
// the message names the file or server.
[[nodiscard]] Result<std::unique_ptr<PolicyStore>> open_store(const StoreConfig& config);

}  // namespace mtasts::store

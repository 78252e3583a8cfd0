#pragma once

// The embedded default: one SQLite file (WAL mode) on this machine, so a restarted daemon
// still enforces what it fetched. Schema versioned in table mtasts_schema; the policies live
// in mtasts_policy, next to (never mixed with) the peer's sts_policy_cache if the file is
// shared with postfix-mta-sts-resolver.

#include <memory>
#include <mutex>
#include <string>

#include "mtasts/core/base/guarded.hpp"
#include "mtasts/store/policy_store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mtasts::store {

class SqliteStore final : public PolicyStore {
 public:
  // Opens or creates `config.filename` (creating its directory), checks it with
  // PRAGMA quick_check, switches it to WAL and migrates the schema. Errors: invalid_config
  // (no file name), corrupt (not a database, or damaged), write_failed (cannot create, open
  // for writing or migrate: permissions, read-only, full disk), incompatible (a newer schema),
  // unavailable (locked by another process beyond config.timeout).
  [[nodiscard]] static Result<std::unique_ptr<SqliteStore>> open(const StoreConfig& config);

  Result<std::optional<StoredPolicy>> get(std::string_view domain, TimePoint now) override;
  Result<void> put(const StoredPolicy& policy) override;
  Result<bool> erase(std::string_view domain) override;
  Result<std::vector<StoredPolicy>> list(TimePoint now, std::size_t limit) override;
  Result<std::size_t> visit(TimePoint now,
                            const std::function<void(const StoredPolicy&)>& visitor) override;
  Result<std::size_t> purge_expired(TimePoint now) override;
  std::string_view name() const override { return "sqlite"; }

 private:
  struct CloseDb {
    void operator()(sqlite3* db) const;
  };
  struct Finalize {
    void operator()(sqlite3_stmt* statement) const;
  };
  using Db = std::unique_ptr<sqlite3, CloseDb>;
  using Statement = std::unique_ptr<sqlite3_stmt, Finalize>;

  // The connection and its prepared statements: reachable only under the lock.
  struct Connection {
    Db db;
    Statement get;
    Statement put;
    Statement erase;
    Statement page;  // not expired, domain > ?, ordered by domain, limit ?
    Statement purge;
  };

  SqliteStore(std::string filename, Connection connection);

  // Policies not expired at `now` with a domain after `after`, at most `limit`, in order.
  Result<std::vector<StoredPolicy>> page(TimePoint now, const std::string& after,
                                         std::size_t limit);

  std::string filename_;
  core::Guarded<Connection, std::mutex> connection_;
};

}  // namespace mtasts::store

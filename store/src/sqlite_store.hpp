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
#include "sqlite_file.hpp"

namespace mtasts::store {

class SqliteStore final : public PolicyStore {
 public:
  // Opens or creates `config.filename` (creating its directory), checks it with
  // PRAGMA quick_check, switches it to WAL and migrates the schema. Errors: invalid_config
  // (no file name), corrupt (not a database, or damaged), write_failed (cannot create, open
  // for writing or migrate: permissions, read-only, full disk), incompatible (a newer schema),
  // unavailable (locked by another process beyond config.timeout).
  [[nodiscard]] static Result<std::unique_ptr<SqliteStore>> open(const StoreConfig& config);

 private:
  Result<std::optional<StoredPolicy>> do_get(std::string_view domain, TimePoint now) override;
  Result<void> do_put(const StoredPolicy& policy) override;
  Result<bool> do_erase(std::string_view domain) override;
  Result<std::vector<StoredPolicy>> page(const PageQuery& query) override;
  Result<std::size_t> do_purge(TimePoint now) override;

  // The connection and its prepared statements: reachable only under the lock.
  struct Connection {
    SqliteDb db;
    SqliteStatement get;
    SqliteStatement put;
    SqliteStatement erase;
    SqliteStatement page;  // not expired, domain > ?, ordered by domain, limit ?
    SqliteStatement purge;
  };

  SqliteStore(SqliteFile file, Connection connection);

  SqliteFile file_;
  core::Guarded<Connection, std::mutex> connection_;
};

}  // namespace mtasts::store

#pragma once

// A cache shared through PostgreSQL: one row per domain in `table` (created if missing), the
// newest fetch winning on conflict. Expired rows are never returned and purge_expired()
// deletes them; times are Unix seconds of the MTAs' clocks.
//
// One connection (libpq) under the store's lock. Connecting is bounded by connect_timeout,
// every statement by `timeout` (on the server as statement_timeout, and here by waiting for
// the answer at most that long). A connection that failed is dropped and re-established by
// the next call; one found closed by the server is re-established at once and the statement
// sent again.

#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "mtasts/core/base/guarded.hpp"
#include "mtasts/store/policy_store.hpp"
#include "pg_connection.hpp"

namespace mtasts::store {

class PostgresStore final : public PolicyStore {
 public:
  // Connects once and creates the table if missing. Errors: invalid_config (a dsn libpq does
  // not parse), unavailable (cannot connect in time), backend_error (refused: authentication,
  // permissions to create the table).
  [[nodiscard]] static Result<std::unique_ptr<PostgresStore>> open(const StoreConfig& config);

 private:
  Result<std::optional<StoredPolicy>> do_get(std::string_view domain, TimePoint now) override;
  Result<void> do_put(const StoredPolicy& policy) override;
  Result<bool> do_erase(std::string_view domain) override;
  Result<std::vector<StoredPolicy>> page(const PageQuery& query) override;
  Result<std::size_t> do_purge(TimePoint now) override;

  using PgResult = pg::PgResult;
  struct Connection {
    pg::Conn conn;  // null while disconnected
  };

  PostgresStore(const StoreConfig& config, std::string describe);

  // Connects, sets statement_timeout and creates the table; the connection stays null on
  // failure.
  Result<void> connect(Connection& connection) const;
  // Runs `sql` on the established connection and returns its last result; a transport
  // failure or timeout drops the connection.
  tl::expected<PgResult, pg::RunFailure> run(Connection& connection, const std::string& sql,
                                             std::span<const std::string> params) const;
  // run(), connecting first if needed, and once more on a connection the server had closed.
  Result<PgResult> query(const std::string& sql, std::span<const std::string> params);

  std::string dsn_;
  std::string describe_;  // "PostgreSQL host:port/db" (never the password), for messages
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds connect_timeout_;
  std::string schema_sql_;
  std::string get_sql_;
  std::string put_sql_;
  std::string erase_sql_;
  std::string page_sql_;
  std::string purge_sql_;
  core::Guarded<Connection, std::mutex> connection_;
};

}  // namespace mtasts::store

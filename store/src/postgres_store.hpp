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

  Result<std::optional<StoredPolicy>> get(std::string_view domain, TimePoint now) override;
  Result<void> put(const StoredPolicy& policy) override;
  Result<bool> erase(std::string_view domain) override;
  Result<std::vector<StoredPolicy>> list(TimePoint now, std::size_t limit) override;
  Result<std::size_t> visit(TimePoint now,
                            const std::function<void(const StoredPolicy&)>& visitor) override;
  Result<std::size_t> purge_expired(TimePoint now) override;
  std::string_view name() const override { return "postgres"; }

 private:
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
  Result<std::vector<StoredPolicy>> page(TimePoint now, const std::string& after,
                                         std::size_t limit);

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

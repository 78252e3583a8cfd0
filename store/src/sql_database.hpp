#pragma once

// The seam between the hosting store's SQL (one text for SQLite and PostgreSQL: both take
// $1-style placeholders, ON CONFLICT upserts and RETURNING) and the two engines. An engine
// owns one connection behind its lock and runs a body of statements in a transaction.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mtasts/store/store_error.hpp"

namespace mtasts::store {

// A statement parameter: NULL, an integer or text (which must outlive the call).
using SqlValue = std::variant<std::monostate, std::int64_t, std::string_view>;
// A result cell as text (integers in decimal), nullopt for NULL.
using SqlCell = std::optional<std::string>;
using SqlRow = std::vector<SqlCell>;
using SqlRows = std::vector<SqlRow>;

class SqlSession {
 public:
  // Runs one statement (placeholders $1, $2, ...) and returns the rows it produced.
  // Errors: invalid_argument (a constraint or the data refused, text with a NUL byte),
  // unavailable, write_failed, corrupt, backend_error; messages name the file or server.
  [[nodiscard]] virtual Result<SqlRows> query(const char* sql,
                                              std::span<const SqlValue> params) = 0;
  [[nodiscard]] Result<SqlRows> query(const char* sql) { return query(sql, {}); }
  // Runs statements without parameters (schema changes).
  [[nodiscard]] virtual Result<void> script(const char* sql) = 0;

 protected:
  SqlSession() = default;
  SqlSession(const SqlSession&) = default;
  SqlSession& operator=(const SqlSession&) = default;
  ~SqlSession() = default;
};

enum class SqlMode {
  autocommit,   // each statement on its own: reads of one statement
  transaction,  // all statements of the body or none (SQLite: BEGIN IMMEDIATE)
};

class SqlDatabase {
 public:
  using Body = std::function<Result<void>(SqlSession&)>;

  SqlDatabase() = default;
  SqlDatabase(const SqlDatabase&) = delete;
  SqlDatabase& operator=(const SqlDatabase&) = delete;
  virtual ~SqlDatabase() = default;

  // Runs `body` under the connection's lock; in `transaction` mode its writes are committed
  // when it succeeds and rolled back when it fails. A body may run twice: when the PostgreSQL
  // connection broke before the commit was sent (nothing of it was kept), it runs again on a
  // new connection, so a body only assigns what it returns.
  [[nodiscard]] virtual Result<void> run(SqlMode mode, const Body& body) = 0;

  // "sqlite" or "postgres".
  [[nodiscard]] virtual std::string_view name() const = 0;
  // "SQLite database <file>" or "PostgreSQL host:port/db", for messages.
  [[nodiscard]] virtual const std::string& describe() const = 0;
};

// invalid_argument if a text parameter holds a NUL byte (PostgreSQL text cannot, and SQLite
// must store what PostgreSQL would).
[[nodiscard]] Result<void> check_sql_params(std::span<const SqlValue> params,
                                            const std::string& describe);

// The rows of one statement run on its own (autocommit), for the stores' reads.
[[nodiscard]] Result<SqlRows> read_statement(SqlDatabase& database, const char* sql,
                                             std::span<const SqlValue> params);

}  // namespace mtasts::store

#pragma once

// What the PostgreSQL stores share: one libpq connection established and used with bounded
// waits. Connecting is bounded by a connect timeout; every statement by a timeout, both on the
// server (statement_timeout) and here (the answer is awaited at most that long). A transport
// failure or a timeout drops the connection, so the next call makes a new one.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "mtasts/store/store_error.hpp"

struct pg_conn;
struct pg_result;

namespace mtasts::store::pg {

struct Finish {
  void operator()(pg_conn* conn) const;
};
struct Clear {
  void operator()(pg_result* result) const;
};
using Conn = std::unique_ptr<pg_conn, Finish>;
using PgResult = std::unique_ptr<pg_result, Clear>;

struct RunFailure {
  Error error;
  bool connection_lost = false;  // the connection is gone: a new one may succeed at once
  std::string sqlstate;          // the server's SQLSTATE when it refused the statement
};

// "PostgreSQL host:port/db" of a libpq URI or key=value string, for messages (never the
// password). Errors: invalid_config "<config_key>: <libpq's reason>" when libpq cannot parse it.
[[nodiscard]] Result<std::string> describe_dsn(const std::string& dsn, std::string_view config_key);

// Connects within `connect_timeout` and sets statement_timeout to `statement_timeout`.
// Errors: unavailable (cannot connect in time, refused), backend_error (the setup refused).
// `describe` (from describe_dsn) starts every message.
[[nodiscard]] Result<Conn> connect(const std::string& dsn,
                                   std::chrono::milliseconds connect_timeout,
                                   std::chrono::milliseconds statement_timeout,
                                   const std::string& describe);

// Runs `sql` (one statement with parameters, or several without; nullptr is NULL) on `conn`
// and returns its last result, waiting at most `timeout`. A transport failure or a timeout
// resets `conn`. Errors: unavailable (transport, timeout, statement cancelled), backend_error
// (the server refused: the SQLSTATE is in the failure).
[[nodiscard]] tl::expected<PgResult, RunFailure> run(Conn& conn, const std::string& sql,
                                                     std::span<const char* const> params,
                                                     std::chrono::milliseconds timeout,
                                                     const std::string& describe);

// A cell as text (empty for NULL), or as a number (0 when it is not one).
[[nodiscard]] std::string text_at(pg_result* result, int row, int column);
[[nodiscard]] std::int64_t number_at(pg_result* result, int row, int column);
[[nodiscard]] bool is_null(pg_result* result, int row, int column);

}  // namespace mtasts::store::pg

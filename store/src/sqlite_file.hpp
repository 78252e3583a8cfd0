#pragma once

// What the SQLite policy store and the SQLite hosting store share: owning handles, a scope that
// resets a prepared statement, text in and out, the mapping of SQLite's result codes to store
// errors, and opening a file checked and in WAL mode.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "mtasts/store/store_error.hpp"

namespace mtasts::store {

struct SqliteClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteFinalize {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteClose>;
using SqliteStatement = std::unique_ptr<sqlite3_stmt, SqliteFinalize>;

// How messages name a database file, and what they advise when it is damaged.
struct SqliteFile {
  std::string describe;             // "SQLite cache /var/lib/mtasts/cache.db"
  std::string_view corrupt_advice;  // a literal: "restore it from a backup"
  // A file larger than full_check_bytes has only these tables (those that exist) checked at
  // open, not the whole file: a full check reads every page, minutes for the hosting store with
  // a year of TLS-RPT reports. Empty: always the whole file.
  std::span<const std::string_view> large_file_tables = {};
  std::uintmax_t full_check_bytes = std::uintmax_t{256} << 20;
};

// Resets a prepared statement and clears its bindings when the scope that used it ends.
class SqliteUse {
 public:
  explicit SqliteUse(sqlite3_stmt* statement) : statement_(statement) {}
  SqliteUse(const SqliteUse&) = delete;
  SqliteUse& operator=(const SqliteUse&) = delete;
  ~SqliteUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  sqlite3_stmt* operator*() const { return statement_; }

 private:
  sqlite3_stmt* statement_;
};

// Binds `text` without copying it (it must outlive the statement's use); an empty view binds
// an empty text, never NULL. Returns SQLite's result code.
int sqlite_bind_text(sqlite3_stmt* statement, int index, std::string_view text);

// Column `index` of the current row as text; "" for NULL.
[[nodiscard]] std::string sqlite_column_text(sqlite3_stmt* statement, int index);

// The store error for SQLite result code `rc` while `doing` something to `file`:
// "<describe>: <doing>: <SQLite's reason>". Damaged files are corrupt (with the advice),
// permissions, read-only files, full disks and I/O errors write_failed, locks unavailable,
// refused data (constraints, oversized values) invalid_argument, the rest backend_error.
[[nodiscard]] Error sqlite_error(sqlite3* db, int rc, const SqliteFile& file,
                                 std::string_view doing);

// The first column of the first row of `sql` as text ("" without a row or for NULL).
[[nodiscard]] Result<std::string> sqlite_first_text(sqlite3* db, const char* sql,
                                                    const SqliteFile& file, std::string_view doing);

// Opens `filename` with `flags` (SQLITE_OPEN_NOMUTEX added), waits on other writers up to
// `busy_timeout` (at most an hour), checks it with PRAGMA quick_check and switches it to WAL.
// Errors: corrupt (not a database, or damaged), write_failed (cannot open or create it,
// read-only), unavailable (locked beyond the timeout), backend_error; `doing` names the open
// in the message ("cannot open it").
[[nodiscard]] Result<SqliteDb> open_sqlite_file(const std::string& filename, int flags,
                                                std::chrono::milliseconds busy_timeout,
                                                const SqliteFile& file, std::string_view doing);

}  // namespace mtasts::store

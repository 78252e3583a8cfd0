#include "sqlite_file.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mtasts::store {

int sqlite_bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
  // A null data pointer would bind NULL: an empty text is still a text.
  return sqlite3_bind_text(statement, index, text.data() == nullptr ? "" : text.data(),
                           static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string sqlite_column_text(sqlite3_stmt* statement, int index) {
  const auto* text = sqlite3_column_text(statement, index);
  const int size = sqlite3_column_bytes(statement, index);
  return text == nullptr
             ? std::string()
             : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

Error sqlite_error(sqlite3* db, int rc, const SqliteFile& file, std::string_view doing) {
  const std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string where = file.describe + ": " + std::string(doing) + ": " + reason;
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {Errc::corrupt, where + " (" + std::string(file.corrupt_advice) + ")"};
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_AUTH:
      return {Errc::write_failed, where};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {Errc::unavailable, where + " (locked by another process)"};
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
      return {Errc::invalid_argument, where};
    default:
      return {Errc::backend_error, where};
  }
}

Result<std::string> sqlite_first_text(sqlite3* db, const char* sql, const SqliteFile& file,
                                      std::string_view doing) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  const SqliteStatement statement(raw);
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db, rc, file, doing));
  }
  std::string text;
  rc = sqlite3_step(raw);
  if (rc == SQLITE_ROW) {
    text = sqlite_column_text(raw, 0);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(db, rc, file, doing));
  }
  return text;
}

namespace {

// `PRAGMA quick_check` of the whole file, or of the tables named for a large one (with their
// indexes; reading the schema to find them checks its pages too).
Result<void> check_file(sqlite3* db, const std::string& filename, const SqliteFile& file) {
  std::error_code size_error;
  const std::uintmax_t size = std::filesystem::file_size(filename, size_error);
  std::vector<std::string> checks;
  if (file.large_file_tables.empty() || size_error || size <= file.full_check_bytes) {
    checks.emplace_back("PRAGMA quick_check(1)");
  } else {
    for (const std::string_view table : file.large_file_tables) {
      const std::string exists =
          "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" +
          std::string(table) + "'";
      auto found = sqlite_first_text(db, exists.c_str(), file, "checking it");
      if (!found) {
        return tl::unexpected(found.error());
      }
      if (*found != "0") {
        checks.push_back("PRAGMA quick_check(" + std::string(table) + ")");
      }
    }
  }
  for (const std::string& sql : checks) {
    auto check = sqlite_first_text(db, sql.c_str(), file, "checking it");
    if (!check) {
      return tl::unexpected(check.error());
    }
    if (*check != "ok") {
      return fail(Errc::corrupt, file.describe + " is damaged (" + *check +
                                     "): " + std::string(file.corrupt_advice));
    }
  }
  return {};
}

}  // namespace

Result<SqliteDb> open_sqlite_file(const std::string& filename, int flags,
                                  std::chrono::milliseconds busy_timeout, const SqliteFile& file,
                                  std::string_view doing) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(filename.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db.get(), rc, file, doing));
  }
  const auto busy_ms = std::clamp<std::int64_t>(busy_timeout.count(), 0, 3'600'000);
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_ms));
  if (auto checked = check_file(db.get(), filename, file); !checked) {
    return tl::unexpected(checked.error());
  }
  if (sqlite3_db_readonly(db.get(), "main") == 1) {
    return fail(Errc::write_failed, file.describe + " is read-only");
  }
  // WAL: readers never block the writer.
  auto wal = sqlite_first_text(db.get(), "PRAGMA journal_mode=WAL", file, "enabling WAL");
  if (!wal) {
    return tl::unexpected(wal.error());
  }
  return db;
}

}  // namespace mtasts::store

#include "sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <limits>

#include "keyset_pages.hpp"

namespace mtasts::store {
namespace {

// Migration i takes the schema from version i to i + 1; the schema version is their count.
constexpr std::array<const char*, 1> kMigrations = {
    "CREATE TABLE mtasts_policy ("
    "  domain TEXT PRIMARY KEY NOT NULL, policy_id TEXT NOT NULL, body TEXT NOT NULL,"
    "  fetched_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX mtasts_policy_expires ON mtasts_policy (expires_at);",
};
constexpr auto kSchemaVersion = static_cast<std::int64_t>(kMigrations.size());

constexpr const char* kGetSql =
    "SELECT policy_id, body, fetched_at, expires_at FROM mtasts_policy"
    " WHERE domain = ?1 AND expires_at >= ?2";
// A concurrent writer (another daemon on the same file) may have stored a later fetch.
constexpr const char* kPutSql =
    "INSERT INTO mtasts_policy (domain, policy_id, body, fetched_at, expires_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (domain) DO UPDATE SET"
    " policy_id = excluded.policy_id, body = excluded.body, fetched_at = excluded.fetched_at,"
    " expires_at = excluded.expires_at WHERE excluded.fetched_at >= mtasts_policy.fetched_at";
constexpr const char* kEraseSql = "DELETE FROM mtasts_policy WHERE domain = ?1";
constexpr const char* kPageSql =
    "SELECT domain, policy_id, body, fetched_at, expires_at FROM mtasts_policy"
    " WHERE expires_at >= ?1 AND domain > ?2 ORDER BY domain LIMIT ?3";
constexpr const char* kPurgeSql = "DELETE FROM mtasts_policy WHERE expires_at < ?1";

Error sqlite_error(sqlite3* db, int rc, const std::string& filename, std::string_view doing) {
  const std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string where = "SQLite cache " + filename + ": " + std::string(doing) + ": " + reason;
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {Errc::corrupt,
              where + " (a damaged cache file can be deleted; mtasts creates a new one)"};
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
    default:
      return {Errc::backend_error, where};
  }
}

std::int64_t seconds_of(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint time_of(std::int64_t seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

// Resets a prepared statement when the scope that used it ends.
class Use {
 public:
  explicit Use(sqlite3_stmt* statement) : statement_(statement) {}
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  ~Use() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  sqlite3_stmt* operator*() const { return statement_; }

 private:
  sqlite3_stmt* statement_;
};

void bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
  sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string column_text(sqlite3_stmt* statement, int index) {
  const auto* text = sqlite3_column_text(statement, index);
  const int size = sqlite3_column_bytes(statement, index);
  return text == nullptr
             ? std::string()
             : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

Result<void> exec(sqlite3* db, const char* sql, const std::string& filename,
                  std::string_view doing) {
  if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db, rc, filename, doing));
  }
  return {};
}

// The first column of the first row of `sql` as text ("" if no row).
Result<std::string> query_text(sqlite3* db, const char* sql, const std::string& filename,
                               std::string_view doing) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db, rc, filename, doing));
  }
  std::string text;
  rc = sqlite3_step(raw);
  if (rc == SQLITE_ROW) {
    text = column_text(raw, 0);
  }
  sqlite3_finalize(raw);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(db, rc, filename, doing));
  }
  return text;
}

Result<void> migrate_locked(sqlite3* db, const std::string& filename) {
  auto created = exec(db, "CREATE TABLE IF NOT EXISTS mtasts_schema (version INTEGER)", filename,
                      "creating the schema table");
  if (!created) {
    return created;
  }
  auto text = query_text(db, "SELECT max(version) FROM mtasts_schema", filename,
                         "reading the schema version");
  if (!text) {
    return tl::unexpected(text.error());
  }
  std::int64_t version = 0;
  if (!text->empty()) {
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), version);
    if (ec != std::errc() || end != text->data() + text->size() || version < 0) {
      return fail(Errc::corrupt, "SQLite cache " + filename + ": schema version \"" + *text +
                                     "\" is not a number");
    }
  }
  if (version > kSchemaVersion) {
    return fail(Errc::incompatible, "SQLite cache " + filename + " has schema version " + *text +
                                        ", written by a newer mtasts");
  }
  if (version == kSchemaVersion) {
    return {};
  }
  for (auto v = static_cast<std::size_t>(version); v < kMigrations.size(); ++v) {
    if (auto step = exec(db, kMigrations[v], filename, "migrating the schema"); !step) {
      return step;
    }
  }
  const std::string record = "DELETE FROM mtasts_schema; INSERT INTO mtasts_schema VALUES (" +
                             std::to_string(kSchemaVersion) + ")";
  return exec(db, record.c_str(), filename, "recording the schema version");
}

// Brings the schema to kSchemaVersion in one transaction, so two daemons opening the same new
// file do not both migrate it.
Result<void> migrate(sqlite3* db, const std::string& filename) {
  if (auto begun = exec(db, "BEGIN IMMEDIATE", filename, "locking the schema"); !begun) {
    return begun;
  }
  auto migrated = migrate_locked(db, filename).and_then([&] {
    return exec(db, "COMMIT", filename, "committing the schema");
  });
  if (!migrated) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return migrated;
}

Result<void> create_directory_of(const std::string& filename) {
  const std::filesystem::path parent = std::filesystem::path(filename).parent_path();
  std::error_code ec;
  if (parent.empty() || std::filesystem::is_directory(parent, ec)) {
    return {};
  }
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return fail(Errc::write_failed, "SQLite cache " + filename + ": cannot create directory " +
                                        parent.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace

void SqliteStore::CloseDb::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}
void SqliteStore::Finalize::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

SqliteStore::SqliteStore(std::string filename, Connection connection)
    : filename_(std::move(filename)), connection_(std::move(connection)) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const StoreConfig& config) {
  const std::string& filename = config.filename;
  if (filename.empty()) {
    return fail(Errc::invalid_config, "cache.options.filename: no SQLite file configured");
  }
  if (auto made = create_directory_of(filename); !made) {
    return tl::unexpected(made.error());
  }
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(filename.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db.get(), rc, filename, "cannot open or create it"));
  }
  const auto busy_ms = std::min<std::int64_t>(config.timeout.count(), 3'600'000);
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_ms));

  auto check = query_text(db.get(), "PRAGMA quick_check(1)", filename, "checking it");
  if (!check) {
    return tl::unexpected(check.error());
  }
  if (*check != "ok") {
    return fail(Errc::corrupt,
                "SQLite cache " + filename + " is damaged (" + *check +
                    "): a damaged cache file can be deleted; mtasts creates a new one");
  }
  if (sqlite3_db_readonly(db.get(), "main") == 1) {
    return fail(Errc::write_failed, "SQLite cache " + filename + " is read-only");
  }
  // WAL: readers (mtasts cache list) never block the daemon's writes; NORMAL sync is durable
  // across a process crash, which is what a cache needs.
  auto ready = query_text(db.get(), "PRAGMA journal_mode=WAL", filename, "enabling WAL")
                   .and_then([&](const std::string&) {
                     return exec(db.get(), "PRAGMA synchronous=NORMAL", filename,
                                 "setting synchronous mode");
                   })
                   .and_then([&] { return migrate(db.get(), filename); });
  if (!ready) {
    return tl::unexpected(ready.error());
  }

  Connection connection;
  const std::array<std::pair<Statement*, const char*>, 5> statements = {{
      {&connection.get, kGetSql},
      {&connection.put, kPutSql},
      {&connection.erase, kEraseSql},
      {&connection.page, kPageSql},
      {&connection.purge, kPurgeSql},
  }};
  for (const auto& [statement, sql] : statements) {
    sqlite3_stmt* prepared = nullptr;
    const int prc =
        sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &prepared, nullptr);
    statement->reset(prepared);
    if (prc != SQLITE_OK) {
      return tl::unexpected(sqlite_error(db.get(), prc, filename, "preparing statements"));
    }
  }
  connection.db = std::move(db);
  return std::unique_ptr<SqliteStore>(new SqliteStore(filename, std::move(connection)));
}

Result<std::optional<StoredPolicy>> SqliteStore::get(std::string_view domain, TimePoint now) {
  auto connection = connection_.lock();
  const Use statement(connection->get.get());
  bind_text(*statement, 1, domain);
  sqlite3_bind_int64(*statement, 2, seconds_of(now));
  const int rc = sqlite3_step(*statement);
  if (rc == SQLITE_DONE) {
    return std::optional<StoredPolicy>();
  }
  if (rc != SQLITE_ROW) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, filename_, "reading"));
  }
  return StoredPolicy{std::string(domain), column_text(*statement, 0), column_text(*statement, 1),
                      time_of(sqlite3_column_int64(*statement, 2)),
                      time_of(sqlite3_column_int64(*statement, 3))};
}

Result<void> SqliteStore::put(const StoredPolicy& policy) {
  if (auto valid = validate(policy); !valid) {
    return valid;
  }
  auto connection = connection_.lock();
  const Use statement(connection->put.get());
  bind_text(*statement, 1, policy.domain);
  bind_text(*statement, 2, policy.id);
  bind_text(*statement, 3, policy.body);
  sqlite3_bind_int64(*statement, 4, seconds_of(policy.fetched_at));
  sqlite3_bind_int64(*statement, 5, seconds_of(policy.expires_at));
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, filename_, "writing"));
  }
  return {};
}

Result<bool> SqliteStore::erase(std::string_view domain) {
  auto connection = connection_.lock();
  const Use statement(connection->erase.get());
  bind_text(*statement, 1, domain);
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, filename_, "deleting"));
  }
  return sqlite3_changes(connection->db.get()) > 0;
}

Result<std::vector<StoredPolicy>> SqliteStore::page(TimePoint now, const std::string& after,
                                                    std::size_t limit) {
  auto connection = connection_.lock();
  const Use statement(connection->page.get());
  sqlite3_bind_int64(*statement, 1, seconds_of(now));
  bind_text(*statement, 2, after);
  sqlite3_bind_int64(
      *statement, 3,
      static_cast<std::int64_t>(std::min<std::uint64_t>(
          limit, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))));
  std::vector<StoredPolicy> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
    out.push_back(StoredPolicy{column_text(*statement, 0), column_text(*statement, 1),
                               column_text(*statement, 2),
                               time_of(sqlite3_column_int64(*statement, 3)),
                               time_of(sqlite3_column_int64(*statement, 4))});
  }
  if (rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, filename_, "listing"));
  }
  return out;
}

Result<std::vector<StoredPolicy>> SqliteStore::list(TimePoint now, std::size_t limit) {
  return page(now, std::string(), limit);
}

Result<std::size_t> SqliteStore::visit(TimePoint now,
                                       const std::function<void(const StoredPolicy&)>& visitor) {
  return visit_keyset_pages(
      [&](const std::string& after, std::size_t limit) { return page(now, after, limit); },
      visitor);
}

Result<std::size_t> SqliteStore::purge_expired(TimePoint now) {
  auto connection = connection_.lock();
  const Use statement(connection->purge.get());
  sqlite3_bind_int64(*statement, 1, seconds_of(now));
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, filename_, "purging"));
  }
  return static_cast<std::size_t>(sqlite3_changes(connection->db.get()));
}

}  // namespace mtasts::store

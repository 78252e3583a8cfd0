#include "sqlite_store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <limits>

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

constexpr std::string_view kCorruptAdvice =
    "a damaged cache file can be deleted; mtasts creates a new one";

std::int64_t seconds_of(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint time_of(std::int64_t seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

Result<void> exec(sqlite3* db, const char* sql, const SqliteFile& file, std::string_view doing) {
  if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db, rc, file, doing));
  }
  return {};
}

Result<void> migrate_locked(sqlite3* db, const SqliteFile& file) {
  auto created = exec(db, "CREATE TABLE IF NOT EXISTS mtasts_schema (version INTEGER)", file,
                      "creating the schema table");
  if (!created) {
    return created;
  }
  auto text = sqlite_first_text(db, "SELECT max(version) FROM mtasts_schema", file,
                                "reading the schema version");
  if (!text) {
    return tl::unexpected(text.error());
  }
  std::int64_t version = 0;
  if (!text->empty()) {
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), version);
    if (ec != std::errc() || end != text->data() + text->size() || version < 0) {
      return fail(Errc::corrupt,
                  file.describe + ": schema version \"" + *text + "\" is not a number");
    }
  }
  if (version > kSchemaVersion) {
    return fail(Errc::incompatible,
                file.describe + " has schema version " + *text + ", written by a newer mtasts");
  }
  if (version == kSchemaVersion) {
    return {};
  }
  for (auto v = static_cast<std::size_t>(version); v < kMigrations.size(); ++v) {
    if (auto step = exec(db, kMigrations[v], file, "migrating the schema"); !step) {
      return step;
    }
  }
  const std::string record = "DELETE FROM mtasts_schema; INSERT INTO mtasts_schema VALUES (" +
                             std::to_string(kSchemaVersion) + ")";
  return exec(db, record.c_str(), file, "recording the schema version");
}

// Brings the schema to kSchemaVersion in one transaction, so two daemons opening the same new
// file do not both migrate it.
Result<void> migrate(sqlite3* db, const SqliteFile& file) {
  if (auto begun = exec(db, "BEGIN IMMEDIATE", file, "locking the schema"); !begun) {
    return begun;
  }
  auto migrated = migrate_locked(db, file).and_then(
      [&] { return exec(db, "COMMIT", file, "committing the schema"); });
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

SqliteStore::SqliteStore(SqliteFile file, Connection connection)
    : PolicyStore("sqlite"), file_(std::move(file)), connection_(std::move(connection)) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const StoreConfig& config) {
  const std::string& filename = config.filename;
  if (filename.empty()) {
    return fail(Errc::invalid_config, "cache.options.filename: no SQLite file configured");
  }
  if (auto made = create_directory_of(filename); !made) {
    return tl::unexpected(made.error());
  }
  SqliteFile file{"SQLite cache " + filename, kCorruptAdvice};
  auto db = open_sqlite_file(filename, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, config.timeout,
                             file, "cannot open or create it");
  if (!db) {
    return tl::unexpected(db.error());
  }
  // NORMAL sync is durable across a process crash, which is what a cache needs.
  auto ready =
      exec(db->get(), "PRAGMA synchronous=NORMAL", file, "setting synchronous mode").and_then([&] {
        return migrate(db->get(), file);
      });
  if (!ready) {
    return tl::unexpected(ready.error());
  }

  Connection connection;
  const std::array<std::pair<SqliteStatement*, const char*>, 5> statements = {{
      {&connection.get, kGetSql},
      {&connection.put, kPutSql},
      {&connection.erase, kEraseSql},
      {&connection.page, kPageSql},
      {&connection.purge, kPurgeSql},
  }};
  for (const auto& [statement, sql] : statements) {
    sqlite3_stmt* prepared = nullptr;
    const int prc =
        sqlite3_prepare_v3(db->get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &prepared, nullptr);
    statement->reset(prepared);
    if (prc != SQLITE_OK) {
      return tl::unexpected(sqlite_error(db->get(), prc, file, "preparing statements"));
    }
  }
  connection.db = std::move(*db);
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(file), std::move(connection)));
}

Result<std::optional<StoredPolicy>> SqliteStore::do_get(std::string_view domain, TimePoint now) {
  auto connection = connection_.lock();
  const SqliteUse statement(connection->get.get());
  sqlite_bind_text(*statement, 1, domain);
  sqlite3_bind_int64(*statement, 2, seconds_of(now));
  const int rc = sqlite3_step(*statement);
  if (rc == SQLITE_DONE) {
    return std::optional<StoredPolicy>();
  }
  if (rc != SQLITE_ROW) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, file_, "reading"));
  }
  return StoredPolicy{
      std::string(domain), sqlite_column_text(*statement, 0), sqlite_column_text(*statement, 1),
      time_of(sqlite3_column_int64(*statement, 2)), time_of(sqlite3_column_int64(*statement, 3))};
}

Result<void> SqliteStore::do_put(const StoredPolicy& policy) {
  auto connection = connection_.lock();
  const SqliteUse statement(connection->put.get());
  sqlite_bind_text(*statement, 1, policy.domain);
  sqlite_bind_text(*statement, 2, policy.id);
  sqlite_bind_text(*statement, 3, policy.body);
  sqlite3_bind_int64(*statement, 4, seconds_of(policy.fetched_at));
  sqlite3_bind_int64(*statement, 5, seconds_of(policy.expires_at));
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, file_, "writing"));
  }
  return {};
}

Result<bool> SqliteStore::do_erase(std::string_view domain) {
  auto connection = connection_.lock();
  const SqliteUse statement(connection->erase.get());
  sqlite_bind_text(*statement, 1, domain);
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, file_, "deleting"));
  }
  return sqlite3_changes(connection->db.get()) > 0;
}

Result<std::vector<StoredPolicy>> SqliteStore::page(const PageQuery& query) {
  auto connection = connection_.lock();
  const SqliteUse statement(connection->page.get());
  sqlite3_bind_int64(*statement, 1, seconds_of(query.now));
  sqlite_bind_text(*statement, 2, query.after);
  sqlite3_bind_int64(
      *statement, 3,
      static_cast<std::int64_t>(std::min<std::uint64_t>(
          query.limit, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))));
  std::vector<StoredPolicy> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
    out.push_back(StoredPolicy{sqlite_column_text(*statement, 0), sqlite_column_text(*statement, 1),
                               sqlite_column_text(*statement, 2),
                               time_of(sqlite3_column_int64(*statement, 3)),
                               time_of(sqlite3_column_int64(*statement, 4))});
  }
  if (rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, file_, "listing"));
  }
  return out;
}

Result<std::size_t> SqliteStore::do_purge(TimePoint now) {
  auto connection = connection_.lock();
  const SqliteUse statement(connection->purge.get());
  sqlite3_bind_int64(*statement, 1, seconds_of(now));
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(connection->db.get(), rc, file_, "purging"));
  }
  return static_cast<std::size_t>(sqlite3_changes(connection->db.get()));
}

}  // namespace mtasts::store

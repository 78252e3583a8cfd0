#include "sqlite_hosting_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "hosting_schema.hpp"
#include "mtasts/core/base/guarded.hpp"
#include "sql_hosting_store.hpp"

namespace mtasts::store {
namespace {

Error sqlite_error(sqlite3* db, int rc, const std::string& describe, std::string_view doing) {
  const std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string where = describe + ": " + std::string(doing) + ": " + reason;
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      // Unlike the policy cache, nothing here can be fetched again.
      return {Errc::corrupt, where +
                                 " (restore it from a backup: it holds the hosted domains,"
                                 " their history and the certificates' keys)"};
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

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct Finalize {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;
using Statement = std::unique_ptr<sqlite3_stmt, Finalize>;

// Looks statements up by their text without copying it.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

// The connection and the statements prepared on it (by SQL text): reachable only under the
// lock.
struct Connection {
  Db db;
  std::unordered_map<std::string, Statement, TextHash, std::equal_to<>> statements;
};

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

 private:
  sqlite3_stmt* statement_;
};

int bind(sqlite3_stmt* statement, int index, const SqlValue& value) {
  if (const auto* number = std::get_if<std::int64_t>(&value)) {
    return sqlite3_bind_int64(statement, index, *number);
  }
  if (const auto* text = std::get_if<std::string_view>(&value)) {
    // A null data pointer would bind NULL: an empty text is still a text.
    return sqlite3_bind_text(statement, index, text->data() == nullptr ? "" : text->data(),
                             static_cast<int>(text->size()), SQLITE_STATIC);
  }
  return sqlite3_bind_null(statement, index);
}

class Session final : public SqlSession {
 public:
  Session(Connection& connection, const std::string& describe)
      : connection_(connection), describe_(describe) {}

  Result<SqlRows> query(const char* sql, std::span<const SqlValue> params) override {
    if (auto valid = check_sql_params(params, describe_); !valid) {
      return tl::unexpected(valid.error());
    }
    auto prepared = statement(sql);
    if (!prepared) {
      return tl::unexpected(prepared.error());
    }
    sqlite3_stmt* stmt = *prepared;
    const Use use(stmt);
    for (std::size_t i = 0; i < params.size(); ++i) {
      // The statements are written with PostgreSQL's $n placeholders, which SQLite takes as
      // named parameters "$n".
      const std::string name = "$" + std::to_string(i + 1);
      const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (index == 0) {
        continue;
      }
      if (const int rc = bind(stmt, index, params[i]); rc != SQLITE_OK) {
        return tl::unexpected(sqlite_error(db(), rc, describe_, "binding"));
      }
    }
    SqlRows rows;
    const int columns = sqlite3_column_count(stmt);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      SqlRow& row = rows.emplace_back();
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back();
          continue;
        }
        const auto* text = sqlite3_column_text(stmt, c);
        const int size = sqlite3_column_bytes(stmt, c);
        row.emplace_back(text == nullptr ? std::string()
                                         : std::string(reinterpret_cast<const char*>(text),
                                                       static_cast<std::size_t>(size)));
      }
    }
    if (rc != SQLITE_DONE) {
      return tl::unexpected(sqlite_error(db(), rc, describe_, "running a statement"));
    }
    return rows;
  }

  Result<void> script(const char* sql) override {
    if (const int rc = sqlite3_exec(db(), sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
      return tl::unexpected(sqlite_error(db(), rc, describe_, "running statements"));
    }
    return {};
  }

 private:
  sqlite3* db() const { return connection_.db.get(); }

  Result<sqlite3_stmt*> statement(const char* sql) {
    const std::string_view text = sql;
    if (auto found = connection_.statements.find(text); found != connection_.statements.end()) {
      return found->second.get();
    }
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    Statement prepared(raw);
    if (rc != SQLITE_OK) {
      return tl::unexpected(sqlite_error(db(), rc, describe_, "preparing a statement"));
    }
    connection_.statements.emplace(std::string(text), std::move(prepared));
    return raw;
  }

  Connection& connection_;
  const std::string& describe_;
};

class SqliteDatabase final : public SqlDatabase {
 public:
  SqliteDatabase(std::string describe, Db db)
      : describe_(std::move(describe)), connection_(Connection{std::move(db), {}}) {}

  Result<void> run(SqlMode mode, const Body& body) override {
    auto connection = connection_.lock();
    Session session(*connection, describe_);
    switch (mode) {
      case SqlMode::autocommit:
        return body(session);
      case SqlMode::transaction:
        break;
    }
    // IMMEDIATE takes the write lock at BEGIN (waiting up to the busy timeout), so two
    // processes never both read and then fail to upgrade to writing.
    if (auto begun = session.script("BEGIN IMMEDIATE"); !begun) {
      return begun;
    }
    auto outcome = body(session).and_then([&] { return session.script("COMMIT"); });
    if (!outcome) {
      // SQLite may have rolled back already (a full disk does): then this one fails, harmlessly.
      sqlite3_exec(connection->db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return outcome;
  }

  std::string_view name() const override { return "sqlite"; }
  const std::string& describe() const override { return describe_; }

 private:
  std::string describe_;
  core::Guarded<Connection, std::mutex> connection_;
};

// Creates the missing directories on the way to `dir`, each 0700.
Result<void> create_private_directories(const std::filesystem::path& dir,
                                        const std::string& describe) {
  std::error_code ec;
  if (dir.empty() || std::filesystem::is_directory(dir, ec)) {
    return {};
  }
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    if (auto parent = create_private_directories(dir.parent_path(), describe); !parent) {
      return parent;
    }
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(Errc::write_failed, describe + ": cannot create directory " + dir.string() + ": " +
                                        std::strerror(errno));
  }
  return {};
}

// Creates the file 0600 unless it exists (SQLite would create it 0644 under the usual umask,
// and its -wal and -shm files take the database file's mode).
Result<void> create_private_file(const std::string& filename, const std::string& describe) {
  const int fd = ::open(filename.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::write_failed,
                describe + ": cannot open or create it for writing: " + std::strerror(errno));
  }
  ::close(fd);
  return {};
}

// The first column of the first row of `sql` as text ("" if no row).
Result<std::string> pragma_text(sqlite3* db, const char* sql, const std::string& describe,
                                std::string_view doing) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  const Statement statement(raw);
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db, rc, describe, doing));
  }
  std::string text;
  rc = sqlite3_step(raw);
  if (rc == SQLITE_ROW && sqlite3_column_type(raw, 0) != SQLITE_NULL) {
    text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(db, rc, describe, doing));
  }
  return text;
}

Result<Db> open_checked(const HostingStoreConfig& config, const std::string& describe) {
  const std::string& filename = config.filename;
  auto made = create_private_directories(std::filesystem::path(filename).parent_path(), describe)
                  .and_then([&] { return create_private_file(filename, describe); });
  if (!made) {
    return tl::unexpected(made.error());
  }
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(filename.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db.get(), rc, describe, "cannot open it"));
  }
  const auto busy_ms = std::clamp<std::int64_t>(config.timeout.count(), 0, 3'600'000);
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_ms));
  auto check = pragma_text(db.get(), "PRAGMA quick_check(1)", describe, "checking it");
  if (!check) {
    return tl::unexpected(check.error());
  }
  if (*check != "ok") {
    return fail(Errc::corrupt, describe + " is damaged (" + *check +
                                   "): restore it from a backup: it holds the hosted domains,"
                                   " their history and the certificates' keys");
  }
  if (sqlite3_db_readonly(db.get(), "main") == 1) {
    return fail(Errc::write_failed, describe + " is read-only");
  }
  auto ready = pragma_text(db.get(), "PRAGMA journal_mode=WAL", describe, "enabling WAL")
                   .and_then([&](const std::string&) {
                     return pragma_text(db.get(), "PRAGMA synchronous=FULL", describe,
                                        "setting synchronous mode");
                   })
                   .and_then([&](const std::string&) {
                     return pragma_text(db.get(), "PRAGMA foreign_keys=ON", describe,
                                        "enabling foreign keys");
                   });
  if (!ready) {
    return tl::unexpected(ready.error());
  }
  return db;
}

}  // namespace

Result<std::unique_ptr<HostingStore>> open_sqlite_hosting_store(const HostingStoreConfig& config) {
  if (config.filename.empty()) {
    return fail(Errc::invalid_config, "hosting store: no SQLite file name configured");
  }
  const std::string describe = "SQLite database " + config.filename;
  auto db = open_checked(config, describe);
  if (!db) {
    return tl::unexpected(db.error());
  }
  auto database = std::make_unique<SqliteDatabase>(describe, std::move(*db));
  auto migrated = database->run(SqlMode::transaction, [&](SqlSession& session) {
    return migrate_hosting_schema(session, SqlDialect::sqlite, describe);
  });
  if (!migrated) {
    return tl::unexpected(migrated.error());
  }
  return std::unique_ptr<HostingStore>(std::make_unique<SqlHostingStore>(std::move(database)));
}

}  // namespace mtasts::store

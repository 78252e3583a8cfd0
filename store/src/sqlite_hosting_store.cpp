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
#include "sqlite_file.hpp"

namespace mtasts::store {
namespace {

// Unlike the policy cache, nothing here can be fetched again.
constexpr std::string_view kCorruptAdvice =
    "restore it from a backup: it holds the hosted domains, their history and the certificates'"
    " keys";

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
  SqliteDb db;
  std::unordered_map<std::string, SqliteStatement, TextHash, std::equal_to<>> statements;
};

int bind(sqlite3_stmt* statement, int index, const SqlValue& value) {
  if (const auto* number = std::get_if<std::int64_t>(&value)) {
    return sqlite3_bind_int64(statement, index, *number);
  }
  if (const auto* text = std::get_if<std::string_view>(&value)) {
    return sqlite_bind_text(statement, index, *text);
  }
  return sqlite3_bind_null(statement, index);
}

class Session final : public SqlSession {
 public:
  Session(Connection& connection, const SqliteFile& file) : connection_(connection), file_(file) {}

  Result<SqlRows> query(const char* sql, std::span<const SqlValue> params) override {
    if (auto valid = check_sql_params(params, file_.describe); !valid) {
      return tl::unexpected(valid.error());
    }
    auto prepared = statement(sql);
    if (!prepared) {
      return tl::unexpected(prepared.error());
    }
    sqlite3_stmt* stmt = *prepared;
    const SqliteUse use(stmt);
    for (std::size_t i = 0; i < params.size(); ++i) {
      // The statements are written with PostgreSQL's $n placeholders, which SQLite takes as
      // named parameters "$n".
      const std::string name = "$" + std::to_string(i + 1);
      const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (index == 0) {
        continue;
      }
      if (const int rc = bind(stmt, index, params[i]); rc != SQLITE_OK) {
        return tl::unexpected(sqlite_error(db(), rc, file_, "binding"));
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
        row.emplace_back(sqlite_column_text(stmt, c));
      }
    }
    if (rc != SQLITE_DONE) {
      return tl::unexpected(sqlite_error(db(), rc, file_, "running a statement"));
    }
    return rows;
  }

  Result<void> script(const char* sql) override {
    if (const int rc = sqlite3_exec(db(), sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
      return tl::unexpected(sqlite_error(db(), rc, file_, "running statements"));
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
    SqliteStatement prepared(raw);
    if (rc != SQLITE_OK) {
      return tl::unexpected(sqlite_error(db(), rc, file_, "preparing a statement"));
    }
    connection_.statements.emplace(std::string(text), std::move(prepared));
    return raw;
  }

  Connection& connection_;
  const SqliteFile& file_;
};

class SqliteDatabase final : public SqlDatabase {
 public:
  SqliteDatabase(SqliteFile file, SqliteDb db)
      : file_(std::move(file)), connection_(Connection{std::move(db), {}}) {}

  Result<void> run(SqlMode mode, const Body& body) override {
    auto connection = connection_.lock();
    Session session(*connection, file_);
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
  const std::string& describe() const override { return file_.describe; }

 private:
  SqliteFile file_;
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

// What a large file has checked at open (sqlite_file.hpp): every table but the TLS-RPT
// reports', which hold nearly all of a large store; damage there is reported by the request
// that meets it (Errc::corrupt), and the policies, certificates and accounts are checked.
constexpr std::string_view kTablesCheckedAtOpenList[] = {
    "host_schema",          "host_generation",    "host_domains",    "host_versions",
    "host_certificates",    "host_acme_accounts", "host_challenges", "host_leases",
    "host_monitor_results", "host_audit",         "host_instances"};
constexpr std::span<const std::string_view> kTablesCheckedAtOpen = kTablesCheckedAtOpenList;

Result<SqliteDb> open_checked(const HostingStoreConfig& config, const SqliteFile& file) {
  const std::string& filename = config.filename;
  auto made =
      create_private_directories(std::filesystem::path(filename).parent_path(), file.describe)
          .and_then([&] { return create_private_file(filename, file.describe); });
  if (!made) {
    return tl::unexpected(made.error());
  }
  auto db =
      open_sqlite_file(filename, SQLITE_OPEN_READWRITE, config.timeout, file, "cannot open it");
  if (!db) {
    return db;
  }
  auto ready =
      sqlite_first_text(db->get(), "PRAGMA synchronous=FULL", file, "setting synchronous mode")
          .and_then([&](const std::string&) {
            return sqlite_first_text(db->get(), "PRAGMA foreign_keys=ON", file,
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
  SqliteFile file{"SQLite database " + config.filename, kCorruptAdvice};
  file.large_file_tables = kTablesCheckedAtOpen;
  auto db = open_checked(config, file);
  if (!db) {
    return tl::unexpected(db.error());
  }
  auto database = std::make_unique<SqliteDatabase>(file, std::move(*db));
  auto migrated = database->run(SqlMode::transaction, [&](SqlSession& session) {
    return migrate_hosting_schema(session, SqlDialect::sqlite, file.describe);
  });
  if (!migrated) {
    return tl::unexpected(migrated.error());
  }
  return std::unique_ptr<HostingStore>(std::make_unique<SqlHostingStore>(std::move(database)));
}

}  // namespace mtasts::store

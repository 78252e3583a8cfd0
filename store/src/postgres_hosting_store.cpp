#include "postgres_hosting_store.hpp"

#include <libpq-fe.h>

#include <mutex>
#include <string>
#include <vector>

#include "hosting_schema.hpp"
#include "mtasts/core/base/guarded.hpp"
#include "pg_connection.hpp"
#include "sql_hosting_store.hpp"

namespace mtasts::store {
namespace {

// Per migration lock, per schema: instances of other schemas in the database do not wait.
constexpr const char* kMigrationLock =
    "SELECT pg_advisory_xact_lock(8461, hashtext(coalesce(current_schema(), '')"
    " || '.host_schema'))";

// The store's error class for what the server refused, by SQLSTATE class or code.
Errc refused_code(const std::string& sqlstate, Errc given) {
  const std::string_view state = sqlstate;
  if (state.starts_with("22") || state.starts_with("23")) {
    return Errc::invalid_argument;  // data exception, integrity constraint violation
  }
  if (state == "42501" || state == "25006" || state == "53100") {
    return Errc::write_failed;  // insufficient privilege, read-only (a standby), disk full
  }
  return given;
}

struct Connection {
  pg::Conn conn;  // null while disconnected
};

struct Settings {
  std::string dsn;
  std::string describe;
  std::chrono::milliseconds timeout;
  std::chrono::milliseconds connect_timeout;
};

class Session final : public SqlSession {
 public:
  Session(const Settings& settings, Connection& connection)
      : settings_(settings), connection_(connection) {}

  Result<SqlRows> query(const char* sql, std::span<const SqlValue> params) override {
    if (auto valid = check_sql_params(params, settings_.describe); !valid) {
      return tl::unexpected(valid.error());
    }
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
        texts[i] = std::to_string(*number);
      } else if (const auto* text = std::get_if<std::string_view>(&params[i])) {
        texts[i] = std::string(*text);
      } else {
        continue;  // NULL
      }
      values[i] = texts[i].c_str();
    }
    auto result = send(sql, values);
    if (!result) {
      return tl::unexpected(result.error());
    }
    pg_result* rows = result->get();
    SqlRows out(static_cast<std::size_t>(PQntuples(rows)));
    const int columns = PQnfields(rows);
    for (int r = 0; r < PQntuples(rows); ++r) {
      SqlRow& row = out[static_cast<std::size_t>(r)];
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (pg::is_null(rows, r, c)) {
          row.emplace_back();
        } else {
          row.emplace_back(pg::text_at(rows, r, c));
        }
      }
    }
    return out;
  }

  Result<void> script(const char* sql) override {
    return send(sql, {}).transform([](const pg::PgResult&) {});
  }

  // The connection broke under a statement of this session before a commit was sent.
  [[nodiscard]] bool retryable() const { return lost_ && !committing_; }
  void committing() { committing_ = true; }

 private:
  // Without parameters, pg::run takes the simple protocol, which allows several statements.
  Result<pg::PgResult> send(const char* sql, std::span<const char* const> params) {
    if (!connection_.conn) {
      lost_ = true;
      return fail(Errc::unavailable, settings_.describe + ": the connection was lost");
    }
    const std::string text = sql;
    auto result = pg::run(connection_.conn, text, params, settings_.timeout, settings_.describe);
    if (!result) {
      pg::RunFailure& failure = result.error();
      lost_ = lost_ || failure.connection_lost;
      if (committing_) {
        failure.error.message += " (whether the transaction was committed is unknown)";
      }
      failure.error.code = refused_code(failure.sqlstate, failure.error.code);
      return tl::unexpected(std::move(failure.error));
    }
    return std::move(*result);
  }

  const Settings& settings_;
  Connection& connection_;
  bool lost_ = false;
  bool committing_ = false;
};

class PostgresDatabase final : public SqlDatabase {
 public:
  explicit PostgresDatabase(Settings settings) : settings_(std::move(settings)) {}

  Result<void> run(SqlMode mode, const Body& body) override {
    auto connection = connection_.lock();
    for (int attempt = 1;; ++attempt) {
      if (!connection->conn) {
        auto conn = pg::connect(settings_.dsn, settings_.connect_timeout, settings_.timeout,
                                settings_.describe);
        if (!conn) {
          return tl::unexpected(conn.error());
        }
        connection->conn = std::move(*conn);
      }
      Session session(settings_, *connection);
      Result<void> outcome =
          mode == SqlMode::autocommit ? body(session) : in_transaction(session, *connection, body);
      // A connection the server closed (a restart, a failover): nothing of the body was
      // kept, so it runs once more on a new connection.
      if (outcome || !session.retryable() || attempt == 2) {
        return outcome;
      }
    }
  }

  std::string_view name() const override { return "postgres"; }
  const std::string& describe() const override { return settings_.describe; }

 private:
  static Result<void> in_transaction(Session& session, Connection& connection, const Body& body) {
    if (auto begun = session.script("BEGIN"); !begun) {
      return begun;
    }
    auto outcome = body(session);
    if (outcome) {
      session.committing();
      return session.script("COMMIT");
    }
    if (connection.conn && !session.script("ROLLBACK")) {
      connection.conn.reset();  // in an unknown state: start again on a new one
    }
    return outcome;
  }

  Settings settings_;
  core::Guarded<Connection, std::mutex> connection_;
};

}  // namespace

Result<std::unique_ptr<HostingStore>> open_postgres_hosting_store(
    const HostingStoreConfig& config) {
  if (config.dsn.empty()) {
    return fail(Errc::invalid_config, "hosting store: no PostgreSQL dsn configured");
  }
  auto describe = pg::describe_dsn(config.dsn, "hosting store dsn");
  if (!describe) {
    return tl::unexpected(describe.error());
  }
  auto database = std::make_unique<PostgresDatabase>(
      Settings{config.dsn, *describe, config.timeout, config.connect_timeout});
  auto migrated = database->run(SqlMode::transaction, [&](SqlSession& session) {
    return session.query(kMigrationLock).and_then([&](const SqlRows&) {
      return migrate_hosting_schema(session, SqlDialect::postgres, *describe);
    });
  });
  if (!migrated) {
    return tl::unexpected(migrated.error());
  }
  return std::unique_ptr<HostingStore>(std::make_unique<SqlHostingStore>(std::move(database)));
}

}  // namespace mtasts::store

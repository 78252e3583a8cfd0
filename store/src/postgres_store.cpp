#include "postgres_store.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>

#include "keyset_pages.hpp"

namespace mtasts::store {
namespace {

using Deadline = std::chrono::steady_clock::time_point;

Deadline deadline_after(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

// Waits until `fd` is ready for reading (or writing); false once `deadline` passes.
bool wait_for(int fd, bool for_write, Deadline deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd entry{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    const int ready = ::poll(
        &entry, 1,
        static_cast<int>(std::min<std::int64_t>(left.count(), std::numeric_limits<int>::max())));
    if (ready > 0) {
      return true;
    }
    if (ready < 0 && errno != EINTR) {
      return true;  // let libpq find and report the socket's error
    }
  }
}

std::string trimmed(const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string quoted(std::string_view identifier) {
  return "\"" + std::string(identifier) + "\"";
}

std::string seconds_text(TimePoint t) {
  return std::to_string(t.time_since_epoch().count());
}

std::int64_t number_at(PGresult* result, int row, int column) {
  const char* text = PQgetvalue(result, row, column);
  std::int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

std::string text_at(PGresult* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column),
                     static_cast<std::size_t>(PQgetlength(result, row, column)));
}

TimePoint time_of(std::int64_t seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

// "host:port/db" of a conninfo string, for messages; nullopt-free: libpq's error on failure.
Result<std::string> describe_dsn(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (options == nullptr) {
    std::string why = trimmed(error);
    PQfreemem(error);
    return fail(Errc::invalid_config, "cache.options.dsn: " + why);
  }
  std::string host = "localhost";
  std::string port = "5432";
  std::string db;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || *option->val == '\0') {
      continue;
    }
    if (std::strcmp(option->keyword, "host") == 0) {
      host = option->val;
    } else if (std::strcmp(option->keyword, "port") == 0) {
      port = option->val;
    } else if (std::strcmp(option->keyword, "dbname") == 0) {
      db = option->val;
    }
  }
  PQconninfoFree(options);
  return "PostgreSQL " + host + ":" + port + (db.empty() ? "" : "/" + db);
}

}  // namespace

void PostgresStore::Finish::operator()(pg_conn* conn) const {
  PQfinish(conn);
}
void PostgresStore::Clear::operator()(pg_result* result) const {
  PQclear(result);
}

PostgresStore::PostgresStore(const StoreConfig& config, std::string describe)
    : dsn_(config.dsn),
      describe_(std::move(describe)),
      timeout_(config.timeout),
      connect_timeout_(config.connect_timeout) {
  const std::string table = quoted(config.table);
  // The advisory lock keeps two daemons starting together from racing on CREATE TABLE.
  schema_sql_ = "BEGIN; SELECT pg_advisory_xact_lock(8461, hashtext('" + config.table +
                "')); CREATE TABLE IF NOT EXISTS " + table +
                " (domain text COLLATE \"C\" PRIMARY KEY, policy_id text NOT NULL,"
                " body text NOT NULL, fetched_at bigint NOT NULL, expires_at bigint NOT NULL);"
                " CREATE INDEX IF NOT EXISTS " +
                quoted(config.table + "_expires") + " ON " + table + " (expires_at); COMMIT";
  get_sql_ = "SELECT policy_id, body, fetched_at, expires_at FROM " + table +
             " WHERE domain = $1 AND expires_at >= $2";
  put_sql_ = "INSERT INTO " + table +
             " AS stored (domain, policy_id, body, fetched_at, expires_at)"
             " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain) DO UPDATE SET"
             " policy_id = excluded.policy_id, body = excluded.body,"
             " fetched_at = excluded.fetched_at, expires_at = excluded.expires_at"
             " WHERE excluded.fetched_at >= stored.fetched_at";
  erase_sql_ = "DELETE FROM " + table + " WHERE domain = $1";
  page_sql_ = "SELECT domain, policy_id, body, fetched_at, expires_at FROM " + table +
              " WHERE expires_at >= $1 AND domain > $2 ORDER BY domain LIMIT $3";
  purge_sql_ = "DELETE FROM " + table + " WHERE expires_at < $1";
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const StoreConfig& config) {
  auto describe = describe_dsn(config.dsn);
  if (!describe) {
    return tl::unexpected(describe.error());
  }
  std::unique_ptr<PostgresStore> store(new PostgresStore(config, std::move(*describe)));
  if (auto connected = store->connect(*store->connection_.lock()); !connected) {
    return tl::unexpected(connected.error());
  }
  return store;
}

Result<void> PostgresStore::connect(Connection& connection) const {
  // libpq's own connect_timeout (whole seconds, at least 2) backs up the deadline below.
  const std::string whole_seconds =
      std::to_string(std::max<std::int64_t>(2, (connect_timeout_.count() + 999) / 1000));
  const char* const keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* const values[] = {whole_seconds.c_str(), "mtasts", dsn_.c_str(), nullptr};
  Conn conn(PQconnectStartParams(keywords, values, 1));
  if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) {
    return fail(Errc::unavailable,
                describe_ + ": cannot connect: " +
                    (conn ? trimmed(PQerrorMessage(conn.get())) : std::string("out of memory")));
  }
  const Deadline deadline = deadline_after(connect_timeout_);
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) {
      return fail(Errc::unavailable,
                  describe_ + ": cannot connect: " + trimmed(PQerrorMessage(conn.get())));
    }
    if (!wait_for(PQsocket(conn.get()), status == PGRES_POLLING_WRITING, deadline)) {
      return fail(Errc::unavailable, describe_ + ": no connection within " +
                                         std::to_string(connect_timeout_.count()) + " ms");
    }
    status = PQconnectPoll(conn.get());
  }
  // Server notices ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  connection.conn = std::move(conn);
  const std::string setup = "SET statement_timeout = " + std::to_string(timeout_.count()) +
                            "; SET client_min_messages = warning";
  for (const std::string* sql : {&setup, &schema_sql_}) {
    if (auto done = run(connection, *sql, {}); !done) {
      connection.conn.reset();
      return tl::unexpected(std::move(done.error().error));
    }
  }
  return {};
}

tl::expected<PostgresStore::PgResult, PostgresStore::RunFailure> PostgresStore::run(
    Connection& connection, const std::string& sql, std::span<const std::string> params) const {
  PGconn* conn = connection.conn.get();
  // Drops the connection; `lost` tells the caller whether a new one may succeed at once.
  auto drop = [&](std::string why, bool lost) {
    connection.conn.reset();
    return tl::unexpected(RunFailure{Error{Errc::unavailable, describe_ + ": " + why}, lost});
  };
  std::vector<const char*> values;
  for (const std::string& param : params) {
    values.push_back(param.c_str());
  }
  const int sent = params.empty()
                       ? PQsendQuery(conn, sql.c_str())
                       : PQsendQueryParams(conn, sql.c_str(), static_cast<int>(values.size()),
                                           nullptr, values.data(), nullptr, nullptr, 0);
  if (sent == 0) {
    return drop(trimmed(PQerrorMessage(conn)), true);
  }
  const Deadline deadline = deadline_after(timeout_);
  PgResult last;
  std::optional<Error> failed;
  for (;;) {
    while (PQisBusy(conn) == 1) {
      if (!wait_for(PQsocket(conn), false, deadline)) {
        return drop("no answer within " + std::to_string(timeout_.count()) + " ms", false);
      }
      if (PQconsumeInput(conn) == 0) {
        return drop(trimmed(PQerrorMessage(conn)), true);
      }
    }
    PgResult result(PQgetResult(conn));
    if (!result) {
      break;
    }
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && !failed) {
      const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
      const bool cancelled = state != nullptr && std::strcmp(state, "57014") == 0;
      failed = Error{cancelled ? Errc::unavailable : Errc::backend_error,
                     describe_ + ": " + trimmed(PQresultErrorMessage(result.get()))};
    }
    last = std::move(result);
  }
  if (PQstatus(conn) == CONNECTION_BAD) {
    return drop(failed ? failed->message : trimmed(PQerrorMessage(conn)), true);
  }
  if (failed) {
    return tl::unexpected(RunFailure{std::move(*failed), false});
  }
  return last;
}

Result<PostgresStore::PgResult> PostgresStore::query(const std::string& sql,
                                                     std::span<const std::string> params) {
  auto connection = connection_.lock();
  if (connection->conn) {
    auto result = run(*connection, sql, params);
    if (result) {
      return std::move(*result);
    }
    if (!result.error().connection_lost) {
      return tl::unexpected(std::move(result.error().error));
    }
    // A connection the server closed (a restart, a failover): connect again, resend once.
  }
  if (auto connected = connect(*connection); !connected) {
    return tl::unexpected(connected.error());
  }
  auto result = run(*connection, sql, params);
  if (!result) {
    return tl::unexpected(std::move(result.error().error));
  }
  return std::move(*result);
}

Result<std::optional<StoredPolicy>> PostgresStore::get(std::string_view domain, TimePoint now) {
  const std::string params[] = {std::string(domain), seconds_text(now)};
  auto result = query(get_sql_, params);
  if (!result) {
    return tl::unexpected(result.error());
  }
  PGresult* rows = result->get();
  if (PQntuples(rows) == 0) {
    return std::optional<StoredPolicy>();
  }
  return StoredPolicy{std::string(domain), text_at(rows, 0, 0), text_at(rows, 0, 1),
                      time_of(number_at(rows, 0, 2)), time_of(number_at(rows, 0, 3))};
}

Result<void> PostgresStore::put(const StoredPolicy& policy) {
  if (auto valid = validate(policy); !valid) {
    return valid;
  }
  const std::string params[] = {policy.domain, policy.id, policy.body,
                                seconds_text(policy.fetched_at), seconds_text(policy.expires_at)};
  return query(put_sql_, params).transform([](PgResult) {});
}

Result<bool> PostgresStore::erase(std::string_view domain) {
  const std::string params[] = {std::string(domain)};
  return query(erase_sql_, params).transform([](PgResult result) {
    return std::strcmp(PQcmdTuples(result.get()), "0") != 0;
  });
}

Result<std::vector<StoredPolicy>> PostgresStore::page(TimePoint now, const std::string& after,
                                                      std::size_t limit) {
  const std::string params[] = {
      seconds_text(now), after,
      std::to_string(std::min<std::uint64_t>(
          limit, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))};
  auto result = query(page_sql_, params);
  if (!result) {
    return tl::unexpected(result.error());
  }
  PGresult* rows = result->get();
  std::vector<StoredPolicy> out;
  out.reserve(static_cast<std::size_t>(PQntuples(rows)));
  for (int row = 0; row < PQntuples(rows); ++row) {
    out.push_back(StoredPolicy{text_at(rows, row, 0), text_at(rows, row, 1), text_at(rows, row, 2),
                               time_of(number_at(rows, row, 3)), time_of(number_at(rows, row, 4))});
  }
  return out;
}

Result<std::vector<StoredPolicy>> PostgresStore::list(TimePoint now, std::size_t limit) {
  return page(now, std::string(), limit);
}

Result<std::size_t> PostgresStore::visit(TimePoint now,
                                         const std::function<void(const StoredPolicy&)>& visitor) {
  return visit_keyset_pages(
      [&](const std::string& after, std::size_t limit) { return page(now, after, limit); },
      visitor);
}

Result<std::size_t> PostgresStore::purge_expired(TimePoint now) {
  const std::string params[] = {seconds_text(now)};
  return query(purge_sql_, params).transform([](PgResult result) {
    return static_cast<std::size_t>(std::strtoull(PQcmdTuples(result.get()), nullptr, 10));
  });
}

}  // namespace mtasts::store

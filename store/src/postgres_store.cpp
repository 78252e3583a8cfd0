#include "postgres_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace mtasts::store {
namespace {

std::string quoted(std::string_view identifier) {
  return "\"" + std::string(identifier) + "\"";
}

std::string seconds_text(TimePoint t) {
  return std::to_string(t.time_since_epoch().count());
}

TimePoint time_of(std::int64_t seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

}  // namespace

PostgresStore::PostgresStore(const StoreConfig& config, std::string describe)
    : PolicyStore("postgres"),
      dsn_(config.dsn),
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
  auto describe = pg::describe_dsn(config.dsn, "cache.options.dsn");
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
  auto conn = pg::connect(dsn_, connect_timeout_, timeout_, describe_);
  if (!conn) {
    return tl::unexpected(conn.error());
  }
  connection.conn = std::move(*conn);
  if (auto done = run(connection, schema_sql_, {}); !done) {
    connection.conn.reset();
    return tl::unexpected(std::move(done.error().error));
  }
  return {};
}

tl::expected<PostgresStore::PgResult, pg::RunFailure> PostgresStore::run(
    Connection& connection, const std::string& sql, std::span<const std::string> params) const {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& param : params) {
    values.push_back(param.c_str());
  }
  return pg::run(connection.conn, sql, values, timeout_, describe_);
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

Result<std::optional<StoredPolicy>> PostgresStore::do_get(std::string_view domain, TimePoint now) {
  const std::string params[] = {std::string(domain), seconds_text(now)};
  auto result = query(get_sql_, params);
  if (!result) {
    return tl::unexpected(result.error());
  }
  PGresult* rows = result->get();
  if (PQntuples(rows) == 0) {
    return std::optional<StoredPolicy>();
  }
  return StoredPolicy{std::string(domain), pg::text_at(rows, 0, 0), pg::text_at(rows, 0, 1),
                      time_of(pg::number_at(rows, 0, 2)), time_of(pg::number_at(rows, 0, 3))};
}

Result<void> PostgresStore::do_put(const StoredPolicy& policy) {
  const std::string params[] = {policy.domain, policy.id, policy.body,
                                seconds_text(policy.fetched_at), seconds_text(policy.expires_at)};
  return query(put_sql_, params).transform([](PgResult) {});
}

Result<bool> PostgresStore::do_erase(std::string_view domain) {
  const std::string params[] = {std::string(domain)};
  return query(erase_sql_, params).transform([](PgResult result) {
    return std::strcmp(PQcmdTuples(result.get()), "0") != 0;
  });
}

Result<std::vector<StoredPolicy>> PostgresStore::page(const PageQuery& wanted) {
  const std::string params[] = {
      seconds_text(wanted.now), wanted.after,
      std::to_string(std::min<std::uint64_t>(
          wanted.limit, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))};
  auto result = query(page_sql_, params);
  if (!result) {
    return tl::unexpected(result.error());
  }
  PGresult* rows = result->get();
  std::vector<StoredPolicy> out;
  out.reserve(static_cast<std::size_t>(PQntuples(rows)));
  for (int row = 0; row < PQntuples(rows); ++row) {
    out.push_back(StoredPolicy{pg::text_at(rows, row, 0), pg::text_at(rows, row, 1),
                               pg::text_at(rows, row, 2), time_of(pg::number_at(rows, row, 3)),
                               time_of(pg::number_at(rows, row, 4))});
  }
  return out;
}

Result<std::size_t> PostgresStore::do_purge(TimePoint now) {
  const std::string params[] = {seconds_text(now)};
  return query(purge_sql_, params).transform([](PgResult result) {
    return static_cast<std::size_t>(std::strtoull(PQcmdTuples(result.get()), nullptr, 10));
  });
}

}  // namespace mtasts::store

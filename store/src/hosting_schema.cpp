#include "hosting_schema.hpp"

#include <array>
#include <charconv>

namespace mtasts::store {
namespace {

// Times are Unix seconds. mx columns hold the patterns one per line. host_versions.ordinal
// orders a domain's history (ids only grow too, but a re-added domain starts again from the
// clock). host_generation has one row, bumped by every write of a domain, version or
// certificate in the same transaction, so a reader that sees the new number sees the write.
//
// Version 2, TLS-RPT reports (report_store.hpp): host_reports holds each accepted report once
// (reporter, report_id); host_report_rows its sessions, with the domain, day and reporter
// repeated; host_report_days the counted sessions summed per domain, day, reporter, receiving MX,
// result and policy match, which every summary reads (a few rows per report-day, however many
// failure details the reports hold); host_reports_apart what was not counted.
//
// Version 3, the instances of the service: one row per instance name, replaced by its heartbeat
// on every sync pass (never bumping host_generation), deleted a week after it was last seen.
//
// Version 4, reports by time across all domains: the Reports page's list and the retention prune
// read host_reports by start_at alone, which without this index scanned the whole table (the
// list took 51 s on a store of 926,000 reports, 117 ms with it).
constexpr std::array<const char*, 4> kSqliteMigrations = {
    "CREATE TABLE host_generation (id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  value INTEGER NOT NULL);"
    "INSERT INTO host_generation (id, value) VALUES (1, 0);"
    "CREATE TABLE host_domains (name TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL,"
    "  records TEXT NOT NULL, current_id TEXT NOT NULL, mode TEXT NOT NULL, mx TEXT NOT NULL,"
    "  max_age INTEGER NOT NULL, version_created_at INTEGER NOT NULL,"
    "  longest_max_age INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL, serve_until INTEGER, published_id TEXT NOT NULL,"
    "  published_at INTEGER) WITHOUT ROWID;"
    "CREATE TABLE host_versions (domain TEXT NOT NULL, id TEXT NOT NULL,"
    "  ordinal INTEGER NOT NULL, mode TEXT NOT NULL, mx TEXT NOT NULL,"
    "  max_age INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (domain, id)) WITHOUT ROWID;"
    "CREATE INDEX host_versions_order ON host_versions (domain, ordinal);"
    "CREATE TABLE host_certificates (name TEXT PRIMARY KEY NOT NULL, chain_pem TEXT NOT NULL,"
    "  key_pem TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
    "  issued_at INTEGER NOT NULL, failures INTEGER NOT NULL, last_error TEXT NOT NULL,"
    "  retry_at INTEGER) WITHOUT ROWID;"
    "CREATE TABLE host_acme_accounts (directory_url TEXT PRIMARY KEY NOT NULL,"
    "  key_pem TEXT NOT NULL, account_url TEXT NOT NULL, created_at INTEGER NOT NULL)"
    "  WITHOUT ROWID;"
    "CREATE TABLE host_challenges (token TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,"
    "  key_authorization TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE host_leases (name TEXT PRIMARY KEY NOT NULL, holder TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE host_monitor_results (domain TEXT PRIMARY KEY NOT NULL"
    "  REFERENCES host_domains (name) ON DELETE CASCADE, checked_at INTEGER NOT NULL,"
    "  passing INTEGER NOT NULL, findings TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE host_audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL, domain TEXT NOT NULL, action TEXT NOT NULL,"
    "  detail TEXT NOT NULL);"
    "CREATE INDEX host_audit_domain ON host_audit (domain, seq);",
    "CREATE TABLE host_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, domain TEXT NOT NULL,"
    "  reporter TEXT NOT NULL, report_id TEXT NOT NULL, contact TEXT NOT NULL,"
    "  start_at INTEGER NOT NULL, end_at INTEGER NOT NULL, received_at INTEGER NOT NULL,"
    "  channel TEXT NOT NULL, source TEXT NOT NULL, successful INTEGER NOT NULL,"
    "  failed INTEGER NOT NULL, findings TEXT NOT NULL, raw TEXT NOT NULL,"
    "  UNIQUE (reporter, report_id));"
    "CREATE INDEX host_reports_domain ON host_reports (domain, start_at);"
    "CREATE TABLE host_report_rows (report INTEGER NOT NULL REFERENCES host_reports (id)"
    "  ON DELETE CASCADE, domain TEXT NOT NULL, day INTEGER NOT NULL, reporter TEXT NOT NULL,"
    "  policy_index INTEGER NOT NULL, policy_type TEXT NOT NULL, policy_domain TEXT NOT NULL,"
    "  result TEXT NOT NULL, receiving_mx TEXT NOT NULL, sending_ip TEXT NOT NULL,"
    "  receiving_ip TEXT NOT NULL, sessions INTEGER NOT NULL, policy_match TEXT NOT NULL,"
    "  counted INTEGER NOT NULL);"
    "CREATE INDEX host_report_rows_summary ON host_report_rows"
    "  (domain, day, counted, result, sessions, report);"
    "CREATE INDEX host_report_rows_report ON host_report_rows (report);"
    "CREATE TABLE host_report_days (domain TEXT NOT NULL, day INTEGER NOT NULL,"
    "  reporter TEXT NOT NULL, receiving_mx TEXT NOT NULL, result TEXT NOT NULL,"
    "  policy_match TEXT NOT NULL, sessions INTEGER NOT NULL,"
    "  PRIMARY KEY (domain, day, reporter, receiving_mx, result, policy_match)) WITHOUT ROWID;"
    "CREATE TABLE host_reports_apart (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  received_at INTEGER NOT NULL, channel TEXT NOT NULL, reason TEXT NOT NULL,"
    "  detail TEXT NOT NULL, domain TEXT NOT NULL, reporter TEXT NOT NULL,"
    "  report_id TEXT NOT NULL, source TEXT NOT NULL, raw TEXT NOT NULL);"
    "CREATE INDEX host_reports_apart_received ON host_reports_apart (received_at);",
    "CREATE TABLE host_instances (name TEXT PRIMARY KEY NOT NULL, version TEXT NOT NULL,"
    "  started_at INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    "  sync_interval INTEGER NOT NULL, listeners TEXT NOT NULL) WITHOUT ROWID;",
    "CREATE INDEX host_reports_start ON host_reports (start_at, id);",
};

// The same tables; names compare byte-wise (COLLATE "C") so both engines list them alike.
constexpr std::array<const char*, 4> kPostgresMigrations = {
    "CREATE TABLE host_generation (id integer PRIMARY KEY CHECK (id = 1),"
    "  value bigint NOT NULL);"
    "INSERT INTO host_generation (id, value) VALUES (1, 0);"
    "CREATE TABLE host_domains (name text COLLATE \"C\" PRIMARY KEY, state text NOT NULL,"
    "  records text NOT NULL, current_id text NOT NULL, mode text NOT NULL, mx text NOT NULL,"
    "  max_age bigint NOT NULL, version_created_at bigint NOT NULL,"
    "  longest_max_age bigint NOT NULL, created_at bigint NOT NULL,"
    "  updated_at bigint NOT NULL, serve_until bigint, published_id text NOT NULL,"
    "  published_at bigint);"
    "CREATE TABLE host_versions (domain text COLLATE \"C\" NOT NULL,"
    "  id text COLLATE \"C\" NOT NULL, ordinal bigint NOT NULL, mode text NOT NULL,"
    "  mx text NOT NULL, max_age bigint NOT NULL, created_at bigint NOT NULL,"
    "  PRIMARY KEY (domain, id));"
    "CREATE INDEX host_versions_order ON host_versions (domain, ordinal);"
    "CREATE TABLE host_certificates (name text COLLATE \"C\" PRIMARY KEY,"
    "  chain_pem text NOT NULL, key_pem text NOT NULL, not_before bigint NOT NULL,"
    "  not_after bigint NOT NULL, issued_at bigint NOT NULL, failures bigint NOT NULL,"
    "  last_error text NOT NULL, retry_at bigint);"
    "CREATE TABLE host_acme_accounts (directory_url text COLLATE \"C\" PRIMARY KEY,"
    "  key_pem text NOT NULL, account_url text NOT NULL, created_at bigint NOT NULL);"
    "CREATE TABLE host_challenges (token text COLLATE \"C\" PRIMARY KEY, name text NOT NULL,"
    "  key_authorization text NOT NULL, expires_at bigint NOT NULL);"
    "CREATE TABLE host_leases (name text COLLATE \"C\" PRIMARY KEY, holder text NOT NULL,"
    "  expires_at bigint NOT NULL);"
    "CREATE TABLE host_monitor_results (domain text COLLATE \"C\" PRIMARY KEY"
    "  REFERENCES host_domains (name) ON DELETE CASCADE, checked_at bigint NOT NULL,"
    "  passing integer NOT NULL, findings text NOT NULL);"
    "CREATE TABLE host_audit (seq bigserial PRIMARY KEY, at bigint NOT NULL,"
    "  actor text NOT NULL, domain text COLLATE \"C\" NOT NULL, action text NOT NULL,"
    "  detail text NOT NULL);"
    "CREATE INDEX host_audit_domain ON host_audit (domain, seq);",
    "CREATE TABLE host_reports (id bigserial PRIMARY KEY, domain text COLLATE \"C\" NOT NULL,"
    "  reporter text COLLATE \"C\" NOT NULL, report_id text COLLATE \"C\" NOT NULL,"
    "  contact text NOT NULL, start_at bigint NOT NULL, end_at bigint NOT NULL,"
    "  received_at bigint NOT NULL, channel text NOT NULL, source text NOT NULL,"
    "  successful bigint NOT NULL, failed bigint NOT NULL, findings text NOT NULL,"
    "  raw text NOT NULL, UNIQUE (reporter, report_id));"
    "CREATE INDEX host_reports_domain ON host_reports (domain, start_at);"
    "CREATE TABLE host_report_rows (report bigint NOT NULL REFERENCES host_reports (id)"
    "  ON DELETE CASCADE, domain text COLLATE \"C\" NOT NULL, day bigint NOT NULL,"
    "  reporter text COLLATE \"C\" NOT NULL, policy_index bigint NOT NULL,"
    "  policy_type text NOT NULL, policy_domain text NOT NULL,"
    "  result text COLLATE \"C\" NOT NULL, receiving_mx text COLLATE \"C\" NOT NULL,"
    "  sending_ip text NOT NULL, receiving_ip text NOT NULL, sessions bigint NOT NULL,"
    "  policy_match text NOT NULL, counted integer NOT NULL);"
    "CREATE INDEX host_report_rows_summary ON host_report_rows"
    "  (domain, day, counted, result, sessions, report);"
    "CREATE INDEX host_report_rows_report ON host_report_rows (report);"
    "CREATE TABLE host_report_days (domain text COLLATE \"C\" NOT NULL, day bigint NOT NULL,"
    "  reporter text COLLATE \"C\" NOT NULL, receiving_mx text COLLATE \"C\" NOT NULL,"
    "  result text COLLATE \"C\" NOT NULL, policy_match text COLLATE \"C\" NOT NULL,"
    "  sessions bigint NOT NULL,"
    "  PRIMARY KEY (domain, day, reporter, receiving_mx, result, policy_match));"
    "CREATE TABLE host_reports_apart (id bigserial PRIMARY KEY, received_at bigint NOT NULL,"
    "  channel text NOT NULL, reason text NOT NULL, detail text NOT NULL, domain text NOT NULL,"
    "  reporter text NOT NULL, report_id text NOT NULL, source text NOT NULL,"
    "  raw text NOT NULL);"
    "CREATE INDEX host_reports_apart_received ON host_reports_apart (received_at);",
    "CREATE TABLE host_instances (name text COLLATE \"C\" PRIMARY KEY, version text NOT NULL,"
    "  started_at bigint NOT NULL, last_seen bigint NOT NULL, sync_interval bigint NOT NULL,"
    "  listeners text NOT NULL);",
    "CREATE INDEX host_reports_start ON host_reports (start_at, id);",
};

static_assert(kSqliteMigrations.size() == kPostgresMigrations.size());

}  // namespace

std::int64_t hosting_schema_version() {
  return static_cast<std::int64_t>(kSqliteMigrations.size());
}

std::span<const char* const> hosting_migrations(SqlDialect dialect) {
  switch (dialect) {
    case SqlDialect::sqlite:
      return kSqliteMigrations;
    case SqlDialect::postgres:
      return kPostgresMigrations;
  }
  return {};
}

Result<void> migrate_hosting_schema(SqlSession& session, SqlDialect dialect,
                                    const std::string& describe) {
  if (auto created = session.script("CREATE TABLE IF NOT EXISTS host_schema"
                                    " (version INTEGER NOT NULL)");
      !created) {
    return created;
  }
  auto rows = session.query("SELECT max(version) FROM host_schema");
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  std::int64_t version = 0;
  if (!rows->empty() && !rows->front().empty() && rows->front().front()) {
    const std::string& text = *rows->front().front();
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (ec != std::errc() || end != text.data() + text.size() || version < 0) {
      return fail(Errc::corrupt,
                  describe + ": hosting schema version \"" + text + "\" is not a number");
    }
  }
  const std::int64_t current = hosting_schema_version();
  if (version > current) {
    return fail(Errc::incompatible, describe + " has hosting schema version " +
                                        std::to_string(version) + ", written by a newer mtasts" +
                                        " (this one knows up to " + std::to_string(current) + ")");
  }
  if (version == current) {
    return {};
  }
  const auto migrations = hosting_migrations(dialect);
  for (auto v = static_cast<std::size_t>(version); v < migrations.size(); ++v) {
    if (auto step = session.script(migrations[v]); !step) {
      return step;
    }
  }
  const SqlValue recorded[] = {current};
  return session.query("DELETE FROM host_schema")
      .and_then([&](const SqlRows&) {
        return session.query("INSERT INTO host_schema (version) VALUES ($1)", recorded);
      })
      .transform([](const SqlRows&) {});
}

}  // namespace mtasts::store

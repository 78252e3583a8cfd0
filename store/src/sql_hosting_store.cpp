#include "sql_hosting_store.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "hosting_rows.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::store {
namespace {

constexpr const char* kGeneration = "SELECT value FROM host_generation WHERE id = 1";
constexpr const char* kBump = "UPDATE host_generation SET value = value + 1 WHERE id = 1";

constexpr const char* kListDomains =
    "SELECT " MTASTS_HOST_DOMAIN_COLUMNS " FROM host_domains ORDER BY name";
constexpr const char* kGetDomain =
    "SELECT " MTASTS_HOST_DOMAIN_COLUMNS " FROM host_domains WHERE name = $1";
constexpr const char* kInsertDomain =
    "INSERT INTO host_domains (" MTASTS_HOST_DOMAIN_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    " ON CONFLICT (name) DO NOTHING RETURNING name";
// Optimistic concurrency: the row changes only if its current id is still the one the caller
// read ($15). Under PostgreSQL's READ COMMITTED a concurrent update makes this one wait and
// re-check the condition against the committed row, so exactly one of two racers wins.
constexpr const char* kUpdateDomain =
    "UPDATE host_domains SET state = $2, records = $3, current_id = $4, mode = $5, mx = $6,"
    " max_age = $7, version_created_at = $8, longest_max_age = $9, created_at = $10,"
    " updated_at = $11, serve_until = $12, published_id = $13, published_at = $14"
    " WHERE name = $1 AND current_id = $15 RETURNING name";
constexpr const char* kDropDomain = "DELETE FROM host_domains WHERE name = $1 RETURNING name";

constexpr const char* kInsertVersion =
    "INSERT INTO host_versions (domain, id, ordinal, mode, mx, max_age, created_at)"
    " VALUES ($1, $2, (SELECT coalesce(max(ordinal), 0) + 1 FROM host_versions"
    " WHERE domain = $1), $3, $4, $5, $6) ON CONFLICT (domain, id) DO NOTHING RETURNING id";
constexpr const char* kGetVersion =
    "SELECT " MTASTS_HOST_VERSION_COLUMNS " FROM host_versions WHERE domain = $1 AND id = $2";
constexpr const char* kHistory = "SELECT " MTASTS_HOST_VERSION_COLUMNS
                                 " FROM host_versions WHERE domain = $1"
                                 " ORDER BY ordinal DESC LIMIT $2";

constexpr const char* kListCertificates =
    "SELECT " MTASTS_HOST_CERTIFICATE_COLUMNS " FROM host_certificates ORDER BY name";
constexpr const char* kGetCertificate =
    "SELECT " MTASTS_HOST_CERTIFICATE_COLUMNS " FROM host_certificates WHERE name = $1";
constexpr const char* kPutCertificate =
    "INSERT INTO host_certificates (" MTASTS_HOST_CERTIFICATE_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO UPDATE SET"
    " chain_pem = excluded.chain_pem, key_pem = excluded.key_pem,"
    " not_before = excluded.not_before, not_after = excluded.not_after,"
    " issued_at = excluded.issued_at, failures = excluded.failures,"
    " last_error = excluded.last_error, retry_at = excluded.retry_at";
constexpr const char* kDeleteCertificate =
    "DELETE FROM host_certificates WHERE name = $1 RETURNING name";

constexpr const char* kGetAccount =
    "SELECT " MTASTS_HOST_ACCOUNT_COLUMNS " FROM host_acme_accounts WHERE directory_url = $1";
constexpr const char* kPutAccount =
    "INSERT INTO host_acme_accounts (" MTASTS_HOST_ACCOUNT_COLUMNS
    ") VALUES ($1, $2, $3, $4) ON CONFLICT (directory_url) DO UPDATE SET"
    " key_pem = excluded.key_pem, account_url = excluded.account_url,"
    " created_at = excluded.created_at";
// The first account stored wins: PostgreSQL makes a concurrent insert wait for the first
// one's commit and then do nothing; the SELECT after it, in the same transaction, reads the
// committed row (READ COMMITTED takes a snapshot per statement).
constexpr const char* kAddAccount = "INSERT INTO host_acme_accounts (" MTASTS_HOST_ACCOUNT_COLUMNS
                                    ") VALUES ($1, $2, $3, $4) ON CONFLICT (directory_url)"
                                    " DO NOTHING";

constexpr const char* kPutChallenge =
    "INSERT INTO host_challenges (" MTASTS_HOST_CHALLENGE_COLUMNS
    ") VALUES ($1, $2, $3, $4) ON CONFLICT (token) DO UPDATE SET name = excluded.name,"
    " key_authorization = excluded.key_authorization, expires_at = excluded.expires_at";
// A challenge that expires at T is gone at T.
constexpr const char* kGetChallenge = "SELECT " MTASTS_HOST_CHALLENGE_COLUMNS
                                      " FROM host_challenges WHERE token = $1 AND expires_at > $2";
constexpr const char* kDeleteChallenge = "DELETE FROM host_challenges WHERE token = $1";
constexpr const char* kListChallenges =
    "SELECT " MTASTS_HOST_CHALLENGE_COLUMNS
    " FROM host_challenges WHERE expires_at > $1 ORDER BY token";

// One statement decides: a free name is inserted; a taken one changes hands only when its
// lease expired at `now` ($4) or is the holder's own (then it is extended). PostgreSQL locks
// the conflicting row and evaluates the condition on its committed version; SQLite runs it in
// an IMMEDIATE transaction, one writer at a time. A row comes back only when `holder` holds it.
constexpr const char* kAcquireLease =
    "INSERT INTO host_leases (name, holder, expires_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
    " expires_at = excluded.expires_at"
    " WHERE host_leases.expires_at <= $4 OR host_leases.holder = excluded.holder"
    " RETURNING holder";
constexpr const char* kReleaseLease = "DELETE FROM host_leases WHERE name = $1 AND holder = $2";

// A heartbeat: the instance's row replaced whole. Nothing else changes, the generation least
// of all (instances poll it, and would all reload on every beat of every other).
constexpr const char* kPutInstance =
    "INSERT INTO host_instances (" MTASTS_HOST_INSTANCE_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET"
    " version = excluded.version, started_at = excluded.started_at,"
    " last_seen = excluded.last_seen, sync_interval = excluded.sync_interval,"
    " listeners = excluded.listeners";
constexpr const char* kListInstances =
    "SELECT " MTASTS_HOST_INSTANCE_COLUMNS " FROM host_instances ORDER BY name";
constexpr const char* kPruneInstances =
    "DELETE FROM host_instances WHERE last_seen < $1 RETURNING name";

constexpr const char* kPutMonitor = "INSERT INTO host_monitor_results (" MTASTS_HOST_MONITOR_COLUMNS
                                    ") VALUES ($1, $2, $3, $4) ON CONFLICT (domain) DO UPDATE SET"
                                    " checked_at = excluded.checked_at, passing = excluded.passing,"
                                    " findings = excluded.findings";
constexpr const char* kGetMonitor =
    "SELECT " MTASTS_HOST_MONITOR_COLUMNS " FROM host_monitor_results WHERE domain = $1";

constexpr const char* kInsertAudit =
    "INSERT INTO host_audit (at, actor, domain, action, detail) VALUES ($1, $2, $3, $4, $5)";
constexpr const char* kAuditAll =
    "SELECT " MTASTS_HOST_AUDIT_COLUMNS " FROM host_audit ORDER BY seq DESC LIMIT $1";
constexpr const char* kAuditOfDomain = "SELECT " MTASTS_HOST_AUDIT_COLUMNS
                                       " FROM host_audit WHERE domain = $1"
                                       " ORDER BY seq DESC LIMIT $2";

std::int64_t limit_value(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(
      limit, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
}

Result<void> bump(SqlSession& session) {
  return session.query(kBump).transform([](const SqlRows&) {});
}

Result<void> insert_audit(SqlSession& session, const AuditEntry& entry) {
  const SqlValue params[] = {seconds_of(entry.at), entry.actor, entry.domain, entry.action,
                             entry.detail};
  return session.query(kInsertAudit, params).transform([](const SqlRows&) {});
}

// Adds the domain's current version to its history unless its id is there already; then the
// stored version must be the same policy: an id names one policy forever (RFC 8461 §3.1: a
// changed policy gets a new id, or senders keep the one they cached).
Result<void> record_version(SqlSession& session, const core::HostedDomain& domain,
                            const std::string& describe) {
  const core::PolicyVersion& version = domain.current;
  const std::string mx = join_lines(version.policy.mx);
  const SqlValue params[] = {domain.name,
                             version.id,
                             core::mode_name(version.policy.mode),
                             std::string_view(mx),
                             std::int64_t{version.policy.max_age},
                             seconds_of(version.created_at)};
  auto inserted = session.query(kInsertVersion, params);
  if (!inserted) {
    return tl::unexpected(inserted.error());
  }
  if (!inserted->empty()) {
    return {};
  }
  const SqlValue key[] = {domain.name, version.id};
  auto stored = session.query(kGetVersion, key);
  if (!stored) {
    return tl::unexpected(stored.error());
  }
  if (stored->empty()) {
    return fail(Errc::backend_error, describe + ": version " + version.id + " of " + domain.name +
                                         " neither inserted nor found");
  }
  auto decoded = decode_version(stored->front(), describe);
  if (!decoded) {
    return tl::unexpected(decoded.error());
  }
  if (decoded->policy != version.policy) {
    return fail(Errc::invalid_argument, "hosted domain " + domain.name + ": id " + version.id +
                                            " already names another policy version");
  }
  return {};
}

Result<void> require(bool ok, std::string message) {
  if (!ok) {
    return fail(Errc::invalid_argument, std::move(message));
  }
  return {};
}

}  // namespace

SqlHostingStore::SqlHostingStore(std::unique_ptr<SqlDatabase> database)
    : database_(std::move(database)), reports_(*database_) {}

Result<SqlRows> SqlHostingStore::read(const char* sql, std::span<const SqlValue> params) {
  return read_statement(*database_, sql, params);
}

template <class T>
Result<std::vector<T>> SqlHostingStore::read_all(const char* sql, std::span<const SqlValue> params,
                                                 Result<T> (*decode)(const SqlRow&,
                                                                     const std::string&)) {
  auto rows = read(sql, params);
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  std::vector<T> out;
  out.reserve(rows->size());
  for (const SqlRow& row : *rows) {
    auto decoded = decode(row, database_->describe());
    if (!decoded) {
      return tl::unexpected(decoded.error());
    }
    out.push_back(std::move(*decoded));
  }
  return out;
}

template <class T>
Result<std::optional<T>> SqlHostingStore::read_one(const char* sql,
                                                   std::span<const SqlValue> params,
                                                   Result<T> (*decode)(const SqlRow&,
                                                                       const std::string&)) {
  return read_all(sql, params, decode).transform([](std::vector<T> all) {
    return all.empty() ? std::optional<T>() : std::optional<T>(std::move(all.front()));
  });
}

Result<SqlRows> SqlHostingStore::write(const char* sql, std::span<const SqlValue> params,
                                       Bump bump_generation) {
  SqlRows rows;
  auto done = database_->run(SqlMode::transaction, [&](SqlSession& session) -> Result<void> {
    auto result = session.query(sql, params);
    if (!result) {
      return tl::unexpected(result.error());
    }
    rows = std::move(*result);
    return bump_generation == Bump::yes ? bump(session) : Result<void>();
  });
  return done.transform([&] { return std::move(rows); });
}

Result<std::uint64_t> SqlHostingStore::generation() {
  auto rows = read(kGeneration, {});
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  std::uint64_t value = 0;
  const SqlCell* cell = rows->empty() || rows->front().empty() ? nullptr : &rows->front().front();
  const bool parsed =
      cell != nullptr && *cell &&
      std::from_chars((*cell)->data(), (*cell)->data() + (*cell)->size(), value).ec == std::errc();
  if (!parsed) {
    return fail(Errc::corrupt, database_->describe() + ": host_generation has no number");
  }
  return value;
}

Result<std::vector<DomainRow>> SqlHostingStore::list_domains() {
  return read_all(kListDomains, {}, &decode_domain);
}

Result<std::optional<DomainRow>> SqlHostingStore::get_domain(std::string_view name) {
  const SqlValue params[] = {name};
  return read_one(kGetDomain, params, &decode_domain);
}

Result<void> SqlHostingStore::add_domain(const DomainRow& row, const AuditEntry& audit) {
  if (auto valid = check_domain_row(row); !valid) {
    return valid;
  }
  const DomainParams params(row);
  const std::string& describe = database_->describe();
  return database_->run(SqlMode::transaction, [&](SqlSession& session) -> Result<void> {
    auto inserted = session.query(kInsertDomain, params.values());
    if (!inserted) {
      return tl::unexpected(inserted.error());
    }
    if (inserted->empty()) {
      return fail(Errc::invalid_argument,
                  "hosted domain " + row.domain.name + " exists already (" + describe + ")");
    }
    return record_version(session, row.domain, describe)
        .and_then([&] { return insert_audit(session, audit); })
        .and_then([&] { return bump(session); });
  });
}

Result<bool> SqlHostingStore::update_domain(const DomainRow& row, std::string_view expected_id,
                                            const AuditEntry& audit) {
  if (auto valid = check_domain_row(row); !valid) {
    return tl::unexpected(valid.error());
  }
  const DomainParams domain(row);
  std::array<SqlValue, 15> params{};
  std::copy(domain.values().begin(), domain.values().end(), params.begin());
  params[14] = expected_id;
  const std::string& describe = database_->describe();
  bool applied = false;
  auto done = database_->run(SqlMode::transaction, [&](SqlSession& session) -> Result<void> {
    applied = false;
    auto updated = session.query(kUpdateDomain, params);
    if (!updated) {
      return tl::unexpected(updated.error());
    }
    if (updated->empty()) {
      return {};  // changed by someone else, or gone: nothing written
    }
    applied = true;
    return record_version(session, row.domain, describe)
        .and_then([&] { return insert_audit(session, audit); })
        .and_then([&] { return bump(session); });
  });
  return done.transform([&] { return applied; });
}

Result<bool> SqlHostingStore::drop_domain(std::string_view name, const AuditEntry& audit) {
  const SqlValue params[] = {name};
  bool dropped = false;
  auto done = database_->run(SqlMode::transaction, [&](SqlSession& session) -> Result<void> {
    auto deleted = session.query(kDropDomain, params);
    if (!deleted) {
      return tl::unexpected(deleted.error());
    }
    dropped = !deleted->empty();
    if (!dropped) {
      return {};
    }
    return insert_audit(session, audit).and_then([&] { return bump(session); });
  });
  return done.transform([&] { return dropped; });
}

Result<std::vector<core::PolicyVersion>> SqlHostingStore::history(std::string_view name,
                                                                  std::size_t limit) {
  const SqlValue params[] = {name, limit_value(limit)};
  return read_all(kHistory, params, &decode_version);
}

Result<std::vector<CertificateRow>> SqlHostingStore::list_certificates() {
  return read_all(kListCertificates, {}, &decode_certificate);
}

Result<std::optional<CertificateRow>> SqlHostingStore::get_certificate(std::string_view name) {
  const SqlValue params[] = {name};
  return read_one(kGetCertificate, params, &decode_certificate);
}

Result<void> SqlHostingStore::put_certificate(const CertificateRow& row) {
  if (auto valid = require(!row.name.empty(), "a certificate row needs a name"); !valid) {
    return valid;
  }
  const SqlValue params[] = {row.name,
                             row.chain_pem,
                             row.key_pem,
                             seconds_of(row.not_before),
                             seconds_of(row.not_after),
                             seconds_of(row.issued_at),
                             std::int64_t{row.failures},
                             row.last_error,
                             optional_seconds(row.retry_at)};
  return write(kPutCertificate, params, Bump::yes).transform([](const SqlRows&) {});
}

Result<bool> SqlHostingStore::delete_certificate(std::string_view name) {
  const SqlValue params[] = {name};
  bool deleted = false;
  auto done = database_->run(SqlMode::transaction, [&](SqlSession& session) -> Result<void> {
    auto rows = session.query(kDeleteCertificate, params);
    if (!rows) {
      return tl::unexpected(rows.error());
    }
    deleted = !rows->empty();
    return deleted ? bump(session) : Result<void>();
  });
  return done.transform([&] { return deleted; });
}

Result<std::optional<AcmeAccountRow>> SqlHostingStore::get_acme_account(
    std::string_view directory_url) {
  const SqlValue params[] = {directory_url};
  return read_one(kGetAccount, params, &decode_account);
}

Result<void> SqlHostingStore::put_acme_account(const AcmeAccountRow& row) {
  if (auto valid = require(!row.directory_url.empty(), "an ACME account needs a directory URL");
      !valid) {
    return valid;
  }
  const SqlValue params[] = {row.directory_url, row.key_pem, row.account_url,
                             seconds_of(row.created_at)};
  return write(kPutAccount, params, Bump::no).transform([](const SqlRows&) {});
}

Result<AcmeAccountRow> SqlHostingStore::add_acme_account(const AcmeAccountRow& row) {
  if (auto valid = require(!row.directory_url.empty(), "an ACME account needs a directory URL");
      !valid) {
    return tl::unexpected(valid.error());
  }
  const SqlValue params[] = {row.directory_url, row.key_pem, row.account_url,
                             seconds_of(row.created_at)};
  const SqlValue key[] = {row.directory_url};
  const std::string& describe = database_->describe();
  std::optional<AcmeAccountRow> stored;
  auto done = database_->run(SqlMode::transaction, [&](SqlSession& session) -> Result<void> {
    stored.reset();
    auto inserted = session.query(kAddAccount, params);
    if (!inserted) {
      return tl::unexpected(inserted.error());
    }
    auto rows = session.query(kGetAccount, key);
    if (!rows) {
      return tl::unexpected(rows.error());
    }
    if (rows->empty()) {
      return fail(Errc::backend_error,
                  describe + ": the ACME account of " + row.directory_url + " vanished");
    }
    auto decoded = decode_account(rows->front(), describe);
    if (!decoded) {
      return tl::unexpected(decoded.error());
    }
    stored = std::move(*decoded);
    return {};
  });
  return done.transform([&] { return std::move(*stored); });
}

Result<void> SqlHostingStore::put_challenge(const ChallengeRow& row) {
  if (auto valid = require(!row.token.empty(), "an ACME challenge needs a token"); !valid) {
    return valid;
  }
  const SqlValue params[] = {row.token, row.name, row.key_authorization,
                             seconds_of(row.expires_at)};
  return write(kPutChallenge, params, Bump::no).transform([](const SqlRows&) {});
}

Result<std::optional<ChallengeRow>> SqlHostingStore::get_challenge(std::string_view token,
                                                                   HostTime now) {
  const SqlValue params[] = {token, seconds_of(now)};
  return read_one(kGetChallenge, params, &decode_challenge);
}

Result<void> SqlHostingStore::delete_challenge(std::string_view token) {
  const SqlValue params[] = {token};
  return write(kDeleteChallenge, params, Bump::no).transform([](const SqlRows&) {});
}

Result<std::vector<ChallengeRow>> SqlHostingStore::list_challenges(HostTime now) {
  const SqlValue params[] = {seconds_of(now)};
  return read_all(kListChallenges, params, &decode_challenge);
}

Result<bool> SqlHostingStore::acquire_lease(std::string_view name, std::string_view holder,
                                            std::chrono::seconds ttl, HostTime now) {
  if (auto valid = require(!name.empty() && !holder.empty() && ttl.count() > 0,
                           "a lease needs a name, a holder and a positive ttl");
      !valid) {
    return tl::unexpected(valid.error());
  }
  const SqlValue params[] = {name, holder, seconds_of(now + ttl), seconds_of(now)};
  return write(kAcquireLease, params, Bump::no).transform([](const SqlRows& rows) {
    return !rows.empty();
  });
}

Result<void> SqlHostingStore::release_lease(std::string_view name, std::string_view holder) {
  const SqlValue params[] = {name, holder};
  return write(kReleaseLease, params, Bump::no).transform([](const SqlRows&) {});
}

Result<void> SqlHostingStore::put_instance(const InstanceRow& row) {
  if (auto valid = require(!row.name.empty(), "an instance needs a name"); !valid) {
    return valid;
  }
  const SqlValue params[] = {row.name,
                             row.version,
                             seconds_of(row.started_at),
                             seconds_of(row.last_seen),
                             static_cast<std::int64_t>(row.sync_interval.count()),
                             row.listeners};
  return write(kPutInstance, params, Bump::no).transform([](const SqlRows&) {});
}

Result<std::vector<InstanceRow>> SqlHostingStore::list_instances() {
  return read_all(kListInstances, {}, &decode_instance);
}

Result<std::uint64_t> SqlHostingStore::prune_instances(HostTime before) {
  const SqlValue params[] = {seconds_of(before)};
  return write(kPruneInstances, params, Bump::no).transform([](const SqlRows& rows) {
    return static_cast<std::uint64_t>(rows.size());
  });
}

Result<void> SqlHostingStore::put_monitor_result(const MonitorRow& row) {
  const SqlValue params[] = {row.domain, seconds_of(row.checked_at),
                             std::int64_t{row.passing ? 1 : 0}, row.findings};
  return write(kPutMonitor, params, Bump::no).transform([](const SqlRows&) {});
}

Result<std::optional<MonitorRow>> SqlHostingStore::get_monitor_result(std::string_view domain) {
  const SqlValue params[] = {domain};
  return read_one(kGetMonitor, params, &decode_monitor);
}

Result<void> SqlHostingStore::append_audit(const AuditEntry& entry) {
  return database_->run(SqlMode::transaction,
                        [&](SqlSession& session) { return insert_audit(session, entry); });
}

Result<std::vector<AuditEntry>> SqlHostingStore::audit_log(std::string_view domain,
                                                           std::size_t limit) {
  if (domain.empty()) {
    const SqlValue params[] = {limit_value(limit)};
    return read_all(kAuditAll, params, &decode_audit);
  }
  const SqlValue params[] = {domain, limit_value(limit)};
  return read_all(kAuditOfDomain, params, &decode_audit);
}

}  // namespace mtasts::store

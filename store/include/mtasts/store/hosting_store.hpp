#pragma once

// Persistence of `mtasts host` (docs/hosting.md) behind one interface: hosted domains with the
// history of their policy versions, certificates and their keys, the ACME account, ACME
// challenges (so any instance of a cluster answers them), leases that make one instance of a
// cluster do a given job (order a certificate, update a record), monitor results and an audit
// log. SQLite for one machine (the default); PostgreSQL for a cluster of stateless instances.
//
// Every write of a domain is one transaction with its version row and its audit entry, and
// bumps the generation, which instances poll to see that something changed. Like PolicyStore:
// synchronous, thread-safe, `now` passed in (no clock reads), every network wait bounded by the
// configured timeout, a broken PostgreSQL connection re-established on the next call.
//
// Private keys (certificates' and the ACME account's) are stored as given (PEM), not
// encrypted: what protects them is who can read the database. SQLite: the file is created
// 0600 (its -wal and -shm files take the same mode) in directories created 0700, owned by the
// service's user; an existing file keeps its mode, and backups of it hold the keys.
// PostgreSQL: the database's access control; the host_* tables should be readable by the
// service's role only (their own database or schema), and dumps hold the keys.
//
// Times are stored as Unix seconds. Something that expires at T (a challenge, a lease) is
// expired at `now` == T. Text holding a NUL byte cannot be stored (invalid_argument).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/store/report_store.hpp"
#include "mtasts/store/store_error.hpp"

namespace mtasts::store {

using HostTime = core::HostTime;

// One line of the audit log.
struct AuditEntry {
  std::uint64_t seq = 0;  // assigned by the store, increasing
  HostTime at{};
  std::string actor;   // who: "api:<token name>", "cli", "system:<instance>"
  std::string domain;  // empty for entries about no domain
  std::string action;  // "domain.add", "domain.set", "domain.remove", "domain.drop",
                       // "cert.issued", "cert.failed", "record.updated", ...
  std::string detail;  // JSON object text, for people and tools

  friend bool operator==(const AuditEntry&, const AuditEntry&) = default;
};

// A hosted domain as stored, with what the service did about it.
struct DomainRow {
  core::HostedDomain domain;
  // Delegated domains: the id last published in the service's zone (empty: none yet), and when.
  std::string published_id;
  std::optional<HostTime> published_at;

  friend bool operator==(const DomainRow&, const DomainRow&) = default;
};

struct CertificateRow {
  std::string name;       // the policy host name, "mta-sts.<d>"
  std::string chain_pem;  // leaf first; empty while none was issued
  std::string key_pem;
  HostTime not_before{};
  HostTime not_after{};
  HostTime issued_at{};
  // Failures of the last attempts (cleared on success): how many in a row, the last error, and
  // when the next attempt may start.
  std::uint32_t failures = 0;
  std::string last_error;
  std::optional<HostTime> retry_at;

  friend bool operator==(const CertificateRow&, const CertificateRow&) = default;
};

struct AcmeAccountRow {
  std::string directory_url;  // one account per ACME directory
  std::string key_pem;
  std::string account_url;  // the "kid"
  HostTime created_at{};

  friend bool operator==(const AcmeAccountRow&, const AcmeAccountRow&) = default;
};

// One running `mtasts host` instance as it last reported itself (its heartbeat).
struct InstanceRow {
  std::string name;     // the configured instance name (default hostname:pid)
  std::string version;  // the mtasts version it runs
  HostTime started_at{};
  HostTime last_seen{};
  std::chrono::seconds sync_interval{0};  // how often it polls the store, so: how often it beats
  std::string listeners;  // JSON array text of what it listens on ("https 0.0.0.0:443", ...)

  friend bool operator==(const InstanceRow&, const InstanceRow&) = default;
};

struct ChallengeRow {
  std::string token;  // HTTP-01 token, or "alpn:" + the name for TLS-ALPN-01
  std::string name;
  std::string key_authorization;
  HostTime expires_at{};

  friend bool operator==(const ChallengeRow&, const ChallengeRow&) = default;
};

struct MonitorRow {
  std::string domain;
  HostTime checked_at{};
  bool passing = true;   // no error finding
  std::string findings;  // JSON array text of the findings

  friend bool operator==(const MonitorRow&, const MonitorRow&) = default;
};

class HostingStore {
 public:
  HostingStore() = default;
  HostingStore(const HostingStore&) = delete;
  HostingStore& operator=(const HostingStore&) = delete;
  virtual ~HostingStore() = default;

  // A number that grows with every write of a domain, version or certificate; instances
  // reload when it moved. Errors: unavailable, backend_error.
  [[nodiscard]] virtual Result<std::uint64_t> generation() = 0;

  // --- domains and their versions

  [[nodiscard]] virtual Result<std::vector<DomainRow>> list_domains() = 0;
  [[nodiscard]] virtual Result<std::optional<DomainRow>> get_domain(std::string_view name) = 0;

  // Inserts a new domain with its first version and `audit`, in one transaction.
  // Errors: invalid_argument (the domain exists: message says so; no name or current id; an
  // mx pattern that is empty or holds a line break; the current id names another policy in
  // the domain's history), write_failed, unavailable.
  [[nodiscard]] virtual Result<void> add_domain(const DomainRow& row, const AuditEntry& audit) = 0;

  // Replaces the stored domain whose current id is `expected_id` (optimistic concurrency: two
  // instances changing one domain at once cannot both win), appends the row's current version
  // to the history when its id is new, and appends `audit`, in one transaction. Returns false
  // (and writes nothing) when the stored current id is not `expected_id` or the domain is gone.
  // Errors: invalid_argument (as add_domain: the row's current id already names another
  // policy of the domain, since an id is never reused), write_failed, unavailable.
  [[nodiscard]] virtual Result<bool> update_domain(const DomainRow& row,
                                                   std::string_view expected_id,
                                                   const AuditEntry& audit) = 0;

  // Drops a domain from the live table (its history and audit stay, its monitor result goes)
  // with `audit`. True if it was there; false writes nothing.
  [[nodiscard]] virtual Result<bool> drop_domain(std::string_view name,
                                                 const AuditEntry& audit) = 0;

  // The versions of a domain, newest (last added) first, at most `limit`; those of a dropped
  // domain too.
  [[nodiscard]] virtual Result<std::vector<core::PolicyVersion>> history(std::string_view name,
                                                                         std::size_t limit) = 0;

  // --- certificates

  [[nodiscard]] virtual Result<std::vector<CertificateRow>> list_certificates() = 0;
  [[nodiscard]] virtual Result<std::optional<CertificateRow>> get_certificate(
      std::string_view name) = 0;
  // Inserts or replaces the row of `row.name` (every field). Errors: invalid_argument (no name).
  [[nodiscard]] virtual Result<void> put_certificate(const CertificateRow& row) = 0;
  [[nodiscard]] virtual Result<bool> delete_certificate(std::string_view name) = 0;

  // --- ACME account and challenges

  [[nodiscard]] virtual Result<std::optional<AcmeAccountRow>> get_acme_account(
      std::string_view directory_url) = 0;
  // Inserts or replaces the account of `row.directory_url` (every field): the same account
  // registered anew. Errors: invalid_argument (no directory URL).
  [[nodiscard]] virtual Result<void> put_acme_account(const AcmeAccountRow& row) = 0;
  // Stores `row` unless an account of `row.directory_url` is stored already, in one
  // transaction: of instances that registered at once, the first to store wins. Returns the
  // stored row: `row` when it was inserted, else the one stored before (unchanged).
  // Errors: invalid_argument (no directory URL), write_failed, unavailable.
  [[nodiscard]] virtual Result<AcmeAccountRow> add_acme_account(const AcmeAccountRow& row) = 0;

  [[nodiscard]] virtual Result<void> put_challenge(const ChallengeRow& row) = 0;
  // The challenge for `token` unless it expired at `now`.
  [[nodiscard]] virtual Result<std::optional<ChallengeRow>> get_challenge(std::string_view token,
                                                                          HostTime now) = 0;
  [[nodiscard]] virtual Result<void> delete_challenge(std::string_view token) = 0;
  // Every challenge not expired at `now`, by token: what a cluster's instances serve for
  // each other.
  [[nodiscard]] virtual Result<std::vector<ChallengeRow>> list_challenges(HostTime now) = 0;

  // --- leases: one holder at a time per name, until the lease expires

  // Takes the lease `name` for `holder` until `now + ttl` if it is free, expired, or already
  // held by `holder` (then it is extended). True when `holder` holds it on return.
  // Errors: invalid_argument (no name or holder, ttl not positive).
  [[nodiscard]] virtual Result<bool> acquire_lease(std::string_view name, std::string_view holder,
                                                   std::chrono::seconds ttl, HostTime now) = 0;
  // Gives the lease up if `holder` holds it.
  [[nodiscard]] virtual Result<void> release_lease(std::string_view name,
                                                   std::string_view holder) = 0;

  // --- instances of the service

  // Inserts or replaces the row of `row.name` (every field): the instance's heartbeat. Bumps
  // nothing the instances poll (the generation stays), so a cluster's heartbeats never make
  // its instances reload. Errors: invalid_argument (no name), write_failed, unavailable.
  [[nodiscard]] virtual Result<void> put_instance(const InstanceRow& row) = 0;
  // Every instance row, by name.
  [[nodiscard]] virtual Result<std::vector<InstanceRow>> list_instances() = 0;
  // Deletes the rows of instances last seen before `before`; returns how many went.
  [[nodiscard]] virtual Result<std::uint64_t> prune_instances(HostTime before) = 0;

  // --- monitoring

  // Replaces the domain's last result. Errors: invalid_argument (the domain is not hosted).
  [[nodiscard]] virtual Result<void> put_monitor_result(const MonitorRow& row) = 0;
  [[nodiscard]] virtual Result<std::optional<MonitorRow>> get_monitor_result(
      std::string_view domain) = 0;

  // --- audit

  // Appends an entry about no domain write (certificates, records, monitoring).
  [[nodiscard]] virtual Result<void> append_audit(const AuditEntry& entry) = 0;
  // The newest entries first, at most `limit`; only those of `domain` unless it is empty.
  [[nodiscard]] virtual Result<std::vector<AuditEntry>> audit_log(std::string_view domain,
                                                                  std::size_t limit) = 0;

  // --- TLS-RPT reports, in the same database (report_store.hpp)

  [[nodiscard]] virtual ReportStore& reports() = 0;

  // "sqlite" or "postgres".
  [[nodiscard]] virtual std::string_view name() const = 0;
};

enum class HostingStoreType { sqlite, postgres };

struct HostingStoreConfig {
  HostingStoreType type = HostingStoreType::sqlite;
  std::string filename;  // sqlite: the database file (created 0600 with its directory)
  std::string dsn;       // postgres: libpq URI or key=value string
  std::chrono::milliseconds timeout{5000};          // one statement (SQLite: busy timeout)
  std::chrono::milliseconds connect_timeout{5000};  // establishing a PostgreSQL connection
};

// Opens the store and migrates its schema to the current version (in a transaction; an
// advisory lock on PostgreSQL so instances starting together migrate once). Errors:
// invalid_config, corrupt, write_failed, incompatible (a schema newer than this mtasts knows),
// unavailable, backend_error; the message names the file or server.
[[nodiscard]] Result<std::unique_ptr<HostingStore>> open_hosting_store(
    const HostingStoreConfig& config);

}  // namespace mtasts::store

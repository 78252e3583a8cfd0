#pragma once

// HostingStore over an SQL engine (SQLite or PostgreSQL, sql_database.hpp): the statements are
// one text for both. Every write is one transaction; writes of a domain, version or
// certificate bump host_generation in it.

#include <memory>

#include "mtasts/store/hosting_store.hpp"
#include "sql_database.hpp"
#include "sql_report_store.hpp"

namespace mtasts::store {

class SqlHostingStore final : public HostingStore {
 public:
  // `database` has its schema migrated already.
  explicit SqlHostingStore(std::unique_ptr<SqlDatabase> database);

  Result<std::uint64_t> generation() override;

  Result<std::vector<DomainRow>> list_domains() override;
  Result<std::optional<DomainRow>> get_domain(std::string_view name) override;
  Result<void> add_domain(const DomainRow& row, const AuditEntry& audit) override;
  Result<bool> update_domain(const DomainRow& row, std::string_view expected_id,
                             const AuditEntry& audit) override;
  Result<bool> drop_domain(std::string_view name, const AuditEntry& audit) override;
  Result<std::vector<core::PolicyVersion>> history(std::string_view name,
                                                   std::size_t limit) override;

  Result<std::vector<CertificateRow>> list_certificates() override;
  Result<std::optional<CertificateRow>> get_certificate(std::string_view name) override;
  Result<void> put_certificate(const CertificateRow& row) override;
  Result<bool> delete_certificate(std::string_view name) override;

  Result<std::optional<AcmeAccountRow>> get_acme_account(std::string_view directory_url) override;
  Result<void> put_acme_account(const AcmeAccountRow& row) override;
  Result<AcmeAccountRow> add_acme_account(const AcmeAccountRow& row) override;

  Result<void> put_challenge(const ChallengeRow& row) override;
  Result<std::optional<ChallengeRow>> get_challenge(std::string_view token, HostTime now) override;
  Result<void> delete_challenge(std::string_view token) override;
  Result<std::vector<ChallengeRow>> list_challenges(HostTime now) override;

  Result<bool> acquire_lease(std::string_view name, std::string_view holder,
                             std::chrono::seconds ttl, HostTime now) override;
  Result<void> release_lease(std::string_view name, std::string_view holder) override;

  Result<void> put_instance(const InstanceRow& row) override;
  Result<std::vector<InstanceRow>> list_instances() override;
  Result<std::uint64_t> prune_instances(HostTime before) override;

  Result<void> put_monitor_result(const MonitorRow& row) override;
  Result<std::optional<MonitorRow>> get_monitor_result(std::string_view domain) override;

  Result<void> append_audit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> audit_log(std::string_view domain, std::size_t limit) override;

  ReportStore& reports() override { return reports_; }

  std::string_view name() const override { return database_->name(); }

 private:
  // The rows of one statement run on its own.
  Result<SqlRows> read(const char* sql, std::span<const SqlValue> params);
  // Rows of one statement, each decoded by `decode`.
  template <class T>
  Result<std::vector<T>> read_all(const char* sql, std::span<const SqlValue> params,
                                  Result<T> (*decode)(const SqlRow&, const std::string&));
  template <class T>
  Result<std::optional<T>> read_one(const char* sql, std::span<const SqlValue> params,
                                    Result<T> (*decode)(const SqlRow&, const std::string&));
  // One write statement in a transaction, plus the generation bump when `bump`.
  enum class Bump { no, yes };
  Result<SqlRows> write(const char* sql, std::span<const SqlValue> params, Bump bump);

  std::unique_ptr<SqlDatabase> database_;
  SqlReportStore reports_;
};

}  // namespace mtasts::store

#pragma once

// ReportStore over the hosting store's SQL engine (sql_database.hpp): the same database and
// connection as the rest of the hosting store, tables of schema version 2 (hosting_schema.cpp).

#include "mtasts/store/report_store.hpp"
#include "sql_database.hpp"

namespace mtasts::store {

class SqlReportStore final : public ReportStore {
 public:
  // `database` must outlive the store.
  explicit SqlReportStore(SqlDatabase& database) : database_(database) {}

  Result<std::vector<ReportAdded>> add_reports(const std::vector<NewReport>& reports) override;
  Result<void> keep_apart(const KeptApartReport& report) override;
  Result<std::vector<StoredReport>> list_reports(std::string_view domain, core::HostTime from,
                                                 core::HostTime to, std::size_t limit) override;
  Result<std::optional<StoredReport>> get_report(std::int64_t id) override;
  Result<std::vector<KeptApartReport>> list_kept_apart(std::size_t limit) override;
  Result<std::optional<KeptApartReport>> get_kept_apart(std::int64_t id) override;
  Result<std::vector<SessionTotal>> session_totals(std::string_view domain, core::HostTime from,
                                                   core::HostTime to,
                                                   ReportGrouping grouping) override;
  Result<std::vector<ReporterActivity>> reporters(std::string_view domain) override;
  Result<std::vector<core::TlsrptSessionRow>> failure_rows(std::string_view domain,
                                                           core::HostTime from, core::HostTime to,
                                                           std::size_t limit) override;
  Result<std::uint64_t> prune(core::HostTime before) override;

 private:
  // The rows of one statement run on its own.
  Result<SqlRows> read(const char* sql, std::span<const SqlValue> params);

  SqlDatabase& database_;
};

}  // namespace mtasts::store

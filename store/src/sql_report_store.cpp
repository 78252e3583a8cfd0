#include "sql_report_store.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "hosting_rows.hpp"
#include "row_reader.hpp"

namespace mtasts::store {
namespace {

#define MTASTS_REPORT_COLUMNS                                                                 \
  "id, domain, reporter, report_id, contact, start_at, end_at, received_at, channel, source," \
  " successful, failed"
#define MTASTS_APART_COLUMNS \
  "id, received_at, channel, reason, detail, domain, reporter, report_id, source"

constexpr const char* kInsertReport =
    "INSERT INTO host_reports (domain, reporter, report_id, contact, start_at, end_at,"
    " received_at, channel, source, successful, failed, findings, raw)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    " ON CONFLICT (reporter, report_id) DO NOTHING RETURNING id";
constexpr const char* kInsertRow =
    "INSERT INTO host_report_rows (report, domain, day, reporter, policy_index, policy_type,"
    " policy_domain, result, receiving_mx, sending_ip, receiving_ip, sessions, policy_match,"
    " counted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
constexpr const char* kInsertApart =
    "INSERT INTO host_reports_apart (received_at, channel, reason, detail, domain, reporter,"
    " report_id, source, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
// A flood of reports that cannot be counted must not fill the disk: the newest ones are kept.
constexpr const char* kCapApart =
    "DELETE FROM host_reports_apart WHERE id <= (SELECT max(id) FROM host_reports_apart) - $1";
constexpr const char* kListAll = "SELECT " MTASTS_REPORT_COLUMNS
                                 " FROM host_reports WHERE start_at >= $1 AND start_at < $2"
                                 " ORDER BY start_at DESC, id DESC LIMIT $3";
constexpr const char* kListDomain =
    "SELECT " MTASTS_REPORT_COLUMNS
    " FROM host_reports WHERE domain = $1 AND start_at >= $2 AND start_at < $3"
    " ORDER BY start_at DESC, id DESC LIMIT $4";
constexpr const char* kGetReport =
    "SELECT " MTASTS_REPORT_COLUMNS ", findings, raw FROM host_reports WHERE id = $1";
constexpr const char* kListApart =
    "SELECT " MTASTS_APART_COLUMNS " FROM host_reports_apart ORDER BY id DESC LIMIT $1";
constexpr const char* kGetApart =
    "SELECT " MTASTS_APART_COLUMNS ", raw FROM host_reports_apart WHERE id = $1";
// Adds a report's counted sessions to the daily sums that the totals read.
constexpr const char* kAddDay =
    "INSERT INTO host_report_days (domain, day, reporter, receiving_mx, result, policy_match,"
    " sessions) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (domain, day, reporter,"
    " receiving_mx, result, policy_match) DO UPDATE SET"
    " sessions = host_report_days.sessions + excluded.sessions";
// Totals read the daily sums, through their primary key's (domain, day) prefix.
constexpr const char* kTotalsByDay =
    "SELECT day, result, sum(sessions) FROM host_report_days"
    " WHERE domain = $1 AND day >= $2 AND day < $3 GROUP BY day, result ORDER BY day, result";
constexpr const char* kTotalsByResult =
    "SELECT '', result, sum(sessions) FROM host_report_days"
    " WHERE domain = $1 AND day >= $2 AND day < $3 GROUP BY result ORDER BY result";
constexpr const char* kTotalsByReporter =
    "SELECT reporter, result, sum(sessions) FROM host_report_days"
    " WHERE domain = $1 AND day >= $2 AND day < $3"
    " GROUP BY reporter, result ORDER BY reporter, result";
constexpr const char* kTotalsByMx =
    "SELECT receiving_mx, result, sum(sessions) FROM host_report_days"
    " WHERE domain = $1 AND day >= $2 AND day < $3"
    " GROUP BY receiving_mx, result ORDER BY receiving_mx, result";
constexpr const char* kTotalsByPolicyMatch =
    "SELECT policy_match, result, sum(sessions) FROM host_report_days"
    " WHERE domain = $1 AND day >= $2 AND day < $3 AND policy_match <> ''"
    " GROUP BY policy_match, result ORDER BY policy_match, result";
constexpr const char* kReporters =
    "SELECT reporter, min(start_at), max(start_at), count(*) FROM host_reports"
    " WHERE domain = $1 GROUP BY reporter ORDER BY reporter";
constexpr const char* kFailureRows =
    "SELECT r.policy_index, r.policy_type, r.policy_domain, r.result, r.receiving_mx,"
    " r.sending_ip, r.receiving_ip, r.sessions, r.policy_match, r.counted FROM host_report_rows r"
    " WHERE r.domain = $1 AND r.day >= $2 AND r.day < $3 AND r.counted = 1"
    " AND r.result <> 'success' ORDER BY r.day DESC, r.report DESC LIMIT $4";
// Pruning goes by whole days, through the index on host_reports (start_at): a pass with
// nothing to delete reads no table, and the daily sums of a domain are deleted through their
// primary key's (domain, day) prefix, for the domains that had reports pruned only. A sum's day
// is its report's start day, so with the cut at midnight the two go together.
// The range has a lower bound ($2, the smallest time) so that SQLite's planner reads it through
// the start index, not the whole (domain, start_at) one for the DISTINCT.
constexpr const char* kPruneDomains =
    "SELECT DISTINCT domain FROM host_reports WHERE start_at >= $2 AND start_at < $1";
constexpr const char* kPruneRows =
    "DELETE FROM host_report_rows WHERE report IN"
    " (SELECT id FROM host_reports WHERE start_at < $1)";
constexpr const char* kPruneDays = "DELETE FROM host_report_days WHERE domain = $1 AND day < $2";
constexpr const char* kPruneReports = "DELETE FROM host_reports WHERE start_at < $1 RETURNING id";
constexpr const char* kPruneApart = "DELETE FROM host_reports_apart WHERE received_at < $1";

constexpr std::int64_t kDay = 86400;

std::int64_t limit_value(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(
      limit, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
}

std::int64_t count_value(std::uint64_t count) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(count, static_cast<std::uint64_t>(core::kTlsrptMaxCount)));
}

std::int64_t day_of(core::HostTime t) {
  const std::int64_t seconds = seconds_of(t);
  const std::int64_t rem = seconds % kDay;
  return seconds - (rem < 0 ? rem + kDay : rem);
}

std::uint64_t unsigned_of(std::int64_t value) {
  return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}

Result<StoredReport> decode_report(const SqlRow& row, const std::string& describe) {
  RowReader read(row, "host_reports");
  StoredReport report;
  report.id = read.integer("id");
  report.domain = read.text("domain");
  report.reporter = read.text("reporter");
  report.report_id = read.text("report_id");
  report.contact = read.text("contact");
  report.start = read.time("start_at");
  report.end = read.time("end_at");
  report.received_at = read.time("received_at");
  report.channel = read.decoded("channel", &report_channel_from_string);
  report.source = read.text("source");
  report.successful = unsigned_of(read.integer("successful"));
  report.failed = unsigned_of(read.integer("failed"));
  if (row.size() > 12) {
    report.findings = read.text("findings");
    report.raw = read.text("raw");
  }
  read.name(std::to_string(report.id));
  return read.finish(describe).transform([&] { return std::move(report); });
}

Result<KeptApartReport> decode_apart(const SqlRow& row, const std::string& describe) {
  RowReader read(row, "host_reports_apart");
  KeptApartReport report;
  report.id = read.integer("id");
  report.received_at = read.time("received_at");
  report.channel = read.decoded("channel", &report_channel_from_string);
  report.reason = read.text("reason");
  report.detail = read.text("detail");
  report.domain = read.text("domain");
  report.reporter = read.text("reporter");
  report.report_id = read.text("report_id");
  report.source = read.text("source");
  if (row.size() > 9) {
    report.raw = read.text("raw");
  }
  read.name(std::to_string(report.id));
  return read.finish(describe).transform([&] { return std::move(report); });
}

Result<SessionTotal> decode_total(const SqlRow& row, const std::string& describe) {
  RowReader read(row, "host_report_rows");
  SessionTotal total;
  total.key = read.text("key");
  total.result = read.text("result");
  total.sessions = unsigned_of(read.integer("sessions"));
  return read.finish(describe).transform([&] { return std::move(total); });
}

Result<ReporterActivity> decode_activity(const SqlRow& row, const std::string& describe) {
  RowReader read(row, "host_reports");
  ReporterActivity activity;
  activity.reporter = read.text("reporter");
  activity.first_start = read.time("first");
  activity.last_start = read.time("last");
  activity.reports = unsigned_of(read.integer("reports"));
  return read.finish(describe).transform([&] { return std::move(activity); });
}

Result<core::TlsrptSessionRow> decode_session(const SqlRow& row, const std::string& describe) {
  RowReader read(row, "host_report_rows");
  core::TlsrptSessionRow session;
  session.policy_index = static_cast<std::size_t>(unsigned_of(read.integer("policy_index")));
  session.policy_type = read.text("policy_type");
  session.policy_domain = read.text("policy_domain");
  session.result = read.text("result");
  session.receiving_mx = read.text("receiving_mx");
  session.sending_ip = read.text("sending_ip");
  session.receiving_ip = read.text("receiving_ip");
  session.sessions = unsigned_of(read.integer("sessions"));
  session.policy_match = read.text("policy_match");
  session.counted = read.integer("counted") != 0;
  return read.finish(describe).transform([&] { return std::move(session); });
}

template <class T>
Result<std::vector<T>> decode_all(Result<SqlRows> rows, const std::string& describe,
                                  Result<T> (*decode)(const SqlRow&, const std::string&)) {
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  std::vector<T> out;
  out.reserve(rows->size());
  for (const SqlRow& row : *rows) {
    auto value = decode(row, describe);
    if (!value) {
      return tl::unexpected(value.error());
    }
    out.push_back(std::move(*value));
  }
  return out;
}

// The report's counted sessions summed by (receiving MX, result, policy match), added to its
// day's sums.
Result<void> add_to_days(SqlSession& session, std::int64_t day, const StoredReport& report,
                         const std::vector<core::TlsrptSessionRow>& rows) {
  std::map<std::tuple<std::string_view, std::string_view, std::string_view>, std::uint64_t> sums;
  for (const core::TlsrptSessionRow& row : rows) {
    if (row.counted) {
      sums[{row.receiving_mx, row.result, row.policy_match}] += row.sessions;
    }
  }
  for (const auto& [key, sessions] : sums) {
    const SqlValue params[] = {std::string_view(report.domain),
                               day,
                               std::string_view(report.reporter),
                               std::get<0>(key),
                               std::get<1>(key),
                               std::get<2>(key),
                               count_value(sessions)};
    if (auto done = session.query(kAddDay, params); !done) {
      return tl::unexpected(done.error());
    }
  }
  return {};
}

Result<void> insert_rows(SqlSession& session, std::int64_t id, const StoredReport& report,
                         const std::vector<core::TlsrptSessionRow>& rows) {
  const std::int64_t day = day_of(report.start);
  for (const core::TlsrptSessionRow& row : rows) {
    const SqlValue params[] = {id,
                               std::string_view(report.domain),
                               day,
                               std::string_view(report.reporter),
                               limit_value(row.policy_index),
                               std::string_view(row.policy_type),
                               std::string_view(row.policy_domain),
                               std::string_view(row.result),
                               std::string_view(row.receiving_mx),
                               std::string_view(row.sending_ip),
                               std::string_view(row.receiving_ip),
                               count_value(row.sessions),
                               std::string_view(row.policy_match),
                               std::int64_t{row.counted ? 1 : 0}};
    if (auto done = session.query(kInsertRow, params); !done) {
      return tl::unexpected(done.error());
    }
  }
  return add_to_days(session, day, report, rows);
}

// Inserts one report unless its (reporter, report_id) is stored: its new id, or nullopt.
Result<std::optional<std::int64_t>> insert_report(SqlSession& session, const StoredReport& report,
                                                  const std::string& describe) {
  const SqlValue params[] = {std::string_view(report.domain),    std::string_view(report.reporter),
                             std::string_view(report.report_id), std::string_view(report.contact),
                             seconds_of(report.start),           seconds_of(report.end),
                             seconds_of(report.received_at),     to_string(report.channel),
                             std::string_view(report.source),    count_value(report.successful),
                             count_value(report.failed),         std::string_view(report.findings),
                             std::string_view(report.raw)};
  auto inserted = session.query(kInsertReport, params);
  if (!inserted) {
    return tl::unexpected(inserted.error());
  }
  if (inserted->empty()) {
    return std::optional<std::int64_t>();
  }
  auto decoded = decode_all(
      SqlRows{inserted->front()}, describe,
      +[](const SqlRow& row, const std::string& d) -> Result<std::int64_t> {
        RowReader read(row, "host_reports");
        const std::int64_t id = read.integer("id");
        return read.finish(d).transform([id] { return id; });
      });
  if (!decoded) {
    return tl::unexpected(decoded.error());
  }
  return std::optional<std::int64_t>(decoded->front());
}

}  // namespace

std::string_view to_string(ReportChannel channel) {
  switch (channel) {
    case ReportChannel::https:
      return "https";
    case ReportChannel::mail:
      return "mail";
    case ReportChannel::import:
      return "import";
  }
  return "https";
}

std::optional<ReportChannel> report_channel_from_string(std::string_view text) {
  for (const ReportChannel channel :
       {ReportChannel::https, ReportChannel::mail, ReportChannel::import}) {
    if (text == to_string(channel)) {
      return channel;
    }
  }
  return std::nullopt;
}

Result<SqlRows> SqlReportStore::read(const char* sql, std::span<const SqlValue> params) {
  return read_statement(database_, sql, params);
}

Result<std::vector<ReportAdded>> SqlReportStore::add_reports(
    const std::vector<NewReport>& reports) {
  for (const NewReport& item : reports) {
    if (item.report.domain.empty() || item.report.report_id.empty()) {
      return fail(Errc::invalid_argument, "a TLS-RPT report needs a domain and a report id");
    }
  }
  std::vector<ReportAdded> outcome;
  auto done = database_.run(SqlMode::transaction, [&](SqlSession& session) -> Result<void> {
    outcome.assign(reports.size(), ReportAdded::duplicate);
    for (std::size_t i = 0; i < reports.size(); ++i) {
      auto id = insert_report(session, reports[i].report, database_.describe());
      if (!id) {
        return tl::unexpected(id.error());
      }
      if (!*id) {
        continue;
      }
      if (auto rows = insert_rows(session, **id, reports[i].report, reports[i].rows); !rows) {
        return rows;
      }
      outcome[i] = ReportAdded::added;
    }
    return {};
  });
  return done.transform([&] { return std::move(outcome); });
}

Result<void> SqlReportStore::keep_apart(const KeptApartReport& report) {
  if (report.reason.empty()) {
    return fail(Errc::invalid_argument, "a report kept apart needs a reason");
  }
  const SqlValue params[] = {seconds_of(report.received_at),     to_string(report.channel),
                             std::string_view(report.reason),    std::string_view(report.detail),
                             std::string_view(report.domain),    std::string_view(report.reporter),
                             std::string_view(report.report_id), std::string_view(report.source),
                             std::string_view(report.raw)};
  const SqlValue cap[] = {static_cast<std::int64_t>(kKeptApartCap)};
  return database_.run(SqlMode::transaction, [&](SqlSession& session) -> Result<void> {
    if (auto inserted = session.query(kInsertApart, params); !inserted) {
      return tl::unexpected(inserted.error());
    }
    return session.query(kCapApart, cap).transform([](const SqlRows&) {});
  });
}

Result<std::vector<StoredReport>> SqlReportStore::list_reports(std::string_view domain,
                                                               core::HostTime from,
                                                               core::HostTime to,
                                                               std::size_t limit) {
  if (domain.empty()) {
    const SqlValue params[] = {seconds_of(from), seconds_of(to), limit_value(limit)};
    return decode_all(read(kListAll, params), database_.describe(), &decode_report);
  }
  const SqlValue params[] = {domain, seconds_of(from), seconds_of(to), limit_value(limit)};
  return decode_all(read(kListDomain, params), database_.describe(), &decode_report);
}

Result<std::optional<StoredReport>> SqlReportStore::get_report(std::int64_t id) {
  const SqlValue params[] = {id};
  auto all = decode_all(read(kGetReport, params), database_.describe(), &decode_report);
  if (!all) {
    return tl::unexpected(all.error());
  }
  return all->empty() ? std::optional<StoredReport>() : std::move(all->front());
}

Result<std::vector<KeptApartReport>> SqlReportStore::list_kept_apart(std::size_t limit) {
  const SqlValue params[] = {limit_value(limit)};
  return decode_all(read(kListApart, params), database_.describe(), &decode_apart);
}

Result<std::optional<KeptApartReport>> SqlReportStore::get_kept_apart(std::int64_t id) {
  const SqlValue params[] = {id};
  auto all = decode_all(read(kGetApart, params), database_.describe(), &decode_apart);
  if (!all) {
    return tl::unexpected(all.error());
  }
  return all->empty() ? std::optional<KeptApartReport>() : std::move(all->front());
}

Result<std::vector<SessionTotal>> SqlReportStore::session_totals(std::string_view domain,
                                                                 core::HostTime from,
                                                                 core::HostTime to,
                                                                 ReportGrouping grouping) {
  const char* sql = kTotalsByDay;
  switch (grouping) {
    case ReportGrouping::day:
      sql = kTotalsByDay;
      break;
    case ReportGrouping::reporter:
      sql = kTotalsByReporter;
      break;
    case ReportGrouping::receiving_mx:
      sql = kTotalsByMx;
      break;
    case ReportGrouping::result:
      sql = kTotalsByResult;
      break;
    case ReportGrouping::policy_match:
      sql = kTotalsByPolicyMatch;
      break;
  }
  const SqlValue params[] = {domain, day_of(from), seconds_of(to)};
  return decode_all(read(sql, params), database_.describe(), &decode_total);
}

Result<std::vector<ReporterActivity>> SqlReportStore::reporters(std::string_view domain) {
  const SqlValue params[] = {domain};
  return decode_all(read(kReporters, params), database_.describe(), &decode_activity);
}

Result<std::vector<core::TlsrptSessionRow>> SqlReportStore::failure_rows(std::string_view domain,
                                                                         core::HostTime from,
                                                                         core::HostTime to,
                                                                         std::size_t limit) {
  const SqlValue params[] = {domain, day_of(from), seconds_of(to), limit_value(limit)};
  return decode_all(read(kFailureRows, params), database_.describe(), &decode_session);
}

Result<std::uint64_t> SqlReportStore::prune(core::HostTime before) {
  std::uint64_t removed = 0;
  const std::int64_t cut = day_of(before);
  const SqlValue params[] = {cut};
  const SqlValue range[] = {cut, std::numeric_limits<std::int64_t>::min()};
  auto done = database_.run(SqlMode::transaction, [&](SqlSession& session) -> Result<void> {
    auto domains = session.query(kPruneDomains, range);
    if (!domains) {
      return tl::unexpected(domains.error());
    }
    for (const SqlRow& row : *domains) {
      if (row.empty() || !row.front()) {
        continue;
      }
      const SqlValue day[] = {std::string_view(*row.front()), cut};
      if (auto days = session.query(kPruneDays, day); !days) {
        return tl::unexpected(days.error());
      }
    }
    if (!domains->empty()) {
      if (auto rows = session.query(kPruneRows, params); !rows) {
        return tl::unexpected(rows.error());
      }
      auto reports = session.query(kPruneReports, params);
      if (!reports) {
        return tl::unexpected(reports.error());
      }
      removed = reports->size();
    }
    return session.query(kPruneApart, params).transform([](const SqlRows&) {});
  });
  return done.transform([&] { return removed; });
}

}  // namespace mtasts::store

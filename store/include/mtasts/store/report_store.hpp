#pragma once

// The TLS-RPT reports `mtasts host` received (docs/tlsrpt-intake.md), in the hosting store's
// database: each accepted report once (by reporter and report-id), its sessions as flat rows
// (core::TlsrptSessionRow) so that totals by day, reporter, result and receiving MX are single
// queries, and the reports kept apart (not for a hosted domain, not a report, unsigned mail)
// with the reason, never mixed into the totals.
//
// Like HostingStore: synchronous, thread-safe, `now` passed in, errors as store::Result.
// Times are Unix seconds; a report's day is the UTC day its date-range starts in.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_rows.hpp"
#include "mtasts/store/store_error.hpp"

namespace mtasts::store {

// How a report arrived.
enum class ReportChannel {
  https,   // POSTed to the intake URL (RFC 8460 §5.4)
  mail,    // delivered to the SMTP/LMTP intake (§5.3)
  import,  // read from a file by `mtasts host report import`
};
[[nodiscard]] std::string_view to_string(ReportChannel channel);
[[nodiscard]] std::optional<ReportChannel> report_channel_from_string(std::string_view text);

// An accepted report, as stored.
struct StoredReport {
  std::int64_t id = 0;     // assigned by the store
  std::string domain;      // the hosted domain it is about
  std::string reporter;    // organization-name ("" when the report has none)
  std::string report_id;   // report-id, or "sha256:<hex>" of the JSON when it has none
  std::string contact;     // contact-info ("" when none)
  core::HostTime start{};  // date-range (start-datetime, end-datetime), UTC
  core::HostTime end{};
  core::HostTime received_at{};
  ReportChannel channel = ReportChannel::https;
  std::string source;            // the client address, the mail's From, or the file name
  std::uint64_t successful = 0;  // counted sessions that succeeded
  std::uint64_t failed = 0;      // counted sessions that failed
  std::string findings;          // JSON array of the reader's findings ({code, path, message})
  std::string raw;               // the report's JSON text, as received (decompressed)

  friend bool operator==(const StoredReport&, const StoredReport&) = default;
};

// A report not counted for any domain, with why.
struct KeptApartReport {
  std::int64_t id = 0;  // assigned by the store
  core::HostTime received_at{};
  ReportChannel channel = ReportChannel::https;
  std::string reason;  // a stable code: "not-hosted", "not-a-report", "dkim-fail", ...
  std::string detail;  // for people
  std::string domain;  // the domain it claims to be about, "" when unknown
  std::string reporter;
  std::string report_id;
  std::string source;
  std::string raw;  // what was received (decompressed when that worked), capped by the caller

  friend bool operator==(const KeptApartReport&, const KeptApartReport&) = default;
};

// A report to store, with its session rows.
struct NewReport {
  StoredReport report;  // id ignored
  std::vector<core::TlsrptSessionRow> rows;
};

// How many reports kept apart are stored at most.
inline constexpr std::size_t kKeptApartCap = 10000;

// What add_reports did with each report.
enum class ReportAdded { added, duplicate };

// Session totals grouped by one key (a day's start in Unix seconds as decimal text, a reporter,
// a receiving MX) and the row's result; only counted rows.
// policy_match: the `sts` rows by the published version they saw (key "live", "older",
// "unknown"; rows without a match are left out).
enum class ReportGrouping { day, reporter, receiving_mx, result, policy_match };
struct SessionTotal {
  std::string key;     // the group's value ("" for result grouping)
  std::string result;  // "success", a result type, "unexplained", ...
  std::uint64_t sessions = 0;

  friend bool operator==(const SessionTotal&, const SessionTotal&) = default;
};

// A reporter's activity for a domain: the first and last report's day.
struct ReporterActivity {
  std::string reporter;
  core::HostTime first_start{};
  core::HostTime last_start{};
  std::uint64_t reports = 0;

  friend bool operator==(const ReporterActivity&, const ReporterActivity&) = default;
};

class ReportStore {
 public:
  ReportStore() = default;
  ReportStore(const ReportStore&) = delete;
  ReportStore& operator=(const ReportStore&) = delete;
  virtual ~ReportStore() = default;

  // Stores each report with its rows, all in one transaction (all or none), except those of a
  // reporter and report-id stored already (or earlier in `reports`): duplicate, nothing
  // written. Returns what happened to each, in order.
  // Errors: invalid_argument (no domain or report-id, text with a NUL byte), write_failed,
  // unavailable.
  [[nodiscard]] virtual Result<std::vector<ReportAdded>> add_reports(
      const std::vector<NewReport>& reports) = 0;

  // Stores a report kept apart; of those, only the newest kKeptApartCap stay (a flood of
  // unhosted reports cannot fill the disk). Errors: invalid_argument (no reason), write_failed,
  // unavailable.
  [[nodiscard]] virtual Result<void> keep_apart(const KeptApartReport& report) = 0;

  // The reports of `domain` ("": every domain) whose date-range starts in [from, to), newest
  // first, at most `limit`, without their raw text and findings.
  [[nodiscard]] virtual Result<std::vector<StoredReport>> list_reports(std::string_view domain,
                                                                       core::HostTime from,
                                                                       core::HostTime to,
                                                                       std::size_t limit) = 0;
  // One report, whole.
  [[nodiscard]] virtual Result<std::optional<StoredReport>> get_report(std::int64_t id) = 0;

  // The reports kept apart, newest first, at most `limit`, without their raw text.
  [[nodiscard]] virtual Result<std::vector<KeptApartReport>> list_kept_apart(std::size_t limit) = 0;
  [[nodiscard]] virtual Result<std::optional<KeptApartReport>> get_kept_apart(std::int64_t id) = 0;

  // Counted sessions of `domain` in reports starting in the days of [from, to) (from is taken
  // back to its day's start), grouped; read from daily sums, so its cost follows the number of
  // (day, reporter, MX, result) combinations, not the number of failure details.
  [[nodiscard]] virtual Result<std::vector<SessionTotal>> session_totals(
      std::string_view domain, core::HostTime from, core::HostTime to, ReportGrouping grouping) = 0;
  // Every reporter that ever reported on `domain`, with its first and last report.
  [[nodiscard]] virtual Result<std::vector<ReporterActivity>> reporters(
      std::string_view domain) = 0;

  // The failure rows of `domain` in [from, to) as stored (counted ones), newest report first,
  // at most `limit`.
  [[nodiscard]] virtual Result<std::vector<core::TlsrptSessionRow>> failure_rows(
      std::string_view domain, core::HostTime from, core::HostTime to, std::size_t limit) = 0;

  // Deletes by whole days: reports (their rows and daily sums) whose date-range started before
  // the start of `before`'s day (UTC), and reports kept apart received before it. Returns how
  // many reports went.
  [[nodiscard]] virtual Result<std::uint64_t> prune(core::HostTime before) = 0;
};

}  // namespace mtasts::store

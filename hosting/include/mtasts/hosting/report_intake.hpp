#pragma once

// TLS-RPT report intake (docs/tlsrpt-intake.md): the one path every report takes, whether it
// was POSTed (RFC 8460 §5.4), mailed (§5.3) or imported from a file. The bytes are decoded
// (report_payload.hpp), read (core::parse_tlsrpt_report), tied to a hosted domain, turned into
// session rows (core::tlsrpt_session_rows) and stored once per reporter and report-id. What
// cannot be counted for a hosted domain is kept apart with a reason code, never mixed in.
//
// Synchronous: it calls the store. The service runs it on its store worker.

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/hosting/report_payload.hpp"
#include "mtasts/store/hosting_store.hpp"

namespace mtasts::hosting {

struct IntakeRequest {
  std::string bytes;  // as received: gzip, zip or JSON
  store::ReportChannel channel = store::ReportChannel::https;
  std::string source;  // client address, mail From, or file name
  // The domain the report was sent for (the intake URL's domain, the mail's
  // TLS-Report-Domain), "" when the channel does not say.
  std::string claimed_domain;
  // Set when the channel has already decided the report is not to be counted (a mailed report
  // without a valid DKIM signature, mail that holds no report): the report is still read, so
  // the kept-apart entry names its reporter and id when it can, then kept apart with this
  // reason (a kApart* code) and detail.
  std::string apart_reason;
  std::string apart_detail;
};

enum class IntakeStatus {
  accepted,    // stored and counted
  duplicate,   // this reporter's report-id is stored already; nothing written
  kept_apart,  // stored apart with a reason, not counted
  refused,     // not stored at all (the store failed); the sender should try again
};
[[nodiscard]] std::string_view to_string(IntakeStatus status);

// Why a report was kept apart; the codes are stable (docs/tlsrpt-intake.md).
inline constexpr std::string_view kApartTooLarge = "too-large";
inline constexpr std::string_view kApartBadCompression = "bad-compression";
inline constexpr std::string_view kApartNotAReport = "not-a-report";
inline constexpr std::string_view kApartNoDomain = "no-policy-domain";
inline constexpr std::string_view kApartNotHosted = "not-hosted";
inline constexpr std::string_view kApartDomainMismatch = "domain-mismatch";
// Mail only (RFC 8460 §3: a mailed report needs a valid DKIM signature by the reporting domain;
// report_dkim.hpp tells the cases apart).
inline constexpr std::string_view kApartNotAMessage = "not-a-report-mail";
inline constexpr std::string_view kApartDkimNone = "dkim-none";
inline constexpr std::string_view kApartDkimBad = "dkim-bad";
inline constexpr std::string_view kApartDkimWrongDomain = "dkim-wrong-domain";
inline constexpr std::string_view kApartDkimNoKey = "dkim-no-key";
inline constexpr std::string_view kApartDkimError = "dkim-error";

struct IntakeOutcome {
  IntakeStatus status = IntakeStatus::refused;
  std::string reason;  // a kApart* code when kept apart; the store's error code when refused
  std::string detail;  // for people
  std::string domain;  // the domain it was counted for (or claims)
  std::string reporter;
  std::string report_id;
  std::uint64_t successful = 0;
  std::uint64_t failed = 0;
  // Accepted reports: when their period starts, and their counted failed sessions by result.
  core::HostTime start{};
  std::map<std::string, std::uint64_t> failures;
};

// Counters of the intake, for /metrics (mtasts_host_tlsrpt_* families).
struct IntakeCounters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> duplicate{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> sessions_successful{0};
  std::atomic<std::uint64_t> sessions_failed{0};
  // Kept apart, by reason, in the order of kIntakeApartReasons.
  std::atomic<std::uint64_t> kept_apart[12]{};
};
inline constexpr std::string_view kIntakeApartReasons[12] = {
    kApartTooLarge,  kApartBadCompression,  kApartNotAReport,  kApartNoDomain,
    kApartNotHosted, kApartDomainMismatch,  kApartNotAMessage, kApartDkimNone,
    kApartDkimBad,   kApartDkimWrongDomain, kApartDkimNoKey,   kApartDkimError,
};

// The Prometheus text of `counters`.
[[nodiscard]] std::string intake_metrics_text(const IntakeCounters& counters);

struct IntakeOptions {
  PayloadLimits limits;
  std::size_t max_kept_raw = 64 * 1024;  // bytes of a kept-apart report's text stored with it
};

// Takes each request through the intake and stores the results in one transaction for the
// accepted ones (a batch of imports) and one per report kept apart. Returns one outcome per
// request, in order. `counters` may be null.
[[nodiscard]] std::vector<IntakeOutcome> take_reports(store::HostingStore& store,
                                                      const std::vector<IntakeRequest>& requests,
                                                      core::HostTime now,
                                                      const IntakeOptions& options,
                                                      IntakeCounters* counters);

}  // namespace mtasts::hosting

// Fuzz target: the TLS-RPT aggregate report reader (RFC 8460 §4 JSON).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"

namespace {

using mtasts::core::kTlsrptMaxCount;
using mtasts::core::TlsrptCount;

void check_count(const TlsrptCount& count) {
  if (count && *count > kTlsrptMaxCount) {
    std::abort();  // counts outside the I-JSON range are kept as unknown, never as values
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mtasts::core::TlsrptReportLimits limits;
  limits.max_bytes = 1024 * 1024;  // the fuzzer's inputs are small; keep each run fast
  const auto report = mtasts::core::parse_tlsrpt_report(text, limits);
  if (!report) {
    if (report.error().message.empty()) {
      std::abort();
    }
    return 0;
  }
  if (report->raw != text) {
    std::abort();
  }
  for (const auto& finding : report->findings) {
    if (finding.path.empty() || finding.path.front() != '/' || finding.message.empty() ||
        mtasts::core::tlsrpt_report_code_name(finding.code).empty()) {
      std::abort();
    }
  }
  for (const auto& policy : report->policies) {
    check_count(policy.total_successful_session_count);
    check_count(policy.total_failure_session_count);
    for (const auto& detail : policy.failure_details) {
      check_count(detail.failed_session_count);
      if (detail.result_type && detail.result_type_text.empty()) {
        std::abort();
      }
    }
  }
  const auto& range = report->date_range;
  if (range.window != mtasts::core::TlsrptWindow::unknown &&
      (!range.start.time || !range.end.time ||
       range.end.time->epoch_seconds < range.start.time->epoch_seconds)) {
    std::abort();  // a classified window has two readable date-times in order
  }
  return 0;
}

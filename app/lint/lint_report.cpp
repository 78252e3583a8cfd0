#include "lint/lint_report.hpp"

#include <iostream>
#include <optional>

#include "common/input_file.hpp"
#include "exit_codes.hpp"

namespace mtasts::app {
namespace {

nlohmann::json optional_json(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json count_json(const core::TlsrptCount& count) {
  return count ? nlohmann::json(*count) : nlohmann::json(nullptr);
}

nlohmann::json datetime_json(const core::TlsrptDateTime& value) {
  return {{"text", value.text},
          {"epoch_seconds",
           value.time ? nlohmann::json(value.time->epoch_seconds) : nlohmann::json(nullptr)}};
}

nlohmann::json detail_json(const core::TlsrptFailureDetail& detail) {
  return {{"result_type", detail.result_type_text},
          {"known_result_type", detail.result_type.has_value()},
          {"sending_mta_ip", optional_json(detail.sending_mta_ip)},
          {"receiving_mx_hostname", optional_json(detail.receiving_mx_hostname)},
          {"receiving_mx_helo", optional_json(detail.receiving_mx_helo)},
          {"receiving_ip", optional_json(detail.receiving_ip)},
          {"failed_session_count", count_json(detail.failed_session_count)},
          {"additional_information", optional_json(detail.additional_information)},
          {"failure_reason_code", optional_json(detail.failure_reason_code)}};
}

nlohmann::json report_policy_json(const core::TlsrptPolicy& policy) {
  nlohmann::json details = nlohmann::json::array();
  for (const core::TlsrptFailureDetail& detail : policy.failure_details) {
    details.push_back(detail_json(detail));
  }
  return {{"policy_type", policy.type_text},
          {"known_policy_type", policy.type != core::TlsrptPolicyType::unknown &&
                                    policy.type != core::TlsrptPolicyType::absent},
          {"policy_string", policy.policy_string},
          {"policy_domain", optional_json(policy.policy_domain)},
          {"mx_host", policy.mx_host},
          {"total_successful_session_count", count_json(policy.total_successful_session_count)},
          {"total_failure_session_count", count_json(policy.total_failure_session_count)},
          {"failure_details", std::move(details)}};
}

nlohmann::json report_findings_json(const std::vector<core::TlsrptReportFinding>& findings,
                                    core::TlsrptReportSeverity severity) {
  nlohmann::json out = nlohmann::json::array();
  for (const core::TlsrptReportFinding& f : findings) {
    if (core::tlsrpt_report_code_severity(f.code) == severity) {
      out.push_back({{"code", core::tlsrpt_report_code_name(f.code)},
                     {"path", f.path},
                     {"message", f.message}});
    }
  }
  return out;
}

// Sessions of every policy, counting only the counts that could be read.
std::pair<std::uint64_t, std::uint64_t> session_totals(const core::TlsrptReport& report) {
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  for (const core::TlsrptPolicy& policy : report.policies) {
    succeeded += policy.total_successful_session_count.value_or(0);
    failed += policy.total_failure_session_count.value_or(0);
  }
  return {succeeded, failed};
}

std::string report_text(const std::string& subject, const core::TlsrptReport& report) {
  const auto [succeeded, failed] = session_totals(report);
  std::string out = subject + ": report " + report.report_id.value_or("<no id>") + " from " +
                    report.organization_name.value_or("<no organization>") + ", " +
                    report.date_range.start.text + " .. " + report.date_range.end.text + " (" +
                    std::string(core::to_string(report.date_range.window)) + "), " +
                    std::to_string(report.policies.size()) +
                    (report.policies.size() == 1 ? " policy, " : " policies, ") +
                    std::to_string(succeeded) + " sessions succeeded, " + std::to_string(failed) +
                    " failed\n";
  for (const core::TlsrptPolicy& policy : report.policies) {
    out += "  policy " + policy.type_text + " " + policy.policy_domain.value_or("<no domain>") +
           ": " + std::to_string(policy.total_successful_session_count.value_or(0)) + " ok, " +
           std::to_string(policy.total_failure_session_count.value_or(0)) + " failed\n";
    for (const core::TlsrptFailureDetail& detail : policy.failure_details) {
      out += "    " + detail.result_type_text + " x" +
             (detail.failed_session_count ? std::to_string(*detail.failed_session_count) : "?") +
             " mx " + detail.receiving_mx_hostname.value_or("-") + " from " +
             detail.sending_mta_ip.value_or("-") + "\n";
    }
  }
  for (const core::TlsrptReportFinding& f : report.findings) {
    const bool warning =
        core::tlsrpt_report_code_severity(f.code) == core::TlsrptReportSeverity::warning;
    out += std::string("  ") + (warning ? "warning" : "info") + " " + f.path + " [" +
           std::string(core::tlsrpt_report_code_name(f.code)) + "]: " + f.message + "\n";
  }
  return out;
}

}  // namespace

nlohmann::json tlsrpt_report_json(const core::TlsrptReport& report) {
  nlohmann::json policies = nlohmann::json::array();
  for (const core::TlsrptPolicy& policy : report.policies) {
    policies.push_back(report_policy_json(policy));
  }
  return {{"organization_name", optional_json(report.organization_name)},
          {"contact_info", optional_json(report.contact_info)},
          {"report_id", optional_json(report.report_id)},
          {"date_range",
           {{"start", datetime_json(report.date_range.start)},
            {"end", datetime_json(report.date_range.end)},
            {"window", core::to_string(report.date_range.window)}}},
          {"policies", std::move(policies)}};
}

int lint_tlsrpt_report(const std::string& path, bool json) {
  const core::TlsrptReportLimits limits;
  const auto input = read_capped_input(path, limits.max_bytes);
  if (!input) {
    std::cerr << "mtasts lint tlsrpt-report: cannot read " << path << "\n";
    return kExitUsage;
  }
  const std::string subject = path == "-" ? "<stdin>" : path;
  std::string error;
  std::optional<core::TlsrptReport> report;
  if (input->size() >= 2 && static_cast<unsigned char>((*input)[0]) == 0x1f &&
      static_cast<unsigned char>((*input)[1]) == 0x8b) {
    error = "gzip-compressed: decompress it first (gunzip -c FILE | mtasts lint tlsrpt-report -)";
  } else if (auto parsed = core::parse_tlsrpt_report(*input, limits)) {
    report = std::move(*parsed);
  } else {
    error = parsed.error().message;
  }
  if (json) {
    nlohmann::json out = {{"valid", report.has_value()}};
    out["error"] = report ? nlohmann::json(nullptr) : nlohmann::json(error);
    out["warnings"] =
        report ? report_findings_json(report->findings, core::TlsrptReportSeverity::warning)
               : nlohmann::json::array();
    out["infos"] = report ? report_findings_json(report->findings, core::TlsrptReportSeverity::info)
                          : nlohmann::json::array();
    out["report"] = report ? tlsrpt_report_json(*report) : nlohmann::json(nullptr);
    std::cout << out.dump(2) << "\n";
  } else if (report) {
    std::cout << report_text(subject, *report);
  } else {
    std::cout << subject << ": NOT A REPORT: " << error << "\n";
  }
  return report ? kExitOk : kExitNegative;
}

}  // namespace mtasts::app

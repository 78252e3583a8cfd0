#include "mtasts/hosting/host_json.hpp"

#include <utility>

namespace mtasts::hosting {
namespace {

nlohmann::json optional_time(const std::optional<core::HostTime>& t) {
  return t ? nlohmann::json(core::format_utc(*t)) : nlohmann::json(nullptr);
}

}  // namespace

std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

store::AuditEntry make_audit(core::HostTime now, std::string actor, std::string domain,
                             std::string action, const nlohmann::json& detail) {
  store::AuditEntry entry;
  entry.at = now;
  entry.actor = std::move(actor);
  entry.domain = std::move(domain);
  entry.action = std::move(action);
  entry.detail = json_text(detail);
  return entry;
}

void log_audit_failure(net::Logger& log, const store::AuditEntry& entry,
                       const store::Error& error) {
  log.log(net::LogLevel::warn, "audit-write-failed",
          {{"action", entry.action},
           {"domain", entry.domain},
           {"actor", entry.actor},
           {"reason", store::errc_name(error.code)},
           {"error", error.message}});
}

nlohmann::json audit_json(const store::AuditEntry& entry) {
  nlohmann::json detail = nlohmann::json::parse(entry.detail, nullptr, false);
  if (detail.is_discarded()) {
    detail = entry.detail;
  }
  return {{"seq", entry.seq},       {"at", core::format_utc(entry.at)},
          {"actor", entry.actor},   {"domain", entry.domain},
          {"action", entry.action}, {"detail", std::move(detail)}};
}

nlohmann::json certificate_json(const store::CertificateRow& row) {
  const bool issued = !row.chain_pem.empty();
  return {{"name", row.name},
          {"issued", issued},
          {"not_before", issued ? nlohmann::json(core::format_utc(row.not_before)) : nullptr},
          {"not_after", issued ? nlohmann::json(core::format_utc(row.not_after)) : nullptr},
          {"issued_at", issued ? nlohmann::json(core::format_utc(row.issued_at)) : nullptr},
          {"failures", row.failures},
          {"last_error", row.last_error},
          {"retry_at", optional_time(row.retry_at)}};
}

nlohmann::json version_json(const core::PolicyVersion& version) {
  return {{"id", version.id},
          {"mode", core::mode_name(version.policy.mode)},
          {"mx", version.policy.mx},
          {"max_age", version.policy.max_age},
          {"created_at", core::format_utc(version.created_at)}};
}

nlohmann::json findings_json(const std::vector<core::CheckFinding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const core::CheckFinding& finding : findings) {
    out.push_back({{"code", finding.code},
                   {"severity", core::check_severity_name(finding.severity)},
                   {"area", core::check_area_title(finding.area)},
                   {"subject", finding.subject},
                   {"message", finding.message},
                   {"rfc", finding.rfc},
                   {"fix", finding.fix}});
  }
  return out;
}

nlohmann::json monitor_json(const store::MonitorRow& row) {
  nlohmann::json findings = nlohmann::json::parse(row.findings, nullptr, false);
  if (findings.is_discarded()) {
    findings = nlohmann::json::array();
  }
  return {{"domain", row.domain},
          {"checked_at", core::format_utc(row.checked_at)},
          {"passing", row.passing},
          {"findings", std::move(findings)}};
}

}  // namespace mtasts::hosting

#pragma once

// The JSON shapes of `mtasts host` besides the domain itself (core::domain_json): audit
// entries, certificates, policy versions, monitor results and findings, as the admin API
// answers them and the audit log stores them.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mtasts/core/check/check_findings.hpp"
#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/net/runtime/log.hpp"
#include "mtasts/store/hosting_store.hpp"

namespace mtasts::hosting {

// Compact JSON text; bytes that are not UTF-8 become U+FFFD (dump() would throw).
[[nodiscard]] std::string json_text(const nlohmann::json& value);

// An audit entry at `now` whose detail is `detail` (an object).
[[nodiscard]] store::AuditEntry make_audit(core::HostTime now, std::string actor,
                                           std::string domain, std::string action,
                                           const nlohmann::json& detail);

// Logs an audit entry that could not be stored, so no failed audit write goes unnoticed:
//   level=warn event=audit-write-failed action=A domain=D actor=X reason=<store::errc_name>
//   error="<the store's message>"
void log_audit_failure(net::Logger& log, const store::AuditEntry& entry, const store::Error& error);

// {"seq", "at", "actor", "domain", "action", "detail" (the object stored)}.
[[nodiscard]] nlohmann::json audit_json(const store::AuditEntry& entry);

// {"name", "issued", "not_before", "not_after", "issued_at", "failures", "last_error",
// "retry_at"}; no PEM (the key never leaves the store).
[[nodiscard]] nlohmann::json certificate_json(const store::CertificateRow& row);

// {"id", "mode", "mx", "max_age", "created_at"}.
[[nodiscard]] nlohmann::json version_json(const core::PolicyVersion& version);

// [{"code", "severity", "area", "subject", "message", "rfc", "fix"}].
[[nodiscard]] nlohmann::json findings_json(const std::vector<core::CheckFinding>& findings);

// {"domain", "checked_at", "passing", "findings" (as stored)}.
[[nodiscard]] nlohmann::json monitor_json(const store::MonitorRow& row);

}  // namespace mtasts::hosting

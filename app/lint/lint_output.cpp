#include "lint/lint_output.hpp"

namespace mtasts::app {
namespace {

nlohmann::json finding_list(const std::vector<core::Finding>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : list) {
    nlohmann::json item = {{"code", f.code}, {"message", f.message}};
    if (f.line) {
      item["line"] = *f.line;
    }
    out.push_back(std::move(item));
  }
  return out;
}

void append_findings(std::string& out, const char* label, const std::vector<core::Finding>& list) {
  for (const auto& f : list) {
    out += "  ";
    out += label;
    if (f.line) {
      out += " line " + std::to_string(*f.line);
    }
    out += " [" + f.code + "]: " + f.message + "\n";
  }
}

nlohmann::json extensions_json(const std::vector<std::pair<std::string, std::string>>& ext) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : ext) {
    if (!out.contains(name)) {
      out[name] = value;
    }
  }
  return out;
}

}  // namespace

nlohmann::json findings_json(const core::Findings& findings) {
  return {{"errors", finding_list(findings.errors)}, {"warnings", finding_list(findings.warnings)}};
}

nlohmann::json policy_json(const core::Policy& policy) {
  nlohmann::json mx = nlohmann::json::array();
  for (const auto& p : policy.mx) {
    mx.push_back(p.text());
  }
  return {{"version", "STSv1"},
          {"mode", std::string(core::mode_name(policy.mode))},
          {"mx", std::move(mx)},
          {"max_age", policy.max_age}};
}

nlohmann::json sts_record_json(const core::StsRecord& record) {
  return {{"v", "STSv1"}, {"id", record.id}, {"extensions", extensions_json(record.extensions)}};
}

nlohmann::json tlsrpt_record_json(const core::TlsrptRecord& record) {
  return {
      {"v", "TLSRPTv1"}, {"rua", record.rua}, {"extensions", extensions_json(record.extensions)}};
}

nlohmann::json lint_json(const core::Findings& findings, const char* object_key,
                         nlohmann::json parsed) {
  nlohmann::json out = {{"valid", findings.ok()}};
  out["errors"] = finding_list(findings.errors);
  out["warnings"] = finding_list(findings.warnings);
  out[object_key] = findings.ok() ? std::move(parsed) : nlohmann::json(nullptr);
  return out;
}

std::string lint_text(const std::string& subject, const core::Findings& findings,
                      const std::string& summary) {
  std::string out = subject + ": ";
  out += findings.ok() ? "valid" + (summary.empty() ? "" : " (" + summary + ")") : "INVALID";
  out += "\n";
  append_findings(out, "error", findings.errors);
  append_findings(out, "warning", findings.warnings);
  return out;
}

}  // namespace mtasts::app

#include "check/check_output.hpp"

#include <array>

namespace mtasts::app {
namespace {

using core::CheckArea;
using core::CheckSeverity;

constexpr std::array kAreas = {CheckArea::sts_record,  CheckArea::policy_host, CheckArea::policy,
                               CheckArea::mx_coverage, CheckArea::mx_host,     CheckArea::tlsrpt};

std::string paint(Colour colour, std::string_view code, std::string_view text) {
  if (colour == Colour::off) {
    return std::string(text);
  }
  return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

std::string severity_label(Colour colour, CheckSeverity severity) {
  switch (severity) {
    case CheckSeverity::error:
      return paint(colour, "1;31", "ERROR  ");
    case CheckSeverity::warning:
      return paint(colour, "33", "WARNING");
    case CheckSeverity::info:
      return paint(colour, "36", "info   ");
  }
  return "";
}

std::size_t count(const net::DomainCheck& check, CheckSeverity severity) {
  std::size_t n = 0;
  for (const core::CheckFinding& finding : check.findings) {
    n += finding.severity == severity ? 1 : 0;
  }
  return n;
}

}  // namespace

nlohmann::json check_json(const std::vector<net::DomainCheck>& checks) {
  nlohmann::json domains = nlohmann::json::array();
  for (const net::DomainCheck& check : checks) {
    nlohmann::json findings = nlohmann::json::array();
    for (const core::CheckFinding& f : check.findings) {
      findings.push_back({{"code", f.code},
                          {"severity", core::check_severity_name(f.severity)},
                          {"subject", f.subject},
                          {"message", f.message},
                          {"rfc", f.rfc},
                          {"fix", f.fix}});
    }
    domains.push_back({{"domain", check.domain}, {"findings", std::move(findings)}});
  }
  return {{"domains", std::move(domains)}};
}

std::string check_text(const std::vector<net::DomainCheck>& checks, Colour colour) {
  std::string out;
  for (const net::DomainCheck& check : checks) {
    out += paint(colour, "1", check.domain) + "\n";
    for (const CheckArea area : kAreas) {
      bool titled = false;
      for (const core::CheckFinding& f : check.findings) {
        if (f.area != area) {
          continue;
        }
        if (!titled) {
          out += "  " + std::string(core::check_area_title(area)) + "\n";
          titled = true;
        }
        out += "    " + severity_label(colour, f.severity) + " " + f.code + "  " + f.subject +
               "\n      " + f.message + "\n";
        if (f.severity != CheckSeverity::info) {
          out += "      fix: " + f.fix + " (" + f.rfc + ")\n";
        }
      }
    }
    const std::size_t errors = count(check, CheckSeverity::error);
    const std::size_t warnings = count(check, CheckSeverity::warning);
    const std::string summary =
        std::to_string(errors) + " error(s), " + std::to_string(warnings) + " warning(s)";
    if (errors > 0) {
      out += paint(colour, "1;31", check.domain + ": FAIL, " + summary) + "\n\n";
    } else if (warnings > 0) {
      out += paint(colour, "33", check.domain + ": PASS with warnings, " + summary) + "\n\n";
    } else {
      out += paint(colour, "32", check.domain + ": PASS, " + summary) + "\n\n";
    }
  }
  return out;
}

}  // namespace mtasts::app

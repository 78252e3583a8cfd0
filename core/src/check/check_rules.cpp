#include "mtasts/core/check/check_rules.hpp"

#include <string>

namespace mtasts::core {
namespace {

std::string located(const Finding& finding) {
  std::string text = finding.code + ": " + finding.message;
  if (finding.line) {
    text += " (line " + std::to_string(*finding.line) + ")";
  }
  return text;
}

void add(CheckFindings& out, CheckCode code, std::string_view subject, std::string message) {
  out.push_back(make_check_finding(code, std::string(subject), std::move(message)));
}

}  // namespace

CheckFindings check_sts_selection(const StsRecordSelection& selection,
                                  std::string_view record_name) {
  CheckFindings out;
  switch (selection.choice) {
    case RecordChoice::none:
      for (const std::string& why : selection.ignored) {
        add(out, CheckCode::sts_record_ignored, record_name, why);
      }
      if (selection.ignored.empty()) {
        add(out, CheckCode::sts_record_missing, record_name,
            "no TXT record beginning with v=STSv1: senders see no MTA-STS policy");
      }
      break;
    case RecordChoice::multiple:
      add(out, CheckCode::sts_record_multiple, record_name,
          std::to_string(selection.candidates) +
              " v=STSv1 TXT records: RFC 8461 requires exactly one, senders use none");
      break;
    case RecordChoice::invalid:
      for (const Finding& error : selection.report.findings.errors) {
        add(out, CheckCode::sts_record_invalid, record_name,
            located(error) + " in \"" + selection.text + "\"");
      }
      break;
    case RecordChoice::ok:
      for (const Finding& warning : selection.report.findings.warnings) {
        add(out, CheckCode::sts_record_warning, record_name, located(warning));
      }
      break;
  }
  return out;
}

CheckFindings check_policy_body(const PolicyReport& report, std::string_view body,
                                std::string_view subject) {
  CheckFindings out;
  for (const Finding& error : report.findings.errors) {
    // lint_policy reports an oversize body (RFC 8461 §3.3: senders read at most 64 KiB) as its
    // only error; it is the size, not the syntax, that needs fixing.
    add(out,
        error.code == "policy-too-large" ? CheckCode::policy_too_large : CheckCode::policy_invalid,
        subject, located(error));
  }
  for (const Finding& warning : report.findings.warnings) {
    if (warning.code == "policy-bom") {
      add(out, CheckCode::policy_bom, subject, located(warning));
    } else if (warning.code == "policy-mx-ip-address") {
      add(out, CheckCode::policy_pattern_ip_address, subject, located(warning));
    } else if (warning.code == "policy-max-age-short") {
      add(out, CheckCode::policy_max_age_short, subject, located(warning));
    } else if (warning.code != "policy-mode-testing") {  // reported below, from the mode
      add(out, CheckCode::policy_syntax_warning, subject, located(warning));
    }
  }
  std::size_t lf = 0;
  std::size_t crlf = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n') {
      ++(i > 0 && body[i - 1] == '\r' ? crlf : lf);
    }
  }
  if (lf > 0) {
    add(out, CheckCode::policy_line_endings, subject,
        crlf > 0 ? "mixed CRLF and LF line endings" : "LF line endings (RFC 8461 shows CRLF)");
  }
  if (report.policy) {
    if (report.policy->mode == PolicyMode::testing) {
      add(out, CheckCode::policy_mode_testing, subject,
          "mode: testing: failures are reported, but mail is delivered without TLS protection");
    } else if (report.policy->mode == PolicyMode::none) {
      add(out, CheckCode::policy_mode_none, subject,
          "mode: none: senders apply no MTA-STS policy to this domain");
    }
  }
  return out;
}

CheckFindings check_mx_coverage(const MxCoverage& coverage, std::string_view domain) {
  CheckFindings out;
  for (const std::string& host : coverage.uncovered) {
    add(out, CheckCode::mx_not_covered, host,
        "MX host " + host +
            " matches no mx: pattern: senders under enforce will not deliver to it");
  }
  for (const MxPattern& pattern : coverage.stale) {
    add(out, CheckCode::policy_pattern_stale, pattern.text(),
        "mx: " + pattern.text() + " matches no MX host of " + std::string(domain));
  }
  for (const MxPattern& pattern : coverage.wide) {
    add(out, CheckCode::policy_pattern_wide, pattern.text(),
        "the wildcard mx: " + pattern.text() + " matches a single MX host");
  }
  if (coverage.domain_wildcard) {
    add(out, CheckCode::policy_pattern_domain_wildcard, "*." + std::string(domain),
        "mx: *." + std::string(domain) + " lets any host in the domain receive mail");
  }
  return out;
}

CheckFindings check_tlsrpt_selection(const TlsrptRecordSelection& selection,
                                     std::string_view record_name) {
  CheckFindings out;
  switch (selection.choice) {
    case RecordChoice::none:
      add(out, CheckCode::tlsrpt_record_missing, record_name,
          "no v=TLSRPTv1 record: nobody will tell you when senders fail to deliver over TLS");
      break;
    case RecordChoice::multiple:
      add(out, CheckCode::tlsrpt_record_multiple, record_name,
          std::to_string(selection.candidates) + " v=TLSRPTv1 records: reporters use none");
      break;
    case RecordChoice::invalid:
      for (const Finding& error : selection.report.findings.errors) {
        add(out, CheckCode::tlsrpt_record_invalid, record_name,
            located(error) + " in \"" + selection.text + "\"");
      }
      break;
    case RecordChoice::ok:
      for (const Finding& warning : selection.report.findings.warnings) {
        add(out, CheckCode::tlsrpt_record_warning, record_name, located(warning));
      }
      break;
  }
  return out;
}

std::optional<CheckFinding> check_cert_expiry(CheckCode expiring, std::string_view subject,
                                              std::optional<std::int64_t> days_left) {
  if (!days_left || *days_left < 0 || *days_left >= kCertExpiringDays) {
    return std::nullopt;
  }
  return make_check_finding(expiring, std::string(subject),
                            "the certificate expires in " + std::to_string(*days_left) +
                                " day(s), within " + std::to_string(kCertExpiringDays));
}

}  // namespace mtasts::core

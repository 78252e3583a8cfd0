#include "resolve/resolve_output.hpp"

#include <algorithm>
#include <cctype>

#include "lint/lint_output.hpp"
#include "mtasts/core/base/text.hpp"

namespace mtasts::app {
namespace {

using net::DiscoveryReport;

// Response header fields that matter to a policy fetch (RFC 8461 §3.2, §3.3).
constexpr const char* kShownHeaders[] = {"content-type",     "content-length", "transfer-encoding",
                                         "content-encoding", "location",       "cache-control",
                                         "expires",          "last-modified",  "etag"};

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out += core::hex_byte(byte);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string joined(const core::TxtStrings& strings) {
  std::string out;
  for (const auto& s : strings) {
    out += s;
  }
  return out;
}

void append_findings(std::string& out, const core::Findings& findings) {
  for (const auto* list : {&findings.errors, &findings.warnings}) {
    const char* label = list == &findings.errors ? "error" : "warning";
    for (const core::Finding& f : *list) {
      out += "    ";
      out += label;
      if (f.line) {
        out += " line " + std::to_string(*f.line);
      }
      out += " [" + f.code + "]: " + f.message + "\n";
    }
  }
}

void append_dns(std::string& out, const DiscoveryReport& report) {
  out += "DNS: TXT " + report.record_name + "\n";
  const net::DnsMeta& meta = report.txt->meta;
  for (const std::string& target : meta.cname_chain) {
    out += "  CNAME -> " + target + "\n";
  }
  out += "  answer: " + std::string(net::dns_status_name(meta.status));
  if (meta.ttl) {
    out += meta.status == net::DnsStatus::ok ? ", TTL " : ", negative TTL ";
    out += std::to_string(*meta.ttl) + " s";
  }
  out += ", " + std::to_string(report.txt->records.size()) + " record(s)\n";
  if (!meta.message.empty() && meta.status != net::DnsStatus::ok) {
    out += "  " + meta.message + "\n";
  }
  const bool chosen_exists =
      report.selection && (report.selection->choice == core::RecordChoice::ok ||
                           report.selection->choice == core::RecordChoice::invalid);
  for (std::size_t i = 0; i < report.txt->records.size(); ++i) {
    const core::TxtStrings& rr = report.txt->records[i];
    const std::string text = joined(rr);
    out += "  [" + std::to_string(i + 1) + "] " + quoted(text);
    if (rr.size() > 1) {
      out += " (" + std::to_string(rr.size()) + " strings, joined without spaces)";
    }
    if (chosen_exists && text == report.selection->text) {
      out += "  <- the STS record";
    }
    out += "\n";
  }
  if (report.selection) {
    const core::StsRecordSelection& sel = *report.selection;
    out += "  STS records (beginning with v=STSv1): " + std::to_string(sel.candidates) + "\n";
    if (sel.choice == core::RecordChoice::ok && sel.report.record) {
      out += "  id: " + sel.report.record->id + "\n";
    }
    append_findings(out, sel.report.findings);
  }
}

void append_https(std::string& out, const net::FetchResult& fetch) {
  const net::HttpExchange& x = fetch.exchange;
  out += "HTTPS: GET " + x.url + "\n";
  if (!x.proxy.empty()) {
    out += "  via proxy " + x.proxy + "\n";
  }
  if (!x.peer.empty()) {
    out += "  connected to " + x.peer + "\n";
  }
  if (!x.tls_version.empty()) {
    out += "  TLS: " + x.tls_version + ", " + x.tls_cipher + "\n";
  }
  if (x.certificate) {
    const net::CertificateInfo& cert = *x.certificate;
    out += "  certificate: " + (cert.subject.empty() ? "(empty subject)" : cert.subject) + "\n";
    out += "    issuer: " + cert.issuer + "\n";
    std::string names;
    for (const std::string& name : cert.dns_names) {
      names += (names.empty() ? "" : ", ") + name;
    }
    out += "    DNS names: " + (names.empty() ? "(none: a CN is never used)" : names) + "\n";
    out += "    valid from " + cert.not_before + " until " + cert.not_after + "\n";
  }
  if (x.status) {
    out += "  response: HTTP " + std::to_string(*x.status) + " " + x.reason + "\n";
    for (const auto& [name, value] : x.headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (std::find(std::begin(kShownHeaders), std::end(kShownHeaders), lower) !=
          std::end(kShownHeaders)) {
        out.append("    ").append(name).append(": ").append(value).append("\n");
      }
    }
  }
  if (x.status || x.bytes_received > 0) {
    out += "  received: " + std::to_string(x.bytes_received) + " bytes";
    if (fetch.detail == net::FetchDetail::ok) {
      out += ", body " + std::to_string(fetch.body.size()) + " bytes";
    }
    out += "\n";
  }
}

void append_policy(std::string& out, const core::PolicyReport& report) {
  out += "Policy: " + std::string(report.policy ? "valid" : "INVALID") + "\n";
  if (const auto& policy = report.policy) {
    out += "  mode: " + std::string(core::mode_name(policy->mode)) + "\n";
    for (const core::MxPatternView mx : policy->mx) {
      out += "  mx: " + mx.text() + "\n";
    }
    out += "  max_age: " + std::to_string(policy->max_age) + "\n";
  }
  append_findings(out, report.findings);
}

std::string consequence(const DiscoveryReport& report) {
  const std::string domain = report.domain.empty() ? report.input : report.domain;
  switch (report.result()) {
    case net::ResultType::ok: {
      const core::Policy& policy = *report.policy();
      return "A sending MTA applies this policy (mode " +
             std::string(core::mode_name(policy.mode)) + ") to mail for " + domain +
             " and caches it for up to " + std::to_string(policy.max_age) + " s.";
    }
    case net::ResultType::no_policy:
      return "A sending MTA delivers to " + domain +
             " as though it had no MTA-STS policy; a policy it has cached stays in force until it "
             "expires (RFC 8461 §3.1).";
    case net::ResultType::sts_policy_fetch_error:
    case net::ResultType::sts_policy_invalid:
    case net::ResultType::sts_webpki_invalid:
      return "A sending MTA keeps applying a cached unexpired policy for " + domain +
             ", or else delivers as though it had none (RFC 8461 §3.3), and reports \"" +
             std::string(net::result_type_name(report.result())) + "\" (RFC 8460).";
  }
  return {};
}

}  // namespace

nlohmann::json resolve_json(const DiscoveryReport& report) {
  nlohmann::json out;
  out["domain"] = report.domain.empty() ? report.input : report.domain;
  out["result"] = std::string(net::result_type_name(report.result()));
  out["detail"] = std::string(net::detail_name(report.detail));
  const core::StsRecord* record = report.record();
  out["record"] = record ? sts_record_json(*record) : nlohmann::json(nullptr);
  out["policy"] = nullptr;
  if (const core::Policy* policy = report.policy()) {
    nlohmann::json mx = nlohmann::json::array();
    for (const core::MxPatternView pattern : policy->mx) {
      mx.push_back(pattern.text());
    }
    out["policy"] = {{"mode", std::string(core::mode_name(policy->mode))},
                     {"mx", std::move(mx)},
                     {"max_age", policy->max_age},
                     {"id", record ? nlohmann::json(record->id) : nlohmann::json(nullptr)}};
  }
  return out;
}

std::string resolve_text(const DiscoveryReport& report) {
  std::string out =
      "Policy Domain: " + (report.domain.empty() ? report.input : report.domain) + "\n";
  if (report.txt) {
    append_dns(out, report);
  }
  if (report.fetch) {
    append_https(out, *report.fetch);
  }
  if (report.policy_report) {
    append_policy(out, *report.policy_report);
  }
  out += "Result: " + std::string(net::result_type_name(report.result()));
  if (report.detail != net::FetchDetail::ok) {
    out += " (" + std::string(net::detail_name(report.detail)) + ")";
  }
  out += "\n";
  if (!report.message.empty()) {
    out += "  " + report.message + "\n";
  }
  out += "  " + consequence(report) + "\n";
  return out;
}

}  // namespace mtasts::app

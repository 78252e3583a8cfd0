#include "host/host_output.hpp"

#include <sstream>

namespace mtasts::app {
namespace {

std::string text_of(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) {
    return "";
  }
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return "";
  }
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string quoted_txt(const std::string& value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

std::string joined(const nlohmann::json& list) {
  std::string out;
  if (!list.is_array()) {
    return out;
  }
  for (const nlohmann::json& item : list) {
    out += out.empty() ? "" : ", ";
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

void records_text(std::ostringstream& out, const nlohmann::json& records) {
  if (!records.is_array() || records.empty()) {
    return;
  }
  std::ostringstream customer;
  std::ostringstream service;
  for (const nlohmann::json& record : records) {
    const bool managed = record.value("managed_by_service", false);
    (managed ? service : customer) << "  " << zone_line(record) << "\n";
  }
  if (!customer.str().empty()) {
    out << "\nPublish these DNS records (zone file lines):\n" << customer.str();
  }
  if (!service.str().empty()) {
    out << "Kept current by the service (dynamic update of its zone):\n" << service.str();
  }
}

void certificate_text(std::ostringstream& out, const nlohmann::json& certificate) {
  if (!certificate.is_object()) {
    out << "  certificate: none yet\n";
    return;
  }
  if (certificate.value("issued", false)) {
    out << "  certificate: valid until " << text_of(certificate, "not_after") << "\n";
  } else {
    out << "  certificate: none yet\n";
  }
  if (certificate.value("failures", 0) > 0) {
    out << "  last order failed (" << certificate.value("failures", 0)
        << " in a row): " << text_of(certificate, "last_error") << "; next try "
        << text_of(certificate, "retry_at") << "\n";
  }
}

void monitor_text(std::ostringstream& out, const nlohmann::json& monitor) {
  if (!monitor.is_object()) {
    return;
  }
  out << "  monitor: " << (monitor.value("passing", false) ? "passing" : "FAILING") << " (checked "
      << text_of(monitor, "checked_at") << ")\n";
  const nlohmann::json& findings =
      monitor.contains("findings") ? monitor["findings"] : nlohmann::json::array();
  for (const nlohmann::json& finding : findings) {
    const std::string severity = text_of(finding, "severity");
    if (severity == "info") {
      continue;
    }
    out << "    " << severity << " " << text_of(finding, "code") << " "
        << text_of(finding, "subject") << ": " << text_of(finding, "message") << "\n";
  }
}

}  // namespace

std::string zone_line(const nlohmann::json& record) {
  const std::string type = text_of(record, "type");
  std::string value = text_of(record, "value");
  if (type == "CNAME") {
    value += ".";
  } else if (type == "TXT") {
    value = quoted_txt(value);
  }
  return text_of(record, "owner") + ". " + text_of(record, "ttl") + " IN " + type + " " + value;
}

std::string domain_text(const nlohmann::json& domain, std::string_view headline) {
  std::ostringstream out;
  out << text_of(domain, "domain");
  if (!headline.empty()) {
    out << ": " << headline;
  }
  out << "\n  state: " << text_of(domain, "state");
  if (!text_of(domain, "serve_until").empty()) {
    out << " (mode none served until " << text_of(domain, "serve_until") << ", then dropped)";
  }
  out << "\n  policy: id " << text_of(domain, "id") << ", mode " << text_of(domain, "mode")
      << ", max_age " << text_of(domain, "max_age") << "\n";
  out << "  mx: "
      << (joined(domain.value("mx", nlohmann::json::array())).empty() ? std::string("(none)")
                                                                      : joined(domain["mx"]))
      << "\n";
  out << "  records: " << text_of(domain, "records_mode") << "\n";
  if (domain.contains("mx_from_live_mx")) {
    out << "  (mx proposed from the live MX records: " << joined(domain["mx_from_live_mx"])
        << ")\n";
  }
  if (domain.contains("certificate")) {
    certificate_text(out, domain["certificate"]);
  }
  if (domain.contains("monitor")) {
    monitor_text(out, domain["monitor"]);
  }
  if (domain.contains("records")) {
    records_text(out, domain["records"]);
  }
  if (domain.contains("history") && domain["history"].is_array() && domain["history"].size() > 1) {
    out << "\nHistory (newest first):\n";
    for (const nlohmann::json& version : domain["history"]) {
      out << "  " << text_of(version, "id") << "  " << text_of(version, "mode") << "  max_age "
          << text_of(version, "max_age") << "  "
          << joined(version.value("mx", nlohmann::json::array())) << "\n";
    }
  }
  return out.str();
}

std::string domain_list_text(const nlohmann::json& list) {
  std::ostringstream out;
  const nlohmann::json domains = list.value("domains", nlohmann::json::array());
  if (domains.empty()) {
    return "no hosted domains\n";
  }
  for (const nlohmann::json& domain : domains) {
    std::string certificate = text_of(domain, "certificate_not_after");
    std::string monitor = "-";
    if (domain.contains("monitor") && domain["monitor"].is_object()) {
      monitor = domain["monitor"].value("passing", false) ? "passing" : "FAILING";
    }
    out << text_of(domain, "domain") << "  " << text_of(domain, "state") << "  "
        << text_of(domain, "mode") << "  id " << text_of(domain, "id") << "  "
        << text_of(domain, "records_mode") << "  cert "
        << (certificate.empty() ? std::string("none") : "until " + certificate) << "  monitor "
        << monitor << "\n";
  }
  return out.str();
}

std::string status_text(const nlohmann::json& status) {
  std::ostringstream out;
  const nlohmann::json domains = status.value("domains", nlohmann::json::object());
  const nlohmann::json certificates = status.value("certificates", nlohmann::json::object());
  out << "instance " << text_of(status, "instance") << " (mtasts " << text_of(status, "version")
      << "), store " << text_of(status, "store") << " at generation "
      << text_of(status, "generation") << "\n";
  out << "domains: " << text_of(domains, "active") << " active, " << text_of(domains, "removing")
      << " being removed\n";
  out << "certificates: " << text_of(certificates, "valid") << " valid, "
      << text_of(certificates, "due") << " due for renewal, " << text_of(certificates, "missing")
      << " not issued yet\n";
  return out.str();
}

std::string api_error_text(unsigned status, const std::string& body) {
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  std::string out = "HTTP " + std::to_string(status);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const std::string field = text_of(parsed["error"], "field");
    out += ": ";
    if (!field.empty()) {
      out += field + ": ";
    }
    out += text_of(parsed["error"], "message");
  }
  return out;
}

}  // namespace mtasts::app

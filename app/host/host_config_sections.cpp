#include "host/host_config_sections.hpp"

#include <array>
#include <utility>

#include "host/host_config_reader.hpp"
#include "mtasts/core/base/host_port.hpp"

namespace mtasts::app {
namespace {

constexpr std::array<std::string_view, 4> kStoreKeys = {"type", "filename", "dsn", "timeout"};
constexpr std::array<std::string_view, 5> kAcmeKeys = {"directory", "contact", "challenge",
                                                       "ca_file", "order_timeout"};
constexpr std::array<std::string_view, 5> kDnsUpdateKeys = {"server", "zone", "key", "ttl",
                                                            "timeout"};
constexpr std::array<std::string_view, 4> kKeyKeys = {"name", "algorithm", "secret", "secret_file"};
constexpr std::array<std::string_view, 2> kMonitorKeys = {"interval", "alert"};
constexpr std::array<std::string_view, 3> kReportKeys = {"https", "retention_days", "mail"};
constexpr std::array<std::string_view, 6> kReportMailKeys = {
    "domain", "smtp", "lmtp", "lmtp_socket", "hostname", "max_connections"};
constexpr std::int64_t kMaxRetentionDays = 3650;
constexpr std::array<std::string_view, 3> kAlertKeys = {"webhook", "command", "timeout"};
constexpr std::int64_t kMaxTtl = 604'800;

tl::unexpected<core::Error> failed(const SectionReader& section) {
  return tl::unexpected(section.error());
}

}  // namespace

core::Result<store::HostingStoreConfig> parse_store_section(ConfigReader& reader,
                                                            const YAML::Node& node,
                                                            const std::string& state_dir) {
  SectionReader section(reader, node, "store", kStoreKeys);
  store::HostingStoreConfig config;
  config.filename = state_dir + "/host.db";
  if (auto type = section.string("type", Empty::rejected)) {
    if (*type == "sqlite") {
      config.type = store::HostingStoreType::sqlite;
    } else if (*type == "postgres" || *type == "postgresql") {
      config.type = store::HostingStoreType::postgres;
    } else {
      section.fail("type", expected("sqlite or postgres", section.node("type")));
    }
  }
  if (auto filename = section.string("filename", Empty::rejected)) {
    if (filename->front() != '/') {
      section.fail("filename", "expected an absolute path, got \"" + *filename + "\"");
    }
    config.filename = std::move(*filename);
  }
  if (auto dsn = section.string("dsn", Empty::rejected)) {
    config.dsn = std::move(*dsn);
  }
  if (auto timeout = section.seconds("timeout", Zero::rejected)) {
    config.timeout = *timeout;
    config.connect_timeout = *timeout;
  }
  if (section.ok() && config.type == store::HostingStoreType::postgres && config.dsn.empty()) {
    section.fail(core::Error{core::Errc::invalid_value,
                             "store.dsn: required for type postgres (a libpq URI such as "
                             "postgresql://mtasts@db.example/mtasts)"});
  }
  if (section.ok() && config.type == store::HostingStoreType::sqlite && section.has("dsn")) {
    reader.warn("store.dsn: ignored for type sqlite");
  }
  if (!section.ok()) {
    return failed(section);
  }
  return config;
}

core::Result<AcmeSettings> parse_acme_section(ConfigReader& reader, const YAML::Node& node) {
  SectionReader section(reader, node, "acme", kAcmeKeys);
  AcmeSettings acme;
  if (auto directory = section.string("directory", Empty::rejected)) {
    if (!directory->starts_with("https://")) {
      section.fail("directory", "expected an https:// URL, got \"" + *directory + "\"");
    }
    acme.directory = std::move(*directory);
  }
  if (auto contact = section.strings("contact")) {
    for (std::string& entry : *contact) {
      if (!entry.starts_with("mailto:")) {
        entry.insert(0, "mailto:");
      }
      if (entry.find('@') == std::string::npos) {
        section.fail("contact", "expected e-mail addresses, got \"" + entry + "\"");
      }
    }
    acme.contact = std::move(*contact);
  }
  if (auto challenge = section.string("challenge", Empty::rejected)) {
    if (*challenge == "http-01") {
      acme.challenge = AcmeChallengeKind::http01;
    } else if (*challenge == "tls-alpn-01") {
      acme.challenge = AcmeChallengeKind::tls_alpn01;
    } else {
      section.fail("challenge", expected("http-01 or tls-alpn-01", section.node("challenge")));
    }
  }
  if (auto ca_file = section.string("ca_file", Empty::rejected)) {
    acme.ca_file = std::move(*ca_file);
  }
  if (auto timeout = section.integer("order_timeout", 10, 3600)) {
    acme.order_timeout = std::chrono::seconds(*timeout);
  }
  if (!section.ok()) {
    return failed(section);
  }
  return acme;
}

namespace {

std::optional<TsigKeySettings> parse_key(ConfigReader& reader, const YAML::Node& node,
                                         SectionReader& parent) {
  SectionReader section(reader, node, "dns_update.key", kKeyKeys);
  TsigKeySettings key;
  if (auto name = section.string("name", Empty::rejected)) {
    key.name = std::move(*name);
  }
  if (auto algorithm = section.string("algorithm", Empty::rejected)) {
    if (*algorithm != "hmac-sha256" && *algorithm != "hmac-sha512" && *algorithm != "hmac-sha1") {
      section.fail("algorithm",
                   expected("hmac-sha256, hmac-sha512 or hmac-sha1", section.node("algorithm")));
    }
    key.algorithm = std::move(*algorithm);
  }
  if (auto secret = section.string("secret", Empty::rejected)) {
    key.secret = std::move(*secret);
  }
  if (auto file = section.string("secret_file", Empty::rejected)) {
    key.secret_file = std::move(*file);
  }
  if (section.ok() && key.secret.empty() && key.secret_file.empty()) {
    section.fail(core::Error{core::Errc::invalid_value,
                             "dns_update.key: give secret (base64) or secret_file"});
  }
  if (section.ok() && !key.secret.empty() && !key.secret_file.empty()) {
    section.fail("secret_file", "give secret or secret_file, not both");
  }
  if (section.ok() && key.name.empty() && key.secret_file.empty()) {
    section.fail(core::Error{core::Errc::invalid_value, "dns_update.key.name: required"});
  }
  if (!section.ok()) {
    parent.fail(section.error());
    return std::nullopt;
  }
  return key;
}

}  // namespace

core::Result<std::optional<DnsUpdateSettings>> parse_dns_update_section(
    ConfigReader& reader, const YAML::Node& node, const core::ServiceIdentity& service) {
  if (!node.IsDefined() || node.IsNull()) {
    return std::nullopt;
  }
  SectionReader section(reader, node, "dns_update", kDnsUpdateKeys);
  DnsUpdateSettings settings;
  settings.zone = service.delegation_zone;
  settings.ttl = service.record_ttl;
  if (auto server = section.string("server", Empty::rejected)) {
    if (auto parsed = core::parse_host_port(*server, core::kDnsServerAddress)) {
      settings.server = std::move(parsed->host);
      settings.port = parsed->port;
    } else {
      section.fail("server",
                   "expected HOST[:PORT], got \"" + *server + "\": " + parsed.error().message);
    }
  } else if (section.ok()) {
    section.fail(core::Error{core::Errc::invalid_value, "dns_update.server: required"});
  }
  if (auto zone = section.domain("zone")) {
    settings.zone = std::move(*zone);
  }
  if (section.ok() && settings.zone.empty()) {
    section.fail(core::Error{core::Errc::invalid_value,
                             "dns_update.zone: required when service.delegation_zone is not set"});
  }
  if (section.has("key")) {
    settings.key = parse_key(reader, section.node("key"), section);
  }
  if (auto ttl = section.integer("ttl", 1, kMaxTtl)) {
    settings.ttl = static_cast<std::uint32_t>(*ttl);
  }
  if (auto timeout = section.seconds("timeout", Zero::rejected)) {
    settings.timeout = *timeout;
  }
  if (!section.ok()) {
    return failed(section);
  }
  if (!settings.key) {
    reader.warn("dns_update.key: not given, so updates are sent unsigned");
  }
  return std::optional<DnsUpdateSettings>(std::move(settings));
}

core::Result<MonitorSettings> parse_monitor_section(ConfigReader& reader, const YAML::Node& node) {
  SectionReader section(reader, node, "monitor", kMonitorKeys);
  MonitorSettings monitor;
  if (auto interval = section.seconds("interval", Zero::allowed)) {
    monitor.interval = *interval;
  }
  if (section.ok() && section.has("alert")) {
    SectionReader alert(reader, section.node("alert"), "monitor.alert", kAlertKeys);
    if (auto webhook = alert.string("webhook", Empty::rejected)) {
      if (!webhook->starts_with("https://") && !webhook->starts_with("http://")) {
        alert.fail("webhook", "expected an http:// or https:// URL, got \"" + *webhook + "\"");
      }
      monitor.alert.webhook = std::move(*webhook);
    }
    if (auto command = alert.strings("command")) {
      if (command->front().front() != '/') {
        alert.fail("command",
                   "expected the absolute path of a program first (it is run directly, never "
                   "by a shell), got \"" +
                       command->front() + "\"");
      }
      monitor.alert.command = std::move(*command);
    }
    if (auto timeout = alert.seconds("timeout", Zero::rejected)) {
      monitor.alert.timeout = *timeout;
    }
    if (!alert.ok()) {
      return failed(alert);
    }
  }
  if (!section.ok()) {
    return failed(section);
  }
  return monitor;
}

namespace {

core::Result<ReportMailSettings> parse_report_mail_section(ConfigReader& reader,
                                                           const YAML::Node& node) {
  SectionReader section(reader, node, "reports.mail", kReportMailKeys);
  ReportMailSettings mail;
  if (auto domain = section.domain("domain")) {
    mail.domain = std::move(*domain);
  }
  if (auto smtp = section.endpoints("smtp")) {
    mail.smtp = std::move(*smtp);
  }
  if (auto lmtp = section.endpoints("lmtp")) {
    mail.lmtp = std::move(*lmtp);
  }
  if (auto socket = section.string("lmtp_socket", Empty::rejected)) {
    if (socket->front() != '/') {
      section.fail("lmtp_socket", "expected an absolute path, got \"" + *socket + "\"");
    }
    mail.lmtp_socket = std::move(*socket);
  }
  if (auto hostname = section.domain("hostname")) {
    mail.hostname = std::move(*hostname);
  }
  if (auto cap = section.integer("max_connections", 1, 100'000)) {
    mail.max_connections = static_cast<std::size_t>(*cap);
  }
  const bool listens = !mail.smtp.empty() || !mail.lmtp.empty() || !mail.lmtp_socket.empty();
  if (section.ok() && mail.domain.empty()) {
    section.fail("domain",
                 "required: reports are mailed to <hosted domain>@<this domain>, the address "
                 "the TLS-RPT records publish");
  } else if (section.ok() && !listens) {
    section.fail("smtp",
                 "no listener: give smtp, lmtp or lmtp_socket so the mail can be delivered");
  }
  if (mail.hostname.empty()) {
    mail.hostname = mail.domain;
  }
  if (!section.ok()) {
    return failed(section);
  }
  return mail;
}

}  // namespace

core::Result<ReportSettings> parse_reports_section(ConfigReader& reader, const YAML::Node& node) {
  SectionReader section(reader, node, "reports", kReportKeys);
  ReportSettings reports;
  if (auto https = section.string("https", Empty::rejected)) {
    const bool on = *https == "on" || *https == "true" || *https == "yes";
    const bool off = *https == "off" || *https == "false" || *https == "no";
    if (!on && !off) {
      section.fail("https", "expected on or off, got \"" + *https + "\"");
    }
    reports.https = on;
  }
  if (auto days = section.integer("retention_days", 1, kMaxRetentionDays)) {
    reports.retention = std::chrono::days(*days);
  }
  if (section.ok() && section.has("mail")) {
    auto mail = parse_report_mail_section(reader, section.node("mail"));
    if (!mail) {
      return tl::unexpected(mail.error());
    }
    reports.mail = std::move(*mail);
  }
  if (!section.ok()) {
    return failed(section);
  }
  return reports;
}

}  // namespace mtasts::app

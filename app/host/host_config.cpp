#include "host/host_config.hpp"

#include <arpa/inet.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <utility>

#include "common/config_file.hpp"
#include "host/host_config_reader.hpp"
#include "host/host_config_sections.hpp"
#include "mtasts/core/base/host_port.hpp"

namespace mtasts::app {
namespace {

constexpr std::array<std::string_view, 16> kTopKeys = {
    "service",    "listen",      "admin",   "metrics",         "store",   "acme",
    "dns_update", "dns_servers", "ca_file", "sync_interval",   "monitor", "reports",
    "instance",   "state_dir",   "user",    "shutdown_timeout"};
constexpr std::array<std::string_view, 4> kServiceKeys = {"hostname", "addresses",
                                                          "delegation_zone", "record_ttl"};
constexpr std::array<std::string_view, 3> kListenKeys = {"https", "http", "threads"};
constexpr std::array<std::string_view, 3> kAdminKeys = {"listen", "console_listen", "token_file"};
constexpr std::int64_t kMaxTtl = 604'800;
constexpr std::int64_t kMaxThreads = 256;

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

core::Result<core::ServiceIdentity> parse_service(ConfigReader& reader, const YAML::Node& node) {
  SectionReader section(reader, node, "service", kServiceKeys);
  core::ServiceIdentity service;
  if (auto hostname = section.domain("hostname")) {
    service.hostname = std::move(*hostname);
  }
  if (auto addresses = section.strings("addresses")) {
    for (const std::string& address : *addresses) {
      if (!is_ip_address(address)) {
        section.fail("addresses", "expected IP addresses, got \"" + address + "\"");
      }
    }
    service.addresses = std::move(*addresses);
  }
  if (auto zone = section.domain("delegation_zone")) {
    service.delegation_zone = std::move(*zone);
  }
  if (auto ttl = section.integer("record_ttl", 1, kMaxTtl)) {
    service.record_ttl = static_cast<std::uint32_t>(*ttl);
  }
  if (section.ok() && service.hostname.empty() && service.addresses.empty()) {
    section.fail(
        core::Error{core::Errc::invalid_value,
                    "service.hostname: required (the name customers point mta-sts.<domain> "
                    "at by CNAME), or service.addresses (their A/AAAA records)"});
  }
  if (!section.ok()) {
    return tl::unexpected(section.error());
  }
  return service;
}

core::Result<void> parse_listen(ConfigReader& reader, const YAML::Node& node, HostConfig& config) {
  SectionReader section(reader, node, "listen", kListenKeys);
  if (auto https = section.endpoints("https")) {
    config.https = std::move(*https);
  }
  if (auto http = section.endpoints("http")) {
    config.http = std::move(*http);
  }
  if (auto threads = section.integer("threads", 0, kMaxThreads)) {
    config.threads = static_cast<unsigned>(*threads);
  }
  if (section.ok() && config.https.empty()) {
    section.fail("https", "at least one address is needed: the service serves policies on it");
  }
  if (!section.ok()) {
    return tl::unexpected(section.error());
  }
  if (config.http.empty()) {
    reader.warn("listen.http: empty, so only TLS-ALPN-01 can validate certificates");
  }
  return {};
}

core::Result<void> parse_admin(ConfigReader& reader, const YAML::Node& node, HostConfig& config) {
  SectionReader section(reader, node, "admin", kAdminKeys);
  if (auto listen = section.endpoint("listen")) {
    config.admin_listen = std::move(*listen);
  }
  if (auto console = section.endpoint("console_listen")) {
    config.console_listen = std::move(*console);
  }
  if (auto file = section.string("token_file", Empty::rejected)) {
    config.token_file = std::move(*file);
  }
  if (!section.ok()) {
    return tl::unexpected(section.error());
  }
  const auto loopback = [](const std::string& host) {
    return host == "127.0.0.1" || host == "::1" || host.starts_with("127.");
  };
  if (!loopback(config.admin_listen.host)) {
    reader.warn("admin.listen: " + endpoint_text(config.admin_listen) +
                " is not a loopback address; the admin API speaks plain HTTP, so keep it behind "
                "a firewall or a TLS proxy");
  }
  if (config.console_listen && !loopback(config.console_listen->host)) {
    reader.warn("admin.console_listen: " + endpoint_text(*config.console_listen) +
                " is not a loopback address; the console speaks plain HTTP, so put a TLS proxy "
                "in front of it");
  }
  return {};
}

// The keys directly at the top level.
core::Result<void> parse_scalars(SectionReader& top, HostConfig& config,
                                 const HostEnvironment& env) {
  if (auto metrics = top.endpoint("metrics")) {
    config.metrics = std::move(*metrics);
  }
  if (auto servers = top.strings("dns_servers")) {
    for (const std::string& server : *servers) {
      if (auto parsed = core::parse_host_port(server, core::kDnsServerAddress); !parsed) {
        top.fail("dns_servers", "invalid DNS server \"" + server + "\": " + parsed.error().message);
      }
    }
    config.dns_servers = std::move(*servers);
  }
  if (auto ca_file = top.string("ca_file", Empty::rejected)) {
    config.ca_file = std::move(*ca_file);
  }
  if (auto interval = top.seconds("sync_interval", Zero::rejected)) {
    config.sync_interval = *interval;
  }
  if (auto timeout = top.seconds("shutdown_timeout", Zero::allowed)) {
    config.shutdown_timeout = *timeout;
  }
  config.instance = env.hostname + ":" + std::to_string(env.pid);
  if (auto instance = top.string("instance", Empty::rejected)) {
    config.instance = std::move(*instance);
  }
  if (auto user = top.string("user", Empty::rejected)) {
    config.user = std::move(*user);
  }
  if (auto state_dir = top.string("state_dir", Empty::rejected)) {
    if (state_dir->front() != '/') {
      top.fail("state_dir", "expected an absolute path, got \"" + *state_dir + "\"");
    }
    config.state_dir = std::move(*state_dir);
  }
  if (top.ok() && config.state_dir.empty()) {
    auto found = default_state_dir(env.env);
    if (!found) {
      top.fail(core::Error{core::Errc::invalid_value,
                           "state_dir: not given, and " + found.error().message});
    } else {
      config.state_dir = std::move(*found);
    }
  }
  if (!top.ok()) {
    return tl::unexpected(top.error());
  }
  return {};
}

core::Result<HostConfigLoad> parse_root(const YAML::Node& root, const HostEnvironment& env) {
  ConfigReader reader;
  SectionReader top(reader, root, "", kTopKeys);
  if (!top.ok()) {
    return tl::unexpected(top.error());
  }
  HostConfig config;
  auto service = parse_service(reader, top.node("service"));
  if (!service) {
    return tl::unexpected(service.error());
  }
  config.service = std::move(*service);
  if (auto scalars = parse_scalars(top, config, env); !scalars) {
    return tl::unexpected(scalars.error());
  }
  if (auto listen = parse_listen(reader, top.node("listen"), config); !listen) {
    return tl::unexpected(listen.error());
  }
  if (auto admin = parse_admin(reader, top.node("admin"), config); !admin) {
    return tl::unexpected(admin.error());
  }
  auto store = parse_store_section(reader, top.node("store"), config.state_dir);
  if (!store) {
    return tl::unexpected(store.error());
  }
  config.store = std::move(*store);
  auto acme = parse_acme_section(reader, top.node("acme"));
  if (!acme) {
    return tl::unexpected(acme.error());
  }
  config.acme = std::move(*acme);
  auto dns_update = parse_dns_update_section(reader, top.node("dns_update"), config.service);
  if (!dns_update) {
    return tl::unexpected(dns_update.error());
  }
  config.dns_update = std::move(*dns_update);
  auto monitor = parse_monitor_section(reader, top.node("monitor"));
  if (!monitor) {
    return tl::unexpected(monitor.error());
  }
  config.monitor = std::move(*monitor);
  auto reports = parse_reports_section(reader, top.node("reports"));
  if (!reports) {
    return tl::unexpected(reports.error());
  }
  config.reports = *reports;
  config.service.report_https = config.reports.https;
  config.service.report_mail_domain = config.reports.mail.domain;
  if (!config.service.delegation_zone.empty() && !config.dns_update) {
    reader.warn("dns_update: not configured, so the TXT records of delegated domains in " +
                config.service.delegation_zone + " are not kept current");
  }
  if (config.acme.contact.empty()) {
    reader.warn("acme.contact: not given; the CA cannot warn you about expiring certificates");
  }
  return HostConfigLoad{std::move(config), reader.take_warnings(), std::string()};
}

}  // namespace

HostEnvironment current_host_environment() {
  HostEnvironment env;
  env.env = current_config_environment();
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) {
    env.hostname = name;
  }
  env.pid = static_cast<long>(::getpid());
  return env;
}

core::Result<HostConfigLoad> parse_host_config(std::string_view yaml_text,
                                               const HostEnvironment& env) {
  return parse_config_document(yaml_text,
                               [&env](const YAML::Node& root) { return parse_root(root, env); });
}

core::Result<HostConfigLoad> load_host_config(const std::optional<std::string>& path,
                                              const HostEnvironment& env) {
  const std::string file = path.value_or(std::string(kDefaultHostConfigPath));
  return load_config_file(file,
                          [&env](std::string_view text) { return parse_host_config(text, env); });
}

}  // namespace mtasts::app

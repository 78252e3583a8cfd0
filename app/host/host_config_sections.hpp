#pragma once

// Private to the host config loader: one function per section that needs more than a few keys.
// Each takes the section's node (null when absent: the defaults) and records errors and
// warnings through the reader.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "daemon/daemon_config_values.hpp"
#include "host/host_config.hpp"

namespace mtasts::app {

// `store`: sqlite (filename default <state_dir>/host.db) or postgres (dsn required).
[[nodiscard]] core::Result<store::HostingStoreConfig> parse_store_section(
    ConfigReader& reader, const YAML::Node& node, const std::string& state_dir);

// `acme`.
[[nodiscard]] core::Result<AcmeSettings> parse_acme_section(ConfigReader& reader,
                                                            const YAML::Node& node);

// `dns_update` (nullopt when absent); zone and ttl default to the service's.
[[nodiscard]] core::Result<std::optional<DnsUpdateSettings>> parse_dns_update_section(
    ConfigReader& reader, const YAML::Node& node, const core::ServiceIdentity& service);

// `reports`: {https: on|off, retention_days: 1-3650, mail: {domain, smtp, lmtp, lmtp_socket,
// hostname, max_connections}}.
[[nodiscard]] core::Result<ReportSettings> parse_reports_section(ConfigReader& reader,
                                                                 const YAML::Node& node);
// `monitor`.
[[nodiscard]] core::Result<MonitorSettings> parse_monitor_section(ConfigReader& reader,
                                                                  const YAML::Node& node);

}  // namespace mtasts::app

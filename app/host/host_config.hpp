#pragma once

// The configuration of `mtasts host` (docs/host-config.md lists every key): where the service
// is reached, what it listens on, its store, its ACME CA, the DNS server it updates for
// delegated domains, and the monitor.
//
// parse_host_config() is pure (text and environment in, value out) so that it can be unit
// tested; load_host_config() reads the file.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/daemon_config.hpp"
#include "mtasts/core/base/result.hpp"
#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/hosting/host_settings.hpp"
#include "mtasts/store/hosting_store.hpp"

namespace mtasts::app {

// The settings are the hosting layer's; this file reads them.
using hosting::AcmeChallengeKind;
using hosting::AcmeSettings;
using hosting::AlertSettings;
using hosting::DnsUpdateSettings;
using hosting::endpoint_text;
using hosting::HostConfig;
using hosting::HostEndpoint;
using hosting::kDefaultAdminPort;
using hosting::kDefaultTokenFile;
using hosting::kLetsEncryptDirectory;
using hosting::MonitorSettings;
using hosting::ReportMailSettings;
using hosting::ReportSettings;
using hosting::TsigKeySettings;

inline constexpr std::string_view kDefaultHostConfigPath = "/etc/mtasts/host.yml";
struct HostConfigLoad {
  HostConfig config;
  std::vector<std::string> warnings;  // one sentence each, starting with the key path
  std::string source;                 // the file read
};

// What the defaults depend on besides the state directory's environment.
struct HostEnvironment {
  ConfigEnvironment env;
  std::string hostname;  // gethostname()
  long pid = 0;
};

[[nodiscard]] HostEnvironment current_host_environment();

// Parses a host configuration. Unknown keys give warnings naming their path.
// Errors:
//   Errc::too_large       over kMaxConfigSize bytes (common/config_file.hpp)
//   Errc::invalid_syntax  not YAML ("line L, column C: ..."), or more than one document
//   Errc::invalid_value   "<key path>: expected ..., got ... (line L)"; or a required key
//                         missing (service.hostname or service.addresses; store.dsn for
//                         postgres; dns_update.key.secret or secret_file)
[[nodiscard]] core::Result<HostConfigLoad> parse_host_config(std::string_view yaml_text,
                                                             const HostEnvironment& env);

// Reads `path` (default kDefaultHostConfigPath, which must exist: the service has required
// keys). Error messages start with the file name.
[[nodiscard]] core::Result<HostConfigLoad> load_host_config(const std::optional<std::string>& path,
                                                            const HostEnvironment& env);

}  // namespace mtasts::app

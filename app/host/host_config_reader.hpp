#pragma once

// Private to the host config loader: reads the keys of one mapping through the daemon's
// ConfigReader (values, key paths and line numbers in errors, unknown-key warnings) and keeps
// the first error, so that a section reads as a list of keys rather than a ladder of checks.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/daemon_config_values.hpp"
#include "host/host_config.hpp"

namespace mtasts::app {

class SectionReader {
 public:
  // The mapping at `node` (null: an empty section) under `path` ("" for the top level).
  SectionReader(ConfigReader& reader, const YAML::Node& node, std::string path,
                std::span<const std::string_view> known);

  [[nodiscard]] bool ok() const { return !error_; }
  [[nodiscard]] const core::Error& error() const { return *error_; }
  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] std::string path(std::string_view key) const { return key_path(path_, key); }
  // The node of `key` when given (not null); an empty node otherwise.
  [[nodiscard]] YAML::Node node(std::string_view key) const;

  // Each returns nullopt when the key is absent or null, or when an error was recorded (by
  // this read or an earlier one); later reads then do nothing.
  [[nodiscard]] std::optional<std::string> string(std::string_view key, Empty empty);
  [[nodiscard]] std::optional<std::vector<std::string>> strings(std::string_view key);
  [[nodiscard]] std::optional<std::chrono::milliseconds> seconds(std::string_view key, Zero zero);
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key, std::int64_t min,
                                                    std::int64_t max);
  // HOST:PORT, [IPV6]:PORT or *:PORT.
  [[nodiscard]] std::optional<HostEndpoint> endpoint(std::string_view key);
  [[nodiscard]] std::optional<std::vector<HostEndpoint>> endpoints(std::string_view key);
  // A domain name, normalised (lowercase A-labels).
  [[nodiscard]] std::optional<std::string> domain(std::string_view key);

  // Records "<path.key>: <what> (line L)" unless an error is already recorded.
  void fail(std::string_view key, std::string what);
  void fail(core::Error error);

 private:
  ConfigReader& reader_;
  std::string path_;
  Entries entries_;
  std::optional<core::Error> error_;
};

// Parses "HOST:PORT", "[IPV6]:PORT" or "*:PORT" (port 1-65535 required). The reason on failure.
[[nodiscard]] core::Result<HostEndpoint> parse_host_endpoint(std::string_view text);

}  // namespace mtasts::app

#include "host/host_config_reader.hpp"

#include <arpa/inet.h>

#include <utility>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/host_port.hpp"

namespace mtasts::app {
namespace {

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

}  // namespace

core::Result<HostEndpoint> parse_host_endpoint(std::string_view text) {
  auto parsed = core::parse_host_port(text, core::kListenAddress);
  if (!parsed) {
    return tl::unexpected(parsed.error());
  }
  if (!parsed->host.empty() && !is_ip_address(parsed->host)) {
    return core::fail(core::Errc::invalid_value,
                      "the host must be an IP address or * (every interface), got " + parsed->host);
  }
  return HostEndpoint{std::move(parsed->host), parsed->port};
}

SectionReader::SectionReader(ConfigReader& reader, const YAML::Node& node, std::string path,
                             std::span<const std::string_view> known)
    : reader_(reader), path_(std::move(path)) {
  auto entries = reader_.mapping(node, path_, known);
  if (!entries) {
    error_ = entries.error();
    return;
  }
  entries_ = std::move(*entries);
}

bool SectionReader::has(std::string_view key) const {
  return given(entries_, key).has_value();
}

YAML::Node SectionReader::node(std::string_view key) const {
  return given(entries_, key).value_or(YAML::Node());
}

void SectionReader::fail(std::string_view key, std::string what) {
  if (error_) {
    return;
  }
  error_ = value_error(node(key), path(key), std::move(what)).value();
}

void SectionReader::fail(core::Error error) {
  if (!error_) {
    error_ = std::move(error);
  }
}

std::optional<std::string> SectionReader::string(std::string_view key, Empty empty) {
  const auto value = given(entries_, key);
  if (error_ || !value) {
    return std::nullopt;
  }
  auto text = reader_.string(*value, path(key), empty);
  if (!text) {
    fail(text.error());
    return std::nullopt;
  }
  return std::move(*text);
}

std::optional<std::vector<std::string>> SectionReader::strings(std::string_view key) {
  const auto value = given(entries_, key);
  if (error_ || !value) {
    return std::nullopt;
  }
  auto list = reader_.string_list(*value, path(key));
  if (!list) {
    fail(list.error());
    return std::nullopt;
  }
  return std::move(*list);
}

std::optional<std::chrono::milliseconds> SectionReader::seconds(std::string_view key, Zero zero) {
  const auto value = given(entries_, key);
  if (error_ || !value) {
    return std::nullopt;
  }
  auto duration = reader_.seconds(*value, path(key), zero);
  if (!duration) {
    fail(duration.error());
    return std::nullopt;
  }
  return *duration;
}

std::optional<std::int64_t> SectionReader::integer(std::string_view key, std::int64_t min,
                                                   std::int64_t max) {
  const auto value = given(entries_, key);
  if (error_ || !value) {
    return std::nullopt;
  }
  auto number = reader_.integer(*value, path(key), min, max);
  if (!number) {
    fail(number.error());
    return std::nullopt;
  }
  return *number;
}

std::optional<HostEndpoint> SectionReader::endpoint(std::string_view key) {
  auto text = string(key, Empty::rejected);
  if (!text) {
    return std::nullopt;
  }
  auto parsed = parse_host_endpoint(*text);
  if (!parsed) {
    fail(key, "invalid listen address \"" + *text + "\": " + parsed.error().message);
    return std::nullopt;
  }
  return std::move(*parsed);
}

std::optional<std::vector<HostEndpoint>> SectionReader::endpoints(std::string_view key) {
  auto texts = strings(key);
  if (!texts) {
    return std::nullopt;
  }
  std::vector<HostEndpoint> out;
  for (std::size_t i = 0; i < texts->size(); ++i) {
    auto parsed = parse_host_endpoint((*texts)[i]);
    if (!parsed) {
      fail(key, "[" + std::to_string(i) + "]: invalid listen address \"" + (*texts)[i] +
                    "\": " + parsed.error().message);
      return std::nullopt;
    }
    out.push_back(std::move(*parsed));
  }
  return out;
}

std::optional<std::string> SectionReader::domain(std::string_view key) {
  auto text = string(key, Empty::rejected);
  if (!text) {
    return std::nullopt;
  }
  std::string_view name = *text;
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  auto normalized = core::normalize_domain(name);
  if (!normalized) {
    fail(key, "expected a domain name, got \"" + *text + "\": " + normalized.error().message);
    return std::nullopt;
  }
  return std::move(*normalized);
}

}  // namespace mtasts::app

#include "daemon/daemon_wiring.hpp"

#include <algorithm>

namespace mtasts::app {
namespace {

constexpr std::chrono::milliseconds kLongestPassPeriod{300'000};

core::Seconds whole_seconds(std::chrono::milliseconds ms) {
  return std::max(core::Seconds(1), std::chrono::ceil<core::Seconds>(ms));
}

// mx_match postfix: Postfix enforces the mx_host_pattern= attributes, so every zone sends them.
net::ZoneSettings zone_settings(const ZoneConfig& zone, MxMatch mx_match) {
  return net::ZoneSettings{
      .testing = zone.strict_testing,
      .timeout = zone.timeout,
      .sni = zone.require_sni,
      .tlsrpt = mx_match == MxMatch::postfix ? core::TlsrptAttributes::on : zone.tlsrpt};
}

}  // namespace

net::PolicyServiceOptions service_options(const DaemonConfig& config) {
  net::PolicyServiceOptions options;
  options.cache.recheck_interval = whole_seconds(config.cache_grace);
  options.cache.capacity = config.cache.type == store::StoreType::memory
                               ? std::max<std::size_t>(config.cache.cache_size, 1)
                               : kDefaultCacheCapacity;
  if (config.proactive.enabled) {
    options.cache.body_refresh = whole_seconds(config.proactive.interval);
    options.proactive.enabled = true;
    options.proactive.period = std::min(config.proactive.interval, kLongestPassPeriod);
  }
  options.proactive.concurrency = std::max<std::size_t>(config.proactive.concurrency_limit, 1);
  options.match = config.mtasts.mx_match == MxMatch::resolve ? core::MatchForm::mx_hosts
                                                             : core::MatchForm::patterns;
  options.dane = config.mtasts.dane != DaneSetting::off;  // auto: decided at start (the probe)
  options.default_zone = zone_settings(config.default_zone, config.mtasts.mx_match);
  for (const auto& [name, zone] : config.zones) {
    options.zones.emplace(name, zone_settings(zone, config.mtasts.mx_match));
  }
  return options;
}

std::chrono::milliseconds longest_timeout(const DaemonConfig& config) {
  std::chrono::milliseconds longest = config.default_zone.timeout;
  for (const auto& [name, zone] : config.zones) {
    longest = std::max(longest, zone.timeout);
  }
  return longest;
}

}  // namespace mtasts::app

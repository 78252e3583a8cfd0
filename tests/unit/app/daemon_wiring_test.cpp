// DaemonConfig -> the net layer's options: the peer's keys keep their meanings.

#include "daemon/daemon_wiring.hpp"

#include <gtest/gtest.h>

#include "daemon/daemon_config.hpp"

namespace mtasts::app {
namespace {

ConfigLoad parse(const std::string& yaml) {
  ConfigEnvironment env;
  env.state_directory = "/var/lib/mtasts";
  auto loaded = parse_daemon_config(yaml, env);
  EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
  return loaded ? std::move(*loaded) : ConfigLoad{};
}

TEST(DaemonWiringTest, Defaults_ResolveModeAndThePeersZoneDefaults) {
  const auto options = service_options(parse("").config);
  EXPECT_EQ(options.match, core::MatchForm::mx_hosts);
  EXPECT_EQ(options.cache.recheck_interval, core::Seconds(60));
  EXPECT_EQ(options.cache.capacity, kDefaultCacheCapacity);
  EXPECT_FALSE(options.proactive.enabled);
  EXPECT_EQ(options.default_zone.timeout, std::chrono::milliseconds(4000));
  EXPECT_EQ(options.default_zone.sni, core::SniMode::hostname);
  EXPECT_EQ(options.default_zone.testing, core::TestingMode::report_only);
  EXPECT_EQ(options.default_zone.tlsrpt, core::TlsrptAttributes::off);
}

TEST(DaemonWiringTest, PeerKeys_MapToTheService) {
  const auto load = parse(
      "cache_grace: 30\n"
      "cache: {type: internal, options: {cache_size: 500}}\n"
      "proactive_policy_fetching: {enabled: true, interval: 3600, concurrency_limit: 7}\n"
      "default_zone: {timeout: 2}\n"
      "zones: {rpt: {tlsrpt: true, timeout: 9, strict_testing: true, require_sni: false}}\n"
      "mtasts: {mx_match: patterns}\n");
  const auto options = service_options(load.config);
  EXPECT_EQ(options.cache.recheck_interval, core::Seconds(30));
  EXPECT_EQ(options.cache.capacity, 500u);
  EXPECT_TRUE(options.proactive.enabled);
  EXPECT_EQ(options.cache.body_refresh, core::Seconds(3600));
  EXPECT_EQ(options.proactive.period, std::chrono::milliseconds(300'000));
  EXPECT_EQ(options.proactive.concurrency, 7u);
  EXPECT_EQ(options.match, core::MatchForm::patterns);
  ASSERT_EQ(options.zones.count("rpt"), 1u);
  const auto& rpt = options.zones.at("rpt");
  EXPECT_EQ(rpt.tlsrpt, core::TlsrptAttributes::on);
  EXPECT_EQ(rpt.testing, core::TestingMode::strict);
  EXPECT_EQ(rpt.sni, core::SniMode::off);
  EXPECT_EQ(longest_timeout(load.config), std::chrono::milliseconds(9000));
}

// Postfix 3.10.5 enforces mx_host_pattern= itself: every zone sends the attributes, and the
// reply carries the patterns (no MX lookup by the daemon).
TEST(DaemonWiringTest, MxMatchPostfix_PatternsWithTlsrptAttributesInEveryZone) {
  const auto options =
      service_options(parse("zones: {a: {tlsrpt: false}}\nmtasts: {mx_match: postfix}\n").config);
  EXPECT_EQ(options.match, core::MatchForm::patterns);
  EXPECT_EQ(options.default_zone.tlsrpt, core::TlsrptAttributes::on);
  EXPECT_EQ(options.zones.at("a").tlsrpt, core::TlsrptAttributes::on);
  EXPECT_TRUE(options.dane);
}

}  // namespace
}  // namespace mtasts::app

// Value-level tests of the daemon config loader: YAML 1.1 scalars as PyYAML reads them, every
// wrong value naming its key, warnings, and malformed input.

#include "daemon/daemon_config_values.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/config_file.hpp"
#include "daemon/daemon_config.hpp"

namespace mtasts::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const ConfigEnvironment kEnv{false, "", "", "/home/alice"};

ConfigLoad parse_ok(std::string_view text) {
  auto loaded = parse_daemon_config(text, kEnv);
  EXPECT_TRUE(loaded.has_value()) << text << (loaded ? "" : loaded.error().message);
  return loaded ? *loaded : ConfigLoad{};
}

// Expected values from PyYAML 6 (Debian 12), the peer's parser: yaml.safe_load("v: " + text).
TEST(Yaml11Scalars, Int_MatchesPyYaml) {
  const std::pair<const char*, std::optional<std::int64_t>> rows[] = {
      {"0", 0},
      {"-1", -1},
      {"+7", 7},
      {"0666", 438},
      {"666", 666},
      {"0x1b6", 438},
      {"0b101", 5},
      {"1_000", 1000},
      {"1:30", 90},
      {"1:30:00", 5400},
      {"1:5", 65},
      {"190:20:30", 685230},
      {"0_7", 7},
      {"07_7", 63},
      {"1__0", 10},
      {"0o666", std::nullopt},
      {"08", std::nullopt},
      {"0:30", std::nullopt},
      {"1:60", std::nullopt},
      {"1e3", std::nullopt},
      {"0x", std::nullopt},
      {"_1", std::nullopt},
      {"1.5", std::nullopt},
      {"", std::nullopt},
      {"9223372036854775807", INT64_MAX},
      {"-9223372036854775808", INT64_MIN},
      {"9223372036854775808", std::nullopt},  // PyYAML has big ints; mtasts refuses them
  };
  for (const auto& [text, want] : rows) {
    EXPECT_EQ(yaml11_int(text), want) << text;
  }
}

TEST(Yaml11Scalars, BoolAndNumber_MatchPyYaml) {
  for (const char* text : {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
    EXPECT_EQ(yaml11_bool(text), true) << text;
  }
  for (const char* text : {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
    EXPECT_EQ(yaml11_bool(text), false) << text;
  }
  for (const char* text : {"yEs", "y", "n", "1", ""}) {
    EXPECT_EQ(yaml11_bool(text), std::nullopt) << text;
  }
  EXPECT_EQ(yaml11_number("1.5"), 1.5);
  EXPECT_EQ(yaml11_number("1.0e+3"), 1000.0);
  EXPECT_EQ(yaml11_number(".5"), 0.5);
  EXPECT_EQ(yaml11_number("1."), 1.0);
  EXPECT_EQ(yaml11_number("0666"), 438.0);
  EXPECT_EQ(yaml11_number("-.inf"), -INFINITY);
  EXPECT_TRUE(std::isnan(*yaml11_number(".nan")));
  EXPECT_EQ(yaml11_number("abc"), std::nullopt);
  EXPECT_EQ(yaml11_number("inf"), std::nullopt);
  EXPECT_EQ(yaml11_number("0x1p3"), std::nullopt);
}

TEST(DaemonConfig_Values, PeerForms_Accepted) {
  const DaemonConfig config = parse_ok(
                                  "reuse_port: off\nshutdown_timeout: 0\ncache_grace: 1:30\n"
                                  "proactive_policy_fetching: {enabled: YES, interval: 0.5,"
                                  " concurrency_limit: 0x10, grace_ratio: 3}\n"
                                  "default_zone: {strict_testing: 1, timeout: 2.5, "
                                  "require_sni: No, tlsrpt: on}\nport: '8462'\n")
                                  .config;
  EXPECT_FALSE(config.reuse_port);
  EXPECT_EQ(config.shutdown_timeout, 0ms);
  EXPECT_EQ(config.cache_grace, 90s);
  EXPECT_EQ(config.proactive, (ProactiveConfig{true, 500ms, 16, 3.0}));
  EXPECT_EQ(config.default_zone, (ZoneConfig{core::TestingMode::strict, 2500ms, core::SniMode::off,
                                             core::TlsrptAttributes::on}));
  EXPECT_EQ(std::get<TcpListen>(config.listen).port, 8462);
}

TEST(DaemonConfig_Values, SocketMode_AsThePeerReadsIt) {
  struct Row {
    const char* text;
    std::uint32_t want;
    bool warned;
  };
  const Row rows[] = {
      {"0666", 0666, false},    {"0660", 0660, false},  {"'0660'", 0660, false},
      {"\"660\"", 0660, false}, {"0o600", 0600, false}, {"438", 438, false},
      {"666", 666, true},  // decimal, as PyYAML reads it: 01232
      {"0", 0, false},
  };
  for (const Row& row : rows) {
    const ConfigLoad loaded = parse_ok(std::string("path: /s\nmode: ") + row.text + "\n");
    EXPECT_EQ(std::get<UnixListen>(loaded.config.listen).mode, row.want) << row.text;
    EXPECT_EQ(loaded.warnings.size(), row.warned ? 1u : 0u) << row.text;
  }
  EXPECT_THAT(parse_ok("path: /s\nmode: 666\n").warnings,
              ElementsAre("mode: 666 is read as a decimal number, as the peer reads it (01232 "
                          "octal); write 0666 for the octal mode"));
}

// Every wrong value gives an error that starts with the key path.
TEST(DaemonConfig_Errors, WrongValue_ErrorNamesKey) {
  const std::pair<const char*, const char*> rows[] = {
      {"port: abc", "port: expected a port number from 0 to 65535, got \"abc\" (line 1)"},
      {"port: 65536", "port: expected a port number"},
      {"port: 8461.5", "port: expected a port number"},
      {"host: [a, b]", "host: expected a string, got a list"},
      {"path: ''", "path: expected a non-empty string"},
      {"path: /s\nmode: 010000", "mode: expected a file mode from 0 to 07777"},
      {"path: /s\nmode: rw", "mode: expected a file mode"},
      {"path: /s\nmode: '0669'", "mode: expected a file mode"},
      {"reuse_port: maybe", "reuse_port: expected true or false, got \"maybe\""},
      {"reuse_port: 2", "reuse_port: expected true or false"},
      {"reuse_port: 'false'", "reuse_port: expected true or false, got \"false\" (quoted"},
      {"shutdown_timeout: -1", "shutdown_timeout: expected a number of seconds, 0 or more"},
      {"cache_grace: .inf", "cache_grace: expected a number of seconds"},
      {"cache_grace: .nan", "cache_grace: expected a number of seconds"},
      {"cache_grace: 1e10", "cache_grace: expected at most 1000000000 seconds"},
      {"cache_grace: {a: 1}",
       "cache_grace: expected a number of seconds, 0 or more, got a "
       "mapping"},
      {"cache: [internal]", "cache: expected a mapping, got a list"},
      {"cache: {type: memcached}", "cache.type: \"memcached\" is not one of"},
      {"cache: {type: [a]}", "cache.type: expected a string, got a list"},
      {"cache: {type: internal, options: {cache_size: 0}}",
       "cache.options.cache_size: expected a whole number of at least 1, got \"0\""},
      {"cache: {type: internal, options: [1]}", "cache.options: expected a mapping"},
      {"cache: {type: sqlite, options: {threads: many}}", "cache.options.threads: expected"},
      {"cache: {type: sqlite, options: {timeout: -2}}", "cache.options.timeout: expected"},
      {"cache: {type: redis}", "cache.options.url: required for cache type redis"},
      {"cache: {type: redis_sentinel, options: {sentinels: [[a, 1]]}}",
       "cache.type: redis_sentinel is not supported"},
      {"proactive_policy_fetching: {enabled: 3}", "proactive_policy_fetching.enabled: expected"},
      {"proactive_policy_fetching: {interval: 0}",
       "proactive_policy_fetching.interval: expected a positive number of seconds"},
      {"proactive_policy_fetching: {concurrency_limit: 0}",
       "proactive_policy_fetching.concurrency_limit: expected an integer from 1 to 2147483647"},
      {"proactive_policy_fetching: {concurrency_limit: 2.5}",
       "proactive_policy_fetching.concurrency_limit: expected an integer"},
      {"proactive_policy_fetching: {grace_ratio: 0}",
       "proactive_policy_fetching.grace_ratio: expected a positive number"},
      {"default_zone: {timeout: 0}", "default_zone.timeout: expected a positive number"},
      {"default_zone: 5", "default_zone: expected a mapping, got \"5\""},
      {"zones: {strict: {timeout: abc}}",
       "zones.strict.timeout: expected a positive number of seconds, got \"abc\" (line 1)"},
      {"zones: {strict: {strict_testing: sure}}", "zones.strict.strict_testing: expected true"},
      {"zones: {z: {require_sni: ''}}", "zones.z.require_sni: expected true or false"},
      {"zones: {z: {tlsrpt: [1]}}", "zones.z.tlsrpt: expected true or false, got a list"},
      {"zones: [a]", "zones: expected a mapping"},
      {"mtasts: {mx_match: exact}", "mtasts.mx_match: expected resolve, patterns or postfix"},
      {"mtasts: {dns_servers: ['1.1.1.1', '[::1']}",
       "mtasts.dns_servers[1]: invalid DNS server \"[::1\": unclosed '['"},
      {"mtasts: {dns_servers: ['1.1.1.1:0']}", "mtasts.dns_servers[0]: invalid DNS server"},
      {"mtasts: {dns_servers: {a: b}}", "mtasts.dns_servers: expected a string"},
      {"mtasts: {metrics: 127.0.0.1}", "mtasts.metrics: invalid listen address"},
      {"mtasts: {metrics: ':9100'}", "mtasts.metrics: invalid listen address \":9100\": empty"},
      {"mtasts: {state_dir: var/lib}", "mtasts.state_dir: expected an absolute path"},
      {"mtasts: {state_dir: ''}", "mtasts.state_dir: expected a non-empty string"},
      {"mtasts: {user: ''}", "mtasts.user: expected a non-empty string"},
      {"mtasts: {ca_file: [a]}", "mtasts.ca_file: expected a string"},
      {"mtasts: 1", "mtasts: expected a mapping"},
      {"- a\n- b", "top level: expected a mapping, got a list"},
      {"just text", "top level: expected a mapping, got \"just text\""},
      {"zones: {z: {timeout: !custom 4}}", "zones.z.timeout: expected"},
      {"zones: {z: {<<: 4}}", "zones.z.<<: expected a mapping or list of them"},
      // yaml-cpp lets an alias refer to the mapping it is in; found by fuzzing.
      {"zones: {z: &x {<<: *x}}", "zones.z.<<: merge keys nested too deeply"},
      {"cache: {type: redis, options: {url: 'redis://r', x: &y [*y]}}",
       "cache.options.x: too large or too deeply nested"},
  };
  for (const auto& [text, want] : rows) {
    auto loaded = parse_daemon_config(text, kEnv);
    ASSERT_FALSE(loaded) << text;
    EXPECT_EQ(loaded.error().code, core::Errc::invalid_value) << text;
    EXPECT_THAT(loaded.error().message, HasSubstr(want)) << text;
    EXPECT_EQ(loaded.error().message.find(want), 0u) << loaded.error().message;
  }
}

TEST(DaemonConfig_Warnings, UnknownKeys_WarningNamesPath) {
  const std::pair<const char*, const char*> rows[] = {
      {"hots: x", "hots: unknown key, ignored (did you mean host?)"},
      {"tlsrpt: true", "tlsrpt: ignored at the top level"},
      {"cache: {type: internal, ttl: 5}", "cache.ttl: unknown key, ignored"},
      {"cache: {type: redis, options: {url: 'redis://r', max_connections: 0x10}}",
       "cache.options.max_connections: accepted for compatibility"},
      {"proactive_policy_fetching: {enable: true}",
       "proactive_policy_fetching.enable: unknown key, ignored (did you mean enabled?)"},
      {"default_zone: {strict: true}", "default_zone.strict: unknown key, ignored"},
      {"zones: {z: {strict_testin: true}}",
       "zones.z.strict_testin: unknown key, ignored (did you mean strict_testing?)"},
      {"mtasts: {metric: ':1'}", "mtasts.metric: unknown key, ignored (did you mean metrics?)"},
      {"zones: {'a b': {}}", "zones.a b: a socketmap name cannot be empty or contain spaces"},
      {"port: 1\nport: 2", "port: duplicate key, the last one is used"},
      {"[a]: 1", "top level: a key that is not a string is ignored"},
  };
  for (const auto& [text, want] : rows) {
    const ConfigLoad loaded = parse_ok(text);
    EXPECT_THAT(loaded.warnings, ElementsAre(HasSubstr(want))) << text;
  }
  // The last duplicate wins, as in PyYAML.
  EXPECT_EQ(std::get<TcpListen>(parse_ok("port: 1\nport: 2").config.listen).port, 2);
}

TEST(DaemonConfig_Merge, MergeKeys_ExplicitKeysWinThenEarlierSources) {
  const DaemonConfig config = parse_ok(
                                  "a: &a {timeout: 1, strict_testing: true}\n"
                                  "b: &b {timeout: 2, require_sni: false}\n"
                                  "zones:\n  z: {<<: [*a, *b], strict_testing: false}\n")
                                  .config;
  EXPECT_EQ(config.zones.at("z"), (ZoneConfig{core::TestingMode::report_only, 1s,
                                              core::SniMode::off, core::TlsrptAttributes::off}));
}

TEST(DaemonConfig_Syntax, MalformedYaml_ErrorWithPosition) {
  auto loaded = parse_daemon_config("zones:\n  a: [1\nport: 2\n", kEnv);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, core::Errc::invalid_syntax);
  EXPECT_THAT(loaded.error().message, HasSubstr("line 3, column"));

  auto tab = parse_daemon_config("\tport: 1\n", kEnv);
  ASSERT_FALSE(tab);
  EXPECT_THAT(tab.error().message, HasSubstr("line 1, column"));

  auto alias = parse_daemon_config("port: *nowhere\n", kEnv);
  ASSERT_FALSE(alias);
  EXPECT_THAT(alias.error().message, HasSubstr("line 1"));
}

TEST(DaemonConfig_Syntax, SeveralDocumentsOrTooLarge_Refused) {
  auto several = parse_daemon_config("port: 1\n---\nport: 2\n", kEnv);
  ASSERT_FALSE(several);
  EXPECT_EQ(several.error().message,
            "line 3, column 1: expected one YAML document, found a second one or stray text");

  // yaml-cpp 0.7's LoadAll() loops for ever on this (yaml-cpp #1040); found by fuzzing.
  auto stray = parse_daemon_config("\"x\ny\", : ", kEnv);
  ASSERT_FALSE(stray);
  EXPECT_EQ(stray.error().code, core::Errc::invalid_syntax);

  auto large = parse_daemon_config(std::string(kMaxConfigSize + 1, '#'), kEnv);
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().code, core::Errc::too_large);
}

}  // namespace
}  // namespace mtasts::app

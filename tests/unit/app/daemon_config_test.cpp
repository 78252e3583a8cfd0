#include "daemon/daemon_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "daemon/daemon_wiring.hpp"

namespace mtasts::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

const std::string kConfigDir = MTASTS_TESTDATA_DIR "/config/";
const DefaultConfigFiles kNoDefaultFiles{"/nonexistent/daemon.yml", "/nonexistent/peer.yml"};

ConfigEnvironment user_env() {
  return ConfigEnvironment{
      .is_root = false, .state_directory = "", .xdg_state_home = "", .home = "/home/alice"};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ConfigLoad parse_ok(std::string_view text, const ConfigEnvironment& env = user_env()) {
  auto loaded = parse_daemon_config(text, env);
  EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error().message);
  return loaded ? *loaded : ConfigLoad{};
}

// DaemonConfig has no operator== (store::StoreConfig has none): compare what the loader sets.
void expect_same(const DaemonConfig& a, const DaemonConfig& b) {
  EXPECT_EQ(a.listen, b.listen);
  EXPECT_EQ(a.reuse_port, b.reuse_port);
  EXPECT_EQ(a.shutdown_timeout, b.shutdown_timeout);
  EXPECT_EQ(a.cache_grace, b.cache_grace);
  EXPECT_EQ(a.cache.type, b.cache.type);
  EXPECT_EQ(a.cache.filename, b.cache.filename);
  EXPECT_EQ(a.cache.cache_size, b.cache.cache_size);
  EXPECT_EQ(a.cache.url, b.cache.url);
  EXPECT_EQ(a.cache.dsn, b.cache.dsn);
  EXPECT_EQ(a.cache.timeout, b.cache.timeout);
  EXPECT_EQ(a.proactive, b.proactive);
  EXPECT_EQ(a.default_zone, b.default_zone);
  EXPECT_EQ(a.zones, b.zones);
  EXPECT_EQ(a.mtasts, b.mtasts);
}

const TcpListen& tcp(const DaemonConfig& config) {
  static const TcpListen kNone{"none", 0};
  const auto* listen = std::get_if<TcpListen>(&config.listen);
  EXPECT_NE(listen, nullptr);
  return listen != nullptr ? *listen : kNone;
}

TEST(DaemonConfig_Defaults, EmptyText_EveryDefault) {
  const ConfigLoad loaded = parse_ok("");
  const DaemonConfig& config = loaded.config;
  EXPECT_THAT(loaded.warnings, IsEmpty());
  EXPECT_EQ(tcp(config).host, "127.0.0.1");
  EXPECT_EQ(tcp(config).port, 8461);
  EXPECT_TRUE(config.reuse_port);
  EXPECT_EQ(config.shutdown_timeout, 20s);
  EXPECT_EQ(config.cache_grace, 60s);
  EXPECT_EQ(config.cache.type, store::StoreType::sqlite);
  EXPECT_EQ(config.cache.filename, "/home/alice/.local/state/mtasts/cache.db");
  EXPECT_EQ(config.cache.timeout, 5s);
  EXPECT_FALSE(config.proactive.enabled);
  EXPECT_EQ(config.proactive.interval, 86400s);
  EXPECT_EQ(config.proactive.concurrency_limit, 100u);
  EXPECT_EQ(config.proactive.grace_ratio, 2.0);
  EXPECT_EQ(config.default_zone.strict_testing, core::TestingMode::report_only);
  EXPECT_EQ(config.default_zone.timeout, 4s);
  EXPECT_EQ(config.default_zone.require_sni, core::SniMode::hostname);
  EXPECT_EQ(config.default_zone.tlsrpt, core::TlsrptAttributes::off);
  EXPECT_THAT(config.zones, IsEmpty());
  EXPECT_EQ(config.mtasts.mx_match, MxMatch::resolve);
  EXPECT_THAT(config.mtasts.dns_servers, IsEmpty());
  EXPECT_EQ(config.mtasts.ca_file, "");
  EXPECT_EQ(config.mtasts.metrics, "");
  EXPECT_EQ(config.mtasts.state_dir, "/home/alice/.local/state/mtasts");
  EXPECT_EQ(config.mtasts.user, "mtasts");
  EXPECT_EQ(config.mtasts.preload, "");
}

TEST(DaemonConfig_Defaults, CommentsOrEmptySections_SameAsEmpty) {
  const DaemonConfig defaults = parse_ok("").config;
  expect_same(parse_ok("# nothing\n\n").config, defaults);
  expect_same(parse_ok("---\n...\n").config, defaults);
  // Commented-out children leave null sections; the peer would crash on them.
  expect_same(parse_ok("zones:\ndefault_zone:\nmtasts:\nproactive_policy_fetching:\n").config,
              defaults);
}

TEST(DaemonConfig_Defaults, CacheSectionWithoutType_PeerInternalCache) {
  const DaemonConfig config = parse_ok("cache: {}\n").config;
  EXPECT_EQ(config.cache.type, store::StoreType::memory);
  EXPECT_EQ(config.cache.cache_size, 10000u);
}

TEST(DaemonConfig_Peer, DebianShippedFile_ParsesUnchanged) {
  const ConfigLoad loaded = parse_ok(read_text(kConfigDir + "peer-1.1-debian.yml"));
  EXPECT_THAT(loaded.warnings, IsEmpty());
  EXPECT_EQ(tcp(loaded.config).port, 8461);
  EXPECT_EQ(loaded.config.cache.type, store::StoreType::sqlite);
  EXPECT_EQ(loaded.config.cache.filename, "/var/lib/mta-sts/cache.db");
}

TEST(DaemonConfig_Peer, ManPageExample_ParsesUnchanged) {
  const ConfigLoad loaded = parse_ok(read_text(kConfigDir + "peer-1.1-manpage.yml"));
  EXPECT_THAT(loaded.warnings, IsEmpty());
  const DaemonConfig& config = loaded.config;
  EXPECT_TRUE(config.proactive.enabled);
  EXPECT_EQ(config.proactive.grace_ratio, 2.0);
  EXPECT_EQ(config.cache.type, store::StoreType::memory);
  EXPECT_EQ(config.cache.cache_size, 10000u);
  ASSERT_TRUE(config.zones.contains("myzone"));
  EXPECT_EQ(config.zones.at("myzone"), ZoneConfig{});
}

TEST(DaemonConfig_Peer, RedisWithZones_EveryValueRead) {
  const ConfigLoad loaded = parse_ok(read_text(kConfigDir + "peer-1.1-redis.yml"));
  EXPECT_THAT(loaded.warnings, ElementsAre("cache.options.max_connections: accepted for "
                                           "compatibility with the peer, without effect in "
                                           "mtasts"));
  const DaemonConfig& config = loaded.config;
  EXPECT_EQ(tcp(config).host, "0.0.0.0");
  EXPECT_EQ(tcp(config).port, 18461);
  EXPECT_FALSE(config.reuse_port);
  EXPECT_EQ(config.shutdown_timeout, 5500ms);
  EXPECT_EQ(config.cache_grace, 120s);
  EXPECT_EQ(config.proactive, (ProactiveConfig{true, 43200s, 20, 1.5}));
  EXPECT_EQ(config.cache.type, store::StoreType::redis);
  EXPECT_EQ(config.cache.url, "redis://redis.internal/0");
  EXPECT_EQ(config.cache.timeout, 1s);
  EXPECT_EQ(config.cache.connect_timeout, 2s);
  EXPECT_EQ(zone_for(config, "strict").strict_testing, core::TestingMode::strict);
  EXPECT_EQ(zone_for(config, "strict").timeout, 10s);
  EXPECT_EQ(zone_for(config, "nosni").require_sni, core::SniMode::off);
}

TEST(DaemonConfig_Peer, Version15Postgres_TlsrptPerZone) {
  const ConfigLoad loaded = parse_ok(read_text(kConfigDir + "peer-1.5-postgres.yml"));
  EXPECT_THAT(loaded.warnings, IsEmpty());
  const DaemonConfig& config = loaded.config;
  EXPECT_EQ(config.cache.type, store::StoreType::postgres);
  EXPECT_EQ(config.cache.dsn, "postgres://user@%2Frun%2Fpostgresql/user");
  EXPECT_EQ(config.default_zone.tlsrpt, core::TlsrptAttributes::on);
  // As in the peer, a zone does not inherit from default_zone: it takes the built-in default.
  EXPECT_EQ(config.zones.at("myzone").tlsrpt, core::TlsrptAttributes::off);
  EXPECT_EQ(config.zones.at("legacy").tlsrpt, core::TlsrptAttributes::off);
}

TEST(DaemonConfig_Cache, UnknownOption_WarningNotError) {
  const ConfigLoad loaded = parse_ok("cache: {options: {cache_size: 0x10, ttl: 5}}\n");
  EXPECT_THAT(loaded.warnings,
              ElementsAre(HasSubstr("cache.options.ttl: unknown option for cache type")));
  EXPECT_EQ(loaded.config.cache.cache_size, 16u);
}

TEST(DaemonConfig_Peer, Version15UnixSocket_OctalMode) {
  const ConfigLoad loaded = parse_ok(read_text(kConfigDir + "peer-1.5-unixsock.yml"));
  EXPECT_THAT(loaded.warnings, ElementsAre(HasSubstr("cache.options.threads: accepted")));
  const auto* listen = std::get_if<UnixListen>(&loaded.config.listen);
  ASSERT_NE(listen, nullptr);
  EXPECT_EQ(listen->path, "/var/run/mta-sts.sock");
  EXPECT_EQ(listen->mode, 0666u);
  EXPECT_EQ(loaded.config.cache.filename, "/var/lib/mta-sts/cache.db");
  EXPECT_EQ(loaded.config.cache.timeout, 5s);
}

// The store has no Sentinel client: the error says what to write instead.
TEST(DaemonConfig_Peer, Version15RedisSentinel_ErrorNamesCacheType) {
  auto loaded =
      parse_daemon_config(read_text(kConfigDir + "peer-1.5-redis-sentinel.yml"), user_env());
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message, HasSubstr("cache.type: redis_sentinel is not supported"));
}

TEST(DaemonConfig_Mtasts, FullSection_EveryKeyRead) {
  const ConfigLoad loaded = parse_ok(read_text(kConfigDir + "mtasts-full.yml"));
  EXPECT_THAT(loaded.warnings, IsEmpty());
  const MtastsConfig& mtasts = loaded.config.mtasts;
  EXPECT_EQ(mtasts.mx_match, MxMatch::patterns);
  EXPECT_THAT(mtasts.dns_servers, ElementsAre("127.0.0.53", "[::1]:5353"));
  EXPECT_EQ(mtasts.ca_file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(mtasts.metrics, "127.0.0.1:9461");
  EXPECT_EQ(mtasts.state_dir, "/srv/mtasts");
  EXPECT_EQ(mtasts.user, "postfix-sts");
  EXPECT_EQ(mtasts.preload, "/etc/mtasts/preload.txt");
  EXPECT_EQ(mtasts.fetch_threads, 3u);
  // The default SQLite file follows the configured state directory.
  EXPECT_EQ(loaded.config.cache.filename, "/srv/mtasts/cache.db");
  // A YAML merge key (<<), which PyYAML honours, brings default_zone's values into a zone.
  const ZoneConfig& zone = zone_for(loaded.config, "postfix310");
  EXPECT_EQ(zone.tlsrpt, core::TlsrptAttributes::on);
  EXPECT_EQ(zone.timeout, 4s);
}

TEST(DaemonConfig_Mtasts, ExampleFile_ParsesWithoutWarnings) {
  const ConfigLoad loaded = parse_ok(read_text(MTASTS_EXAMPLES_DIR "/daemon.yml"));
  EXPECT_THAT(loaded.warnings, IsEmpty());
  expect_same(loaded.config, parse_ok("").config);
}

TEST(DaemonConfig_Zones, MissingKeys_TakeBuiltInDefaultsNotDefaultZone) {
  const DaemonConfig config = parse_ok(
                                  "default_zone: {strict_testing: true, timeout: 9, "
                                  "require_sni: false, tlsrpt: true}\n"
                                  "zones:\n  a: {timeout: 2}\n  b:\n")
                                  .config;
  EXPECT_EQ(config.zones.at("a"),
            (ZoneConfig{core::TestingMode::report_only, 2s, core::SniMode::hostname,
                        core::TlsrptAttributes::off}));
  EXPECT_EQ(config.zones.at("b"), ZoneConfig{});
  EXPECT_EQ(config.default_zone.timeout, 9s);
}

TEST(DaemonConfig_Zones, ZoneFor_ExactNameElseDefaultZone) {
  const DaemonConfig config =
      parse_ok("default_zone: {timeout: 7}\nzones: {strict: {strict_testing: true}}\n").config;
  EXPECT_EQ(zone_for(config, "strict").strict_testing, core::TestingMode::strict);
  EXPECT_EQ(&zone_for(config, "postfix"), &config.default_zone);
  EXPECT_EQ(&zone_for(config, "Strict"), &config.default_zone);
  EXPECT_EQ(&zone_for(config, ""), &config.default_zone);
  EXPECT_EQ(zone_for(config, "postfix").timeout, 7s);
}

TEST(DaemonConfig_Listen, PathSet_HostAndPortIgnoredWithWarning) {
  const ConfigLoad loaded = parse_ok("path: /run/mtasts.sock\nhost: 0.0.0.0\nport: 1\n");
  EXPECT_EQ(loaded.config.listen, Listen(UnixListen{"/run/mtasts.sock", std::nullopt}));
  EXPECT_THAT(loaded.warnings, ElementsAre(HasSubstr("host, port: ignored")));
}

TEST(DaemonConfig_Listen, ModeWithoutPath_Warning) {
  const ConfigLoad loaded = parse_ok("mode: 0660\n");
  EXPECT_THAT(loaded.warnings, ElementsAre(HasSubstr("mode: ignored")));
}

TEST(DaemonConfig_Listen, EmptyHost_EveryInterfaceWithWarning) {
  for (const char* text : {"host:\n", "host: ''\n"}) {
    const ConfigLoad loaded = parse_ok(text);
    EXPECT_EQ(tcp(loaded.config).host, "") << text;
    EXPECT_THAT(loaded.warnings, ElementsAre(HasSubstr("every interface"))) << text;
  }
}

TEST(DaemonConfig_Listen, NullPath_MeansTcp) {
  EXPECT_EQ(tcp(parse_ok("path:\nport: 9000\n").config).port, 9000);
}

TEST(DaemonConfig_StateDir, Resolution_RootStateDirectoryXdgHome) {
  struct Row {
    ConfigEnvironment env;
    std::string want;
  };
  const Row rows[] = {
      {{true, "", "/x", "/root"}, "/var/lib/mtasts"},
      {{true, "/var/lib/mtasts-a:/var/lib/other", "", ""}, "/var/lib/mtasts-a"},
      {{false, "/run/sd", "/x", "/h"}, "/run/sd"},
      {{false, "", "/home/a/.state", "/home/a"}, "/home/a/.state/mtasts"},
      {{false, "", "relative", "/home/a"}, "/home/a/.local/state/mtasts"},
      {{false, "", "", "/home/a"}, "/home/a/.local/state/mtasts"},
  };
  for (const Row& row : rows) {
    auto dir = default_state_dir(row.env);
    ASSERT_TRUE(dir) << row.want;
    EXPECT_EQ(*dir, row.want);
    EXPECT_EQ(parse_ok("", row.env).config.mtasts.state_dir, row.want);
  }
}

TEST(DaemonConfig_StateDir, NoneApplies_ErrorUnlessGiven) {
  const ConfigEnvironment bare{false, "", "", ""};
  EXPECT_FALSE(default_state_dir(bare));
  auto loaded = parse_daemon_config("", bare);
  ASSERT_FALSE(loaded);
  EXPECT_THAT(loaded.error().message, HasSubstr("mtasts.state_dir"));
  EXPECT_EQ(parse_ok("mtasts: {state_dir: /srv/m}\n", bare).config.mtasts.state_dir, "/srv/m");
}

TEST(DaemonConfig_Mtasts, FetchThreads_ZeroAllowedOutOfRangeNamesTheKey) {
  EXPECT_EQ(parse_ok("mtasts: {fetch_threads: 2}\n").config.mtasts.fetch_threads, 2u);
  EXPECT_EQ(parse_ok("").config.mtasts.fetch_threads, 0u);
  for (const char* bad : {"-1", "65", "two", "1.5"}) {
    auto loaded =
        parse_daemon_config(std::string("mtasts: {fetch_threads: ") + bad + "}\n", user_env());
    ASSERT_FALSE(loaded) << bad;
    EXPECT_THAT(loaded.error().message, HasSubstr("mtasts.fetch_threads")) << bad;
  }
}

TEST(DaemonConfig_Mtasts, Dane_AutoByDefault_OnOffAndYamlBooleans) {
  EXPECT_EQ(parse_ok("").config.mtasts.dane, DaneSetting::automatic);
  EXPECT_EQ(parse_ok("mtasts: {dane: auto}\n").config.mtasts.dane, DaneSetting::automatic);
  for (const char* on : {"on", "true", "yes"}) {
    EXPECT_EQ(parse_ok(std::string("mtasts: {dane: ") + on + "}\n").config.mtasts.dane,
              DaneSetting::on)
        << on;
  }
  for (const char* off : {"off", "false", "no"}) {
    EXPECT_EQ(parse_ok(std::string("mtasts: {dane: ") + off + "}\n").config.mtasts.dane,
              DaneSetting::off)
        << off;
  }
  EXPECT_FALSE(service_options(parse_ok("mtasts: {dane: off}\n").config).dane);
  EXPECT_TRUE(service_options(parse_ok("").config).dane);
  for (const char* bad : {"sometimes", "\"\"", "[on]"}) {
    auto loaded = parse_daemon_config(std::string("mtasts: {dane: ") + bad + "}\n", user_env());
    ASSERT_FALSE(loaded) << bad;
    EXPECT_THAT(loaded.error().message, HasSubstr("mtasts.dane")) << bad;
  }
}

TEST(DaemonConfig_Load, ExplicitFile_ReadWithSource) {
  const std::string path = kConfigDir + "peer-1.1-manpage.yml";
  auto loaded = load_daemon_config(path, user_env(), kNoDefaultFiles);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->source, path);
  EXPECT_TRUE(loaded->config.proactive.enabled);
}

TEST(DaemonConfig_Load, NoFileAndNoDefaultFile_BuiltInDefaults) {
  auto loaded = load_daemon_config(std::nullopt, user_env(), kNoDefaultFiles);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->source, "");
  expect_same(loaded->config, parse_ok("").config);
}

TEST(DaemonConfig_Load, DefaultFileExists_ItIsRead) {
  const std::string path = kConfigDir + "peer-1.5-unixsock.yml";
  auto loaded = load_daemon_config(std::nullopt, user_env(), {path, "/nonexistent/peer.yml"});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->source, path);
  EXPECT_TRUE(std::holds_alternative<UnixListen>(loaded->config.listen));
}

TEST(DaemonConfig_Load, ExplicitFile_OriginGiven) {
  auto loaded =
      load_daemon_config(kConfigDir + "peer-1.1-debian.yml", user_env(),
                         {kConfigDir + "mtasts-full.yml", kConfigDir + "peer-1.5-unixsock.yml"});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->origin, ConfigOrigin::given);
  // Named with -c, the peer's SQLite file is used as written.
  EXPECT_EQ(loaded->config.cache.filename, "/var/lib/mta-sts/cache.db");
}

TEST(DaemonConfig_Load, PeerFileNamedWithC_ReadAsThePeersFile) {
  const std::string peer = kConfigDir + "peer-1.1-debian.yml";
  auto loaded = load_daemon_config(peer, user_env(), {"/nonexistent/daemon.yml", peer});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->origin, ConfigOrigin::peer);
  EXPECT_EQ(loaded->config.cache.filename, "/home/alice/.local/state/mtasts/cache.db");
}

TEST(DaemonConfig_Load, OwnDefaultExists_PeerFileNotRead) {
  const std::string own = kConfigDir + "mtasts-full.yml";
  auto loaded =
      load_daemon_config(std::nullopt, user_env(), {own, kConfigDir + "peer-1.1-debian.yml"});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->source, own);
  EXPECT_EQ(loaded->origin, ConfigOrigin::own);
}

TEST(DaemonConfig_Load, NoOwnFile_PeerFileRead_ItsSqliteFileLeftToThePeer) {
  const std::string peer = kConfigDir + "peer-1.1-debian.yml";
  auto loaded = load_daemon_config(std::nullopt, user_env(), {"/nonexistent/daemon.yml", peer});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->source, peer);
  EXPECT_EQ(loaded->origin, ConfigOrigin::peer);
  EXPECT_EQ(loaded->config.cache.type, store::StoreType::sqlite);
  EXPECT_EQ(loaded->config.cache.filename, "/home/alice/.local/state/mtasts/cache.db");
  EXPECT_THAT(loaded->warnings,
              testing::Contains(
                  "cache.options.filename: /var/lib/mta-sts/cache.db is postfix-mta-sts-resolver's "
                  "cache; mtasts keeps its own at /home/alice/.local/state/mtasts/cache.db (copy "
                  "the peer's policies with: mtasts cache import /var/lib/mta-sts/cache.db)"));
  // The peer's reuse_port would let mtasts share the port with a peer still running.
  EXPECT_FALSE(loaded->config.reuse_port);
  EXPECT_THAT(loaded->warnings, testing::Not(testing::Contains(HasSubstr("reuse_port"))));
  const std::string asks = kConfigDir + "peer-1.1-manpage.yml";  // reuse_port: true, written
  auto asked = load_daemon_config(std::nullopt, user_env(), {"/nonexistent/daemon.yml", asks});
  ASSERT_TRUE(asked) << asked.error().message;
  EXPECT_FALSE(asked->config.reuse_port);
  EXPECT_THAT(asked->warnings, testing::Contains(HasSubstr("reuse_port: not used")));
  // The same file named with -c as another file keeps its reuse_port.
  EXPECT_TRUE(load_daemon_config(peer, user_env(), kNoDefaultFiles)->config.reuse_port);
}

TEST(DaemonConfig_Load, OwnFileSettingNothing_DoesNotHideThePeersFile) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "mtasts-own-empty";
  std::filesystem::create_directories(dir);
  const std::string own = (dir / "daemon.yml").string();
  std::ofstream(own) << "# every setting commented out, as the package installs it\n"
                        "# port: 8461\n\n";
  const std::string peer = kConfigDir + "peer-1.1-debian.yml";
  auto with_peer = load_daemon_config(std::nullopt, user_env(), {own, peer});
  ASSERT_TRUE(with_peer) << with_peer.error().message;
  EXPECT_EQ(with_peer->source, peer);
  EXPECT_EQ(with_peer->origin, ConfigOrigin::peer);
  auto alone = load_daemon_config(std::nullopt, user_env(), {own, "/nonexistent/peer.yml"});
  ASSERT_TRUE(alone) << alone.error().message;
  EXPECT_EQ(alone->source, own);
  expect_same(alone->config, parse_ok("").config);
  // One setting makes it the file that counts.
  std::ofstream(own, std::ios::app) << "port: 8462\n";
  auto edited = load_daemon_config(std::nullopt, user_env(), {own, peer});
  ASSERT_TRUE(edited) << edited.error().message;
  EXPECT_EQ(edited->source, own);
  std::filesystem::remove_all(dir);
}

TEST(DaemonConfig_Load, PeerFiles_EveryPeerExampleStarts_UnknownKeysOnlyWarn) {
  // Every example of both peer versions, read as the peer's default file: no error, and a
  // Redis or PostgreSQL cache is used as configured.
  for (const char* name :
       {"peer-1.1-debian.yml", "peer-1.1-manpage.yml", "peer-1.1-redis.yml",
        "peer-1.5-postgres.yml", "peer-1.5-redis-sentinel.yml", "peer-1.5-unixsock.yml"}) {
    auto loaded = load_daemon_config(std::nullopt, user_env(),
                                     {"/nonexistent/daemon.yml", kConfigDir + name});
    ASSERT_TRUE(loaded) << name << ": " << loaded.error().message;
    EXPECT_EQ(loaded->origin, ConfigOrigin::peer) << name;
  }
  // redis_sentinel (peer 1.5), which mtasts cannot reach: its own SQLite cache, with a warning;
  // named with -c it stays an error.
  const std::string sentinel = kConfigDir + "peer-1.5-redis-sentinel.yml";
  auto fallback =
      load_daemon_config(std::nullopt, user_env(), {"/nonexistent/daemon.yml", sentinel});
  ASSERT_TRUE(fallback) << fallback.error().message;
  EXPECT_EQ(fallback->config.cache.type, store::StoreType::sqlite);
  EXPECT_EQ(fallback->config.cache.filename, "/home/alice/.local/state/mtasts/cache.db");
  EXPECT_THAT(fallback->warnings,
              testing::Contains(HasSubstr("cache.type: redis_sentinel (postfix-mta-sts-resolver) "
                                          "is not supported; mtasts uses its own SQLite cache")));
  auto given = load_daemon_config(sentinel, user_env(), kNoDefaultFiles);
  ASSERT_FALSE(given);
  EXPECT_THAT(given.error().message, HasSubstr("redis_sentinel is not supported"));
  const auto dir = std::filesystem::temp_directory_path() / "mtasts-peer-fallback-test";
  std::filesystem::create_directories(dir);
  const auto peer = dir / "mta-sts-daemon.yml";
  std::ofstream(peer) << "port: 8461\nsome_future_key: 1\ncache:\n  type: redis\n  options:\n"
                         "    url: redis://127.0.0.1/0\n    max_connections: 25\n";
  auto loaded =
      load_daemon_config(std::nullopt, user_env(), {"/nonexistent/daemon.yml", peer.string()});
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.cache.type, store::StoreType::redis);
  EXPECT_EQ(loaded->config.cache.url, "redis://127.0.0.1/0");
  ASSERT_EQ(loaded->warnings.size(), 2U);
  EXPECT_THAT(loaded->warnings[0], HasSubstr("some_future_key: unknown key, ignored"));
  EXPECT_THAT(loaded->warnings[1], HasSubstr("cache.options.max_connections"));
}

TEST(DaemonConfig_Load, MissingOrBadFile_ErrorNamesFile) {
  auto missing = load_daemon_config("/nonexistent/x.yml", user_env(), DefaultConfigFiles{});
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("/nonexistent/x.yml: cannot read"));

  const auto bad = std::filesystem::temp_directory_path() / "mtasts-daemon-config-test.yml";
  std::ofstream(bad) << "zones:\n  z:\n    timeout: abc\n";
  auto loaded = load_daemon_config(bad.string(), user_env(), DefaultConfigFiles{});
  std::filesystem::remove(bad);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message,
            bad.string() +
                ": zones.z.timeout: expected a positive number of seconds, got "
                "\"abc\" (line 3)");
}

}  // namespace
}  // namespace mtasts::app

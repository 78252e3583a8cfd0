// store_config_from(): the peer's cache types and options, their defaults, and errors that
// name the key.

#include "mtasts/store/store_config.hpp"

#include <gtest/gtest.h>

namespace mtasts::store {
namespace {

using std::chrono::milliseconds;
using Options = std::map<std::string, std::string>;

TEST(StoreConfig, Internal_PeerDefaultCacheSize) {
  const auto config = store_config_from("internal", {});
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->type, StoreType::memory);
  EXPECT_EQ(config->cache_size, 10000U);
  EXPECT_EQ(store_config_from("internal", {{"cache_size", "500"}})->cache_size, 500U);
  EXPECT_EQ(store_config_from("memory", {})->type, StoreType::memory);
}

TEST(StoreConfig, UnknownOptions_ListedForAWarningNotAnError) {
  const auto typo = store_config_from("sqlite", {{"filenmae", "x"}});
  ASSERT_TRUE(typo.has_value()) << typo.error().message;
  EXPECT_EQ(typo->unknown_options, std::vector<std::string>{"filenmae"});
  const auto other = store_config_from("internal", {{"url", "redis://x"}});
  ASSERT_TRUE(other.has_value()) << other.error().message;
  EXPECT_EQ(other->unknown_options, std::vector<std::string>{"url"});
}

TEST(StoreConfig, Sqlite_FilenameTimeoutAndIgnoredThreads) {
  const auto config = store_config_from(
      "sqlite", {{"filename", "/var/lib/x.db"}, {"timeout", "2.5"}, {"threads", "4"}});
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->type, StoreType::sqlite);
  EXPECT_EQ(config->filename, "/var/lib/x.db");
  EXPECT_EQ(config->timeout, milliseconds(2500));
  EXPECT_EQ(config->ignored_options, std::vector<std::string>{"threads"});
  EXPECT_EQ(store_config_from("sqlite", {{"timeout", "0"}})->timeout, milliseconds(0));
  EXPECT_EQ(store_config_from("sqlite", {})->timeout, milliseconds(5000));
  EXPECT_TRUE(store_config_from("sqlite", {})->filename.empty());
}

TEST(StoreConfig, Redis_PeerOptions) {
  const auto config = store_config_from("redis", {{"url", "redis://:pw@cache.example:6380/2"},
                                                  {"socket_timeout", "1.0"},
                                                  {"socket_connect_timeout", "0.5"},
                                                  {"max_connections", "25"},
                                                  {"key_prefix", "fleet:"},
                                                  {"db", "3"}});
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->type, StoreType::redis);
  EXPECT_EQ(config->timeout, milliseconds(1000));
  EXPECT_EQ(config->connect_timeout, milliseconds(500));
  EXPECT_EQ(config->key_prefix, "fleet:");
  EXPECT_EQ(config->redis_db, 3);
  EXPECT_EQ(config->ignored_options, std::vector<std::string>{"max_connections"});
  const auto defaults = store_config_from("redis", {{"url", "unix:///run/redis.sock?db=1"}});
  ASSERT_TRUE(defaults.has_value()) << defaults.error().message;
  EXPECT_EQ(defaults->timeout, milliseconds(5000));
  EXPECT_EQ(defaults->connect_timeout, milliseconds(5000));
  EXPECT_EQ(defaults->key_prefix, kDefaultRedisKeyPrefix);
}

TEST(StoreConfig, Postgres_PeerOptions) {
  const auto config = store_config_from(
      "postgres",
      {{"dsn", "postgres://user@%2Frun%2Fpostgresql/user"}, {"timeout", "3"}, {"max_size", "10"}});
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->type, StoreType::postgres);
  EXPECT_EQ(config->dsn, "postgres://user@%2Frun%2Fpostgresql/user");
  EXPECT_EQ(config->timeout, milliseconds(3000));
  EXPECT_EQ(config->connect_timeout, milliseconds(3000));
  EXPECT_EQ(config->table, kDefaultPostgresTable);
  EXPECT_EQ(config->ignored_options, std::vector<std::string>{"max_size"});
  const auto command = store_config_from(
      "postgres", {{"dsn", ""}, {"timeout", "3"}, {"command_timeout", "1"}, {"table", "t_1"}});
  ASSERT_TRUE(command.has_value()) << command.error().message;
  EXPECT_EQ(command->timeout, milliseconds(1000));
  EXPECT_EQ(command->connect_timeout, milliseconds(3000));
  EXPECT_EQ(command->table, "t_1");
}

struct BadCase {
  const char* name;
  const char* type;
  Options options;
  const char* key;  // what the message must name
};

class StoreConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(StoreConfigErrors, InvalidConfig_NamingTheKey) {
  const BadCase& bad = GetParam();
  const auto config = store_config_from(bad.type, bad.options);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, Errc::invalid_config);
  EXPECT_NE(config.error().message.find(bad.key), std::string::npos) << config.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, StoreConfigErrors,
    ::testing::Values(
        BadCase{"UnknownType", "memcached", {}, "cache.type"},
        BadCase{"Sentinel", "redis_sentinel", {}, "cache.type"},
        BadCase{"CacheSizeZero", "internal", {{"cache_size", "0"}}, "cache.options.cache_size"},
        BadCase{"CacheSizeText", "internal", {{"cache_size", "many"}}, "cache.options.cache_size"},
        BadCase{"TimeoutNegative", "sqlite", {{"timeout", "-1"}}, "cache.options.timeout"},
        BadCase{"TimeoutHuge", "sqlite", {{"timeout", "86400"}}, "cache.options.timeout"},
        BadCase{"SocketTimeoutZero",
                "redis",
                {{"url", "redis://x"}, {"socket_timeout", "0"}},
                "cache.options.socket_timeout"},
        BadCase{"RedisWithoutUrl", "redis", {}, "cache.options.url"},
        BadCase{"RedisTls", "redis", {{"url", "rediss://x"}}, "cache.options.url"},
        BadCase{"RedisHttp", "redis", {{"url", "http://x"}}, "cache.options.url"},
        BadCase{"RedisBadPort", "redis", {{"url", "redis://x:99999"}}, "cache.options.url"},
        BadCase{"RedisBadDb", "redis", {{"url", "redis://x/abc"}}, "cache.options.url"},
        BadCase{"RedisDbOption", "redis", {{"url", "redis://x"}, {"db", "-1"}}, "cache.options.db"},
        BadCase{"RedisEmptyPrefix",
                "redis",
                {{"url", "redis://x"}, {"key_prefix", ""}},
                "cache.options.key_prefix"},
        BadCase{"PostgresTable", "postgres", {{"table", "drop table x;"}}, "cache.options.table"},
        BadCase{"SqliteEmptyFilename", "sqlite", {{"filename", ""}}, "cache.options.filename"}),
    [](const ::testing::TestParamInfo<BadCase>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace mtasts::store

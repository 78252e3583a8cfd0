// The PostgreSQL store against the real server of scripts/start-test-stores.sh: statements
// bounded by the timeout, and errors for an unreachable server or a malformed dsn.

#include <gtest/gtest.h>

#include "store_test_support.hpp"

namespace mtasts::store::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

TEST(PostgresStore, TableLockedByAnotherSession_FailsWithinTheTimeoutThenRecovers) {
  auto config = postgres_config();
  ASSERT_TRUE(config.has_value());
  config->timeout = milliseconds(500);
  auto store = open_or_fail(*config);
  ASSERT_NE(store, nullptr);
  const TimePoint now = wall_now();
  ASSERT_TRUE(store->put(make_policy("example.com", "id", now)));

  // Another session holds the table for two seconds.
  const std::string locker = "psql -q '" + config->dsn + "' -c 'BEGIN; LOCK TABLE \"" +
                             config->table +
                             "\" IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;'"
                             " >/dev/null 2>&1 &";
  ASSERT_EQ(std::system(locker.c_str()), 0);
  const std::string table = "\"" + config->table + "\"";
  ASSERT_TRUE(wait_for_table_lock(config->dsn, table, LockState::held))
      << "the table was not locked: is psql installed? run " << kStartScript;

  const auto start = Clock::now();
  const auto get = store->get("example.com", now);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(get.has_value()) << "the table was not locked: is psql installed? run "
                                << kStartScript;
  EXPECT_EQ(get.error().code, Errc::unavailable) << get.error().message;
  EXPECT_LT(elapsed, milliseconds(1400));

  ASSERT_TRUE(wait_for_table_lock(config->dsn, table, LockState::released));
  const auto got = store->get("example.com", now);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_TRUE(got->has_value());
  store.reset();
  drop_postgres_table(*config);
}

TEST(PostgresStore, Open_NothingListening_UnavailableNamingTheServer) {
  StoreConfig config;
  config.type = StoreType::postgres;
  expect_postgres_unreachable(config, open_store);
}

TEST(PostgresStore, Open_MalformedDsn_InvalidConfig) {
  StoreConfig config;
  config.type = StoreType::postgres;
  config.dsn = "host=127.0.0.1 port";
  const auto store = open_store(config);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::invalid_config) << store.error().message;
}

}  // namespace
}  // namespace mtasts::store::test

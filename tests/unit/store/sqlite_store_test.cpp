// The SQLite store's own failure modes: a full disk, a schema from a newer mtasts, a file
// shared with the peer, and persistence across reopening (sqlite_file_test.cpp: damaged files
// and directories it cannot write).

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store_test_support.hpp"

namespace mtasts::store::test {
namespace {

using std::chrono::seconds;

StoreConfig sqlite_config(const std::filesystem::path& file) {
  StoreConfig config;
  config.type = StoreType::sqlite;
  config.filename = file.string();
  config.timeout = std::chrono::milliseconds(500);
  return config;
}

void run_sql(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(SqliteStore, Open_NewerSchema_Incompatible) {
  const ScratchDir dir;
  const auto file = dir.path() / "cache.db";
  ASSERT_TRUE(open_store(sqlite_config(file)).has_value());
  run_sql(file, "UPDATE mtasts_schema SET version = 99");
  const auto store = open_store(sqlite_config(file));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::incompatible) << store.error().message;
}

TEST(SqliteStore, Open_PeerDatabase_KeepsItsTableAndAddsOurs) {
  const ScratchDir dir;
  const auto file = dir.path() / "cache.db";
  run_sql(file,
          "CREATE TABLE sts_policy_cache (domain text, ts integer, pol_id text, pol_body text);"
          "INSERT INTO sts_policy_cache VALUES ('example.com', 1, 'x', '{}')");
  auto store = open_store(sqlite_config(file));
  ASSERT_TRUE(store.has_value()) << store.error().message;
  EXPECT_TRUE((*store)->put(make_policy("example.com", "id", wall_now())));
  store->reset();
  run_sql(file, "DELETE FROM sts_policy_cache WHERE domain = 'example.com'");
}

TEST(SqliteStore, Reopen_KeepsEntries) {
  const ScratchDir dir;
  const auto file = dir.path() / "cache.db";
  const TimePoint now = wall_now();
  const StoredPolicy policy = make_policy("example.com", "id1", now);
  {
    auto store = open_store(sqlite_config(file));
    ASSERT_TRUE(store.has_value()) << store.error().message;
    ASSERT_TRUE((*store)->put(policy));
  }
  auto store = open_store(sqlite_config(file));
  ASSERT_TRUE(store.has_value()) << store.error().message;
  const auto got = (*store)->get("example.com", now + seconds(3600));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, policy);
}

TEST(SqliteStore, Put_DiskFull_WriteFailedThenRecovers) {
  const ScratchDir dir;
  const auto file = dir.path() / "cache.db";
  auto store = open_store(sqlite_config(file));
  ASSERT_TRUE(store.has_value()) << store.error().message;
  const TimePoint now = wall_now();
  ASSERT_TRUE((*store)->put(make_policy("first.example", "id", now)));
  std::optional<Error> failure;
  {
    const FileSizeLimit limit(64 * 1024);  // the WAL soon needs more
    StoredPolicy big = make_policy("big.example", "id", now);
    big.body.assign(60 * 1024, 'x');
    for (int i = 0; i < 20 && !failure; ++i) {
      big.domain = "big" + std::to_string(i) + ".example";
      if (auto put = (*store)->put(big); !put) {
        failure = put.error();
      }
    }
  }
  ASSERT_TRUE(failure.has_value()) << "writing past RLIMIT_FSIZE never failed";
  EXPECT_EQ(failure->code, Errc::write_failed) << failure->message;
  EXPECT_TRUE((*store)->put(make_policy("after.example", "id", now)));
  const auto first = (*store)->get("first.example", now);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(first->has_value());
}

}  // namespace
}  // namespace mtasts::store::test

// Reading postfix-mta-sts-resolver's SQLite cache: the schema its sqlite_cache.py creates, the
// file never written, foreign and damaged files refused with a message naming the file.

#include "mtasts/store/peer_sqlite_cache.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>

#include "store_test_support.hpp"

namespace mtasts::store::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// The peer's setup() statements, verbatim (postfix_mta_sts_resolver/sqlite_cache.py, 1.1.2).
constexpr const char* kPeerSchema =
    "PRAGMA journal_mode=WAL;"
    "create table if not exists proactive_fetch_ts (id integer primary key, last_fetch_ts "
    "integer);"
    "create table if not exists sts_policy_cache (domain text, ts integer, pol_id text, "
    "pol_body text);"
    "create unique index if not exists sts_policy_domain on sts_policy_cache (domain);"
    "create index if not exists sts_policy_domain_ts on sts_policy_cache (domain, ts);";

void run_sql(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

std::string bytes_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::filesystem::path peer_file(const ScratchDir& dir) {
  const auto file = dir.path() / "cache.db";
  run_sql(file, kPeerSchema);
  run_sql(file,
          "INSERT INTO sts_policy_cache VALUES ('a.example', 1700000000, '1', "
          "'{\"mx\": [\"mx.a.example\"], \"version\": \"STSv1\", \"mode\": \"enforce\", "
          "\"max_age\": 86400}');"
          "INSERT INTO sts_policy_cache VALUES ('b.example', NULL, NULL, NULL);"
          "INSERT INTO sts_policy_cache VALUES ('c.example', 'soon', 'x', '{}');");
  // Back to a rollback journal, so that the file alone is the whole database and a write would
  // show in its bytes.
  run_sql(file, "PRAGMA journal_mode=DELETE");
  return file;
}

TEST(PeerSqliteCache, PeerSchema_RowsInRowidOrder_ByPage) {
  const ScratchDir dir;
  const auto file = peer_file(dir);
  auto cache = PeerSqliteCache::open(file.string(), 500ms);
  ASSERT_TRUE(cache) << cache.error().message;
  auto first = (*cache)->page(0, 2);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->size(), 2U);
  EXPECT_EQ((*first)[0].rowid, 1);
  EXPECT_EQ((*first)[0].domain, "a.example");
  EXPECT_EQ((*first)[0].ts, std::optional<std::int64_t>(1'700'000'000));
  EXPECT_EQ((*first)[0].policy_id, "1");
  EXPECT_THAT((*first)[0].body, HasSubstr("\"mode\": \"enforce\""));
  EXPECT_EQ((*first)[1].domain, "b.example");
  EXPECT_EQ((*first)[1].ts, std::nullopt);
  EXPECT_EQ((*first)[1].policy_id, "");
  EXPECT_EQ((*first)[1].body, "");
  auto second = (*cache)->page((*first)[1].rowid, 2);
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_EQ(second->size(), 1U);
  EXPECT_EQ((*second)[0].domain, "c.example");
  EXPECT_EQ((*second)[0].ts, std::nullopt);  // text, not an integer
  auto end = (*cache)->page((*second)[0].rowid, 2);
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->empty());
}

TEST(PeerSqliteCache, Read_FileUnchanged) {
  const ScratchDir dir;
  const auto file = peer_file(dir);
  const std::string before = bytes_of(file);
  {
    auto cache = PeerSqliteCache::open(file.string(), 500ms);
    ASSERT_TRUE(cache) << cache.error().message;
    ASSERT_TRUE((*cache)->page(0, 100));
  }
  EXPECT_EQ(bytes_of(file), before);
  EXPECT_FALSE(std::filesystem::exists(file.string() + "-journal"));
  EXPECT_FALSE(std::filesystem::exists(file.string() + "-wal"));
}

TEST(PeerSqliteCache, InUseByAWriter_CommittedRowsRead) {
  const ScratchDir dir;
  const auto file = peer_file(dir);
  run_sql(file, "PRAGMA journal_mode=WAL");
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer,
                         "BEGIN IMMEDIATE; INSERT INTO sts_policy_cache VALUES ('d.example', 1, "
                         "'1', '{}')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto cache = PeerSqliteCache::open(file.string(), 500ms);
  ASSERT_TRUE(cache) << cache.error().message;
  auto rows = (*cache)->page(0, 100);
  sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(writer);
  ASSERT_TRUE(rows) << rows.error().message;
  EXPECT_EQ(rows->size(), 3U);
}

TEST(PeerSqliteCache, Refused_MessageNamesFileAndWhy) {
  const ScratchDir dir;
  const auto missing = dir.path() / "missing.db";
  const auto text = dir.path() / "text.db";
  std::ofstream(text) << "this is not a database, it is a text file long enough to be read\n";
  const auto foreign = dir.path() / "foreign.db";
  run_sql(foreign, "CREATE TABLE t (x)");
  const auto other_columns = dir.path() / "columns.db";
  run_sql(other_columns, "CREATE TABLE sts_policy_cache (domain text, ts integer)");
  const std::tuple<std::filesystem::path, Errc, const char*> cases[] = {
      {missing, Errc::unavailable, "no such file"},
      {dir.path(), Errc::unavailable, "not a regular file"},
      {text, Errc::corrupt, "not a database"},
      {foreign, Errc::incompatible, "no table sts_policy_cache"},
      {other_columns, Errc::incompatible, "has no column pol_id"},
  };
  for (const auto& [file, code, why] : cases) {
    auto cache = PeerSqliteCache::open(file.string(), 500ms);
    ASSERT_FALSE(cache) << file;
    EXPECT_EQ(cache.error().code, code) << cache.error().message;
    EXPECT_THAT(cache.error().message, HasSubstr("peer cache " + file.string())) << file;
    EXPECT_THAT(cache.error().message, HasSubstr(why)) << file;
  }
}

}  // namespace
}  // namespace mtasts::store::test

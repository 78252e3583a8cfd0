// The SQLite store's failure modes: a damaged or foreign file, a directory it cannot write, a
// full disk, a schema from a newer mtasts, and persistence across reopening.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

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

void write_file(const std::filesystem::path& file, const std::string& bytes,
                std::streamoff offset = 0) {
  std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
  if (!out) {
    out.open(file, std::ios::out | std::ios::binary);
  }
  out.seekp(offset);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void run_sql(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(SqliteStore, Open_GarbageFile_CorruptNamingTheFile) {
  const ScratchDir dir;
  const auto file = dir.path() / "cache.db";
  write_file(file, std::string(4096, '\x5a'));
  const auto store = open_store(sqlite_config(file));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::corrupt);
  EXPECT_NE(store.error().message.find(file.string()), std::string::npos) << store.error().message;
}

TEST(SqliteStore, Open_DamagedPages_Corrupt) {
  const ScratchDir dir;
  const auto file = dir.path() / "cache.db";
  {
    auto store = open_store(sqlite_config(file));
    ASSERT_TRUE(store.has_value()) << store.error().message;
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(
          (*store)->put(make_policy("d" + std::to_string(i) + ".example", "id", wall_now())));
    }
  }
  // Page 1 (the header) stays intact; the b-tree pages after it are overwritten.
  write_file(file, std::string(3 * 4096, '\x5a'), 4096);
  const auto store = open_store(sqlite_config(file));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::corrupt) << store.error().message;
}

TEST(SqliteStore, Open_DirectoryCannotBeCreated_WriteFailed) {
  const ScratchDir dir;
  write_file(dir.path() / "not-a-directory", "x");
  const auto store = open_store(sqlite_config(dir.path() / "not-a-directory" / "cache.db"));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::write_failed) << store.error().message;
}

TEST(SqliteStore, Open_UnwritableDirectory_WriteFailed) {
  if (::geteuid() == 0) {
    // Root writes through directory permissions; a directory that cannot be created stands
    // in for it (Open_DirectoryCannotBeCreated_WriteFailed), and the full disk below.
    const auto store = open_store(sqlite_config("/proc/mtasts-cannot-exist/cache.db"));
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, Errc::write_failed) << store.error().message;
    return;
  }
  const ScratchDir dir;
  std::filesystem::permissions(
      dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  const auto store = open_store(sqlite_config(dir.path() / "cache.db"));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::write_failed) << store.error().message;
}

TEST(SqliteStore, Open_EmptyFilename_InvalidConfig) {
  const auto store = open_store(sqlite_config(""));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::invalid_config);
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

// Restores RLIMIT_FSIZE and the SIGXFSZ disposition when the test ends.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{bytes, saved_.rlim_max};
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  sighandler_t old_handler_ = SIG_DFL;
};

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

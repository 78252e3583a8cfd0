// The SQLite hosting store's own behaviour: the private file and directories it creates, a
// damaged file, a directory it cannot write, a full disk (a transaction is all or nothing),
// and waits on another writer bounded by the timeout.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "hosting_test_support.hpp"

namespace mtasts::store::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

void write_bytes(const std::filesystem::path& file, const std::string& bytes,
                 std::streamoff offset = 0) {
  std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
  if (!out) {
    out.open(file, std::ios::out | std::ios::binary);
  }
  out.seekp(offset);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777U;
}

TEST(SqliteHostingStore, Open_CreatesThePrivateFileAndDirectories) {
  const ScratchDir dir;
  const auto file = dir.path() / "a" / "b" / "hosting.db";
  auto store = open_hosting_or_fail(sqlite_hosting_config(file));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_certificate(make_certificate("mta-sts.example.com", "C", "PRIVATE KEY",
                                                      host_time(kT0), host_time(kT0 + 1))));
  EXPECT_EQ(mode_of(file), 0600U);
  EXPECT_EQ(mode_of(dir.path() / "a"), 0700U);
  EXPECT_EQ(mode_of(dir.path() / "a" / "b"), 0700U);
  // The write-ahead log holds the key too until a checkpoint.
  const auto wal = std::filesystem::path(file.string() + "-wal");
  ASSERT_TRUE(std::filesystem::exists(wal));
  EXPECT_EQ(mode_of(wal), 0600U);
}

TEST(SqliteHostingStore, Open_ExistingFile_KeepsItsMode) {
  const ScratchDir dir;
  const auto file = dir.path() / "hosting.db";
  write_bytes(file, "");
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  ASSERT_NE(open_hosting_or_fail(sqlite_hosting_config(file)), nullptr);
  EXPECT_EQ(mode_of(file), 0640U);
}

TEST(SqliteHostingStore, Open_GarbageFile_CorruptNamingTheFile) {
  const ScratchDir dir;
  const auto file = dir.path() / "hosting.db";
  write_bytes(file, std::string(4096, '\x5a'));
  const auto store = open_hosting_store(sqlite_hosting_config(file));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::corrupt);
  EXPECT_NE(store.error().message.find(file.string()), std::string::npos) << store.error().message;
}

TEST(SqliteHostingStore, Open_DamagedPages_Corrupt) {
  const ScratchDir dir;
  const auto file = dir.path() / "hosting.db";
  {
    auto store = open_hosting_or_fail(sqlite_hosting_config(file));
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(
          store->append_audit(audit_entry("d" + std::to_string(i) + ".example", "domain.add",
                                          host_time(kT0), std::string(200, 'x'))));
    }
  }
  // Page 1 (the header) stays intact; the b-tree pages after it are overwritten.
  write_bytes(file, std::string(3 * 4096, '\x5a'), 4096);
  const auto store = open_hosting_store(sqlite_hosting_config(file));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::corrupt) << store.error().message;
  EXPECT_NE(store.error().message.find(file.string()), std::string::npos) << store.error().message;
}

TEST(SqliteHostingStore, Open_DirectoryCannotBeCreated_WriteFailed) {
  const ScratchDir dir;
  write_bytes(dir.path() / "not-a-directory", "x");
  const auto store =
      open_hosting_store(sqlite_hosting_config(dir.path() / "not-a-directory" / "hosting.db"));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::write_failed) << store.error().message;
}

TEST(SqliteHostingStore, Open_UnwritableDirectory_WriteFailed) {
  if (::geteuid() == 0) {
    // Root writes through directory permissions; a directory that cannot be created stands
    // in for it.
    const auto store =
        open_hosting_store(sqlite_hosting_config("/proc/mtasts-cannot-exist/hosting.db"));
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, Errc::write_failed) << store.error().message;
    return;
  }
  const ScratchDir dir;
  std::filesystem::permissions(
      dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  const auto store = open_hosting_store(sqlite_hosting_config(dir.path() / "hosting.db"));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::write_failed) << store.error().message;
}

TEST(SqliteHostingStore, Open_EmptyFilename_InvalidConfig) {
  const auto store = open_hosting_store(sqlite_hosting_config(""));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::invalid_config);
}

TEST(SqliteHostingStore, Open_RecordsTheSchemaVersion) {
  const ScratchDir dir;
  const auto file = dir.path() / "hosting.db";
  ASSERT_NE(open_hosting_or_fail(sqlite_hosting_config(file)), nullptr);
  ASSERT_NE(open_hosting_or_fail(sqlite_hosting_config(file)), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM host_schema", -1, &statement,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), 1);
  EXPECT_EQ(sqlite3_column_int(statement, 1), 1);
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST(SqliteHostingStore, Write_AnotherProcessHoldsTheLock_UnavailableWithinTheTimeout) {
  const ScratchDir dir;
  const auto file = dir.path() / "hosting.db";
  HostingStoreConfig config = sqlite_hosting_config(file);
  config.timeout = milliseconds(300);
  auto store = open_hosting_or_fail(config);
  ASSERT_NE(store, nullptr);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  const auto start = Clock::now();
  const auto added = store->add_domain(make_domain_row("example.com", "1", host_time(kT0)),
                                       audit_entry("example.com", "domain.add", host_time(kT0)));
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, Errc::unavailable) << added.error().message;
  EXPECT_LT(elapsed, seconds(3));
  // Reads go on meanwhile (WAL).
  EXPECT_TRUE(store->list_domains().has_value());

  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(store->add_domain(make_domain_row("example.com", "1", host_time(kT0)),
                                audit_entry("example.com", "domain.add", host_time(kT0))));
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

TEST(SqliteHostingStore, AddDomain_DiskFull_WriteFailedAndNothingHalfWritten) {
  const ScratchDir dir;
  auto store = open_hosting_or_fail(sqlite_hosting_config(dir.path() / "hosting.db"));
  ASSERT_NE(store, nullptr);
  const HostTime now = host_time(kT0);
  std::optional<Error> failure;
  std::string failed_name;
  {
    const FileSizeLimit limit(256 * 1024);  // the WAL soon needs more
    for (int i = 0; i < 40 && !failure; ++i) {
      const std::string name = "d" + std::to_string(i) + ".example";
      auto added =
          store->add_domain(make_domain_row(name, "1", now),
                            audit_entry(name, "domain.add", now, std::string(30'000, 'x')));
      if (!added) {
        failure = added.error();
        failed_name = name;
      }
    }
  }
  ASSERT_TRUE(failure.has_value()) << "writing past RLIMIT_FSIZE never failed";
  EXPECT_EQ(failure->code, Errc::write_failed) << failure->message;
  // The transaction left nothing behind: no domain, no version, no audit entry.
  const auto got = store->get_domain(failed_name);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, std::nullopt);
  const auto versions = store->history(failed_name, 10);
  ASSERT_TRUE(versions.has_value()) << versions.error().message;
  EXPECT_TRUE(versions->empty());
  const auto audit = store->audit_log(failed_name, 10);
  ASSERT_TRUE(audit.has_value()) << audit.error().message;
  EXPECT_TRUE(audit->empty());
  // And the store writes again once there is room.
  EXPECT_TRUE(store->add_domain(make_domain_row(failed_name, "1", now),
                                audit_entry(failed_name, "domain.add", now)));
}

}  // namespace
}  // namespace mtasts::store::test

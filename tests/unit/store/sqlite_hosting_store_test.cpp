// The SQLite hosting store's own behaviour: the private file and directories it creates, a full
// disk (a transaction is all or nothing), and waits on another writer bounded by the timeout
// (sqlite_file_test.cpp: damaged files and directories it cannot write).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "hosting_test_support.hpp"

namespace mtasts::store::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

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
  EXPECT_EQ(sqlite3_column_int(statement, 1), 4);  // version 4: reports by start
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST(SqliteHostingStore, Open_Version2_MigratesToInstancesKeepingTheData) {
  const ScratchDir dir;
  const auto file = dir.path() / "hosting.db";
  const HostTime t0{std::chrono::seconds(1'750'000'000)};
  {
    auto store = open_hosting_or_fail(sqlite_hosting_config(file));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put_acme_account(
        AcmeAccountRow{"https://ca.test/dir", "KEY", "https://ca.test/acct/1", t0}));
  }
  // The file as mtasts of schema version 2 left it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX host_reports_start; DROP TABLE host_instances;"
                         " UPDATE host_schema SET version = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  auto store = open_hosting_or_fail(sqlite_hosting_config(file));
  ASSERT_NE(store, nullptr);
  const auto account = store->get_acme_account("https://ca.test/dir");
  ASSERT_TRUE(account.has_value()) << account.error().message;
  ASSERT_TRUE(account->has_value());
  EXPECT_EQ((*account)->account_url, "https://ca.test/acct/1");
  ASSERT_TRUE(
      store->put_instance(InstanceRow{"host-a", "1.0", t0, t0, std::chrono::seconds(5), "[]"}));
  const auto instances = store->list_instances();
  ASSERT_TRUE(instances.has_value()) << instances.error().message;
  EXPECT_EQ(instances->size(), 1u);
}

// A report of `domain` by "Org A" (id r1) for the day from `start`, without sessions.
NewReport one_report(std::string domain, HostTime start) {
  NewReport report;
  report.report.domain = std::move(domain);
  report.report.reporter = "Org A";
  report.report.report_id = "r1";
  report.report.start = start;
  report.report.end = start + std::chrono::hours(24);
  report.report.received_at = report.report.end;
  report.report.findings = "[]";
  report.report.raw = "{}";
  return report;
}

// What SQLite's planner does with `sql`: the detail column of EXPLAIN QUERY PLAN, one line each.
std::string query_plan(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &statement, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string plan;
  while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
    plan += '\n';
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return plan;
}

TEST(SqliteHostingStore, Open_Version3_AddsTheStartIndexKeepingTheReports) {
  const ScratchDir dir;
  const auto file = dir.path() / "hosting.db";
  const HostTime start{std::chrono::seconds(1'750'032'000)};
  {
    auto store = open_hosting_or_fail(sqlite_hosting_config(file));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->reports().add_reports({one_report("example.com", start)}));
  }
  // The file as mtasts of schema version 3 left it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP INDEX host_reports_start; UPDATE host_schema SET version = 3",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string list_all =
      "SELECT id FROM host_reports WHERE start_at >= 0 AND start_at < 9999999999"
      " ORDER BY start_at DESC, id DESC LIMIT 50";
  EXPECT_EQ(query_plan(file, list_all).find("host_reports_start"), std::string::npos);

  auto store = open_hosting_or_fail(sqlite_hosting_config(file));
  ASSERT_NE(store, nullptr);
  const auto listed = store->reports().list_reports("", start, start + std::chrono::hours(1), 10);
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->front().report_id, "r1");
  // The Reports page's list and the prune read reports by time through the new index.
  EXPECT_NE(query_plan(file, list_all).find("INDEX host_reports_start (start_at"),
            std::string::npos)
      << query_plan(file, list_all);
  // The prune's first question (sql_report_store.cpp kPruneDomains), as written there.
  const std::string prune_domains =
      "SELECT DISTINCT domain FROM host_reports WHERE start_at >= $2 AND start_at < $1";
  EXPECT_NE(query_plan(file, prune_domains).find("INDEX host_reports_start (start_at"),
            std::string::npos)
      << query_plan(file, prune_domains);
}

// The page of `file` where table `table`'s b-tree starts, and the page size.
std::pair<std::int64_t, std::int64_t> root_page(const std::filesystem::path& file,
                                                const std::string& table) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  std::int64_t page = 0;
  std::int64_t size = 0;
  sqlite3_stmt* statement = nullptr;
  const std::string sql =
      "SELECT rootpage, (SELECT page_size FROM pragma_page_size)"
      " FROM sqlite_master WHERE name = '" +
      table + "'";
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK);
  if (sqlite3_step(statement) == SQLITE_ROW) {
    page = sqlite3_column_int64(statement, 0);
    size = sqlite3_column_int64(statement, 1);
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return {page, size};
}

TEST(SqliteHostingStore, Open_LargeFile_ChecksEveryTableButTheReports) {
  const ScratchDir dir;
  const auto made = dir.path() / "made.db";
  {
    auto store = open_hosting_or_fail(sqlite_hosting_config(made));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->add_domain(make_domain_row("a.example", "1", host_time(kT0)),
                                  audit_entry("a.example", "domain.add", host_time(kT0))));
    ASSERT_TRUE(store->reports().add_reports({one_report("a.example", host_time(kT0))}));
  }
  // damaged(TABLE, BYTES): a copy with TABLE's root page overwritten, BYTES long (the zeros
  // after SQLite's own pages are left alone by SQLite, as free space at the end is).
  int copies = 0;
  auto damaged = [&](const std::string& table, std::uintmax_t bytes) {
    const auto copy = dir.path() / ("copy" + std::to_string(++copies) + ".db");
    std::filesystem::copy_file(made, copy);
    const auto [page, page_size] = root_page(copy, table);
    EXPECT_GT(page, 1) << table;
    write_bytes(copy, std::string(static_cast<std::size_t>(page_size), '\x5a'),
                static_cast<std::streamoff>((page - 1) * page_size));
    std::filesystem::resize_file(copy, std::max(bytes, std::filesystem::file_size(copy)));
    return copy;
  };
  constexpr std::uintmax_t kLarge = std::uintmax_t{300} << 20;  // past the full check's 256 MiB

  // Small: the whole file is checked.
  auto opened = open_hosting_store(sqlite_hosting_config(damaged("host_reports", 0)));
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, Errc::corrupt) << opened.error().message;
  // Large, the damage in a table of policies: found at open.
  opened = open_hosting_store(sqlite_hosting_config(damaged("host_domains", kLarge)));
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, Errc::corrupt) << opened.error().message;
  // Large, the damage in the reports: it opens (and serves its policies); the request that
  // reads the reports is told.
  opened = open_hosting_store(sqlite_hosting_config(damaged("host_reports", kLarge)));
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  const auto domain = (*opened)->get_domain("a.example");
  ASSERT_TRUE(domain.has_value()) << domain.error().message;
  EXPECT_TRUE(domain->has_value());
  const auto listed =
      (*opened)->reports().list_reports("", host_time(0), host_time(kT0 + 86400 * 10), 10);
  ASSERT_FALSE(listed.has_value());
  EXPECT_EQ(listed.error().code, Errc::corrupt) << listed.error().message;
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

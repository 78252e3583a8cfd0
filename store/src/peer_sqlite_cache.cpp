#include "mtasts/store/peer_sqlite_cache.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <string_view>

#include "sqlite_file.hpp"

namespace mtasts::store {
namespace {

constexpr std::string_view kNotPeerAdvice =
    "is it postfix-mta-sts-resolver's cache file (cache.options.filename in "
    "/etc/mta-sts-daemon.yml)?";

constexpr const char* kPageSql =
    "SELECT rowid, domain, ts, pol_id, pol_body FROM sts_policy_cache"
    " WHERE rowid > ?1 ORDER BY rowid LIMIT ?2";

// The columns the peer's sqlite_cache.py creates; a table missing one is not the peer's.
constexpr std::array<std::string_view, 4> kColumns = {"domain", "ts", "pol_id", "pol_body"};

Result<void> check_table(sqlite3* db, const SqliteFile& file) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('sts_policy_cache')", -1,
                              &raw, nullptr);
  const SqliteStatement statement(raw);
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db, rc, file, "reading its tables"));
  }
  std::vector<std::string> columns;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    columns.push_back(sqlite_column_text(raw, 0));
  }
  if (rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(db, rc, file, "reading its tables"));
  }
  if (columns.empty()) {
    return fail(Errc::incompatible,
                file.describe + " has no table sts_policy_cache: " + std::string(kNotPeerAdvice));
  }
  for (const std::string_view column : kColumns) {
    if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
      return fail(Errc::incompatible, file.describe + ": table sts_policy_cache has no column " +
                                          std::string(column) + ": " + std::string(kNotPeerAdvice));
    }
  }
  return {};
}

}  // namespace

struct PeerSqliteCache::Impl {
  SqliteFile file;
  SqliteDb db;
  SqliteStatement page;
};

PeerSqliteCache::PeerSqliteCache(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PeerSqliteCache::~PeerSqliteCache() = default;

Result<std::unique_ptr<PeerSqliteCache>> PeerSqliteCache::open(
    const std::string& filename, std::chrono::milliseconds busy_timeout) {
  SqliteFile file{"peer cache " + filename, kNotPeerAdvice};
  std::error_code ec;
  if (!std::filesystem::is_regular_file(filename, ec)) {
    return fail(Errc::unavailable, file.describe + ": " +
                                       (std::filesystem::exists(filename, ec) ? "not a regular file"
                                                                              : "no such file"));
  }
  sqlite3* raw = nullptr;
  // Read-only: the peer may still be running on it, and a roll-back needs it as it was.
  const int rc =
      sqlite3_open_v2(filename.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db.get(), rc, file, "cannot open it"));
  }
  const auto busy_ms = std::clamp<std::int64_t>(busy_timeout.count(), 0, 3'600'000);
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_ms));
  auto check = sqlite_first_text(db.get(), "PRAGMA quick_check(1)", file, "checking it");
  if (!check) {
    return tl::unexpected(check.error());
  }
  if (*check != "ok") {
    // quick_check reports on several lines; one line for the message.
    std::replace(check->begin(), check->end(), '\n', ' ');
    return fail(Errc::corrupt,
                file.describe + " is damaged (" + *check + "): its policies cannot be read");
  }
  if (auto table = check_table(db.get(), file); !table) {
    return tl::unexpected(table.error());
  }
  sqlite3_stmt* prepared = nullptr;
  const int prc = sqlite3_prepare_v2(db.get(), kPageSql, -1, &prepared, nullptr);
  SqliteStatement page(prepared);
  if (prc != SQLITE_OK) {
    return tl::unexpected(sqlite_error(db.get(), prc, file, "preparing to read it"));
  }
  auto impl = std::make_unique<Impl>(Impl{std::move(file), std::move(db), std::move(page)});
  return std::unique_ptr<PeerSqliteCache>(new PeerSqliteCache(std::move(impl)));
}

Result<std::vector<PeerCacheRow>> PeerSqliteCache::page(std::int64_t after, std::size_t limit) {
  const SqliteUse statement(impl_->page.get());
  sqlite3_bind_int64(*statement, 1, after);
  sqlite3_bind_int64(*statement, 2,
                     static_cast<std::int64_t>(std::min<std::size_t>(
                         limit, static_cast<std::size_t>(std::numeric_limits<int>::max()))));
  std::vector<PeerCacheRow> rows;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
    PeerCacheRow row;
    row.rowid = sqlite3_column_int64(*statement, 0);
    row.domain = sqlite_column_text(*statement, 1);
    if (sqlite3_column_type(*statement, 2) == SQLITE_INTEGER) {
      row.ts = sqlite3_column_int64(*statement, 2);
    }
    row.policy_id = sqlite_column_text(*statement, 3);
    row.body = sqlite_column_text(*statement, 4);
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(impl_->db.get(), rc, impl_->file, "reading it"));
  }
  return rows;
}

}  // namespace mtasts::store

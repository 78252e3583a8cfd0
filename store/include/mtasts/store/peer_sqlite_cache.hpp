#pragma once

// Reading postfix-mta-sts-resolver's SQLite cache (its sqlite_cache.py), for `mtasts cache
// import`: the table
//
//   sts_policy_cache (domain text, ts integer, pol_id text, pol_body text)
//
// one row per domain: `ts` the Unix time the peer last stored the entry, `pol_id` the TXT id,
// `pol_body` the policy as the peer parsed it, a JSON object (see app/cache/peer_cache_row.hpp).
// The file is opened read-only and never written, so it can be read while the peer runs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mtasts/store/store_error.hpp"

namespace mtasts::store {

// One row as stored; columns hold whatever was written (SQLite does not enforce their types).
struct PeerCacheRow {
  std::int64_t rowid = 0;
  std::string domain;              // "" for NULL
  std::optional<std::int64_t> ts;  // nullopt unless the column holds an integer
  std::string policy_id;           // pol_id; "" for NULL
  std::string body;                // pol_body, the JSON text; "" for NULL
};

class PeerSqliteCache {
 public:
  PeerSqliteCache(const PeerSqliteCache&) = delete;
  PeerSqliteCache& operator=(const PeerSqliteCache&) = delete;
  ~PeerSqliteCache();

  // Opens `filename` read-only, waits on a writer up to `busy_timeout`, checks the file
  // (PRAGMA quick_check) and that it holds the peer's table with its columns.
  // Errors: unavailable (no such file, or locked beyond the timeout), corrupt (not an SQLite
  // database, or damaged), incompatible (an SQLite database without the peer's table), write_failed
  // (cannot be opened: permissions), backend_error; the message names the file.
  [[nodiscard]] static Result<std::unique_ptr<PeerSqliteCache>> open(
      const std::string& filename, std::chrono::milliseconds busy_timeout);

  // At most `limit` rows whose rowid is above `after`, in rowid order; empty at the end. Each
  // call is a statement of its own: no read transaction is held between pages.
  // Errors: corrupt, unavailable, backend_error.
  [[nodiscard]] Result<std::vector<PeerCacheRow>> page(std::int64_t after, std::size_t limit);

 private:
  struct Impl;
  explicit PeerSqliteCache(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mtasts::store

#pragma once

// `mtasts cache import FILE`: every policy of postfix-mta-sts-resolver's SQLite cache written
// into the store mtasts is configured with (docs/migration.md).

#include <string>

namespace mtasts::app {

struct ImportOptions {
  std::string config_path;  // -c; empty: the daemon's default lookup (load_daemon_config)
  std::string peer_file;    // the peer's cache.db
  bool json = false;
  bool dry_run = false;
};

// Reads the peer's file read-only, maps each row (cache/peer_cache_row.hpp) and writes it
// through store::PolicyStore::put unless the store holds the same or a later fetch, so a second
// import changes nothing. Prints one line per row and a summary (or one JSON object) on stdout,
// and each skipped row's reason on stderr.
// Returns 0 when every row was imported (or needed nothing), 1 when malformed rows were
// skipped (the others imported), 2 when the peer's file, the configuration or the store cannot
// be used.
[[nodiscard]] int run_cache_import(const ImportOptions& options);

}  // namespace mtasts::app

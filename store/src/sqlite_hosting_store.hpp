#pragma once

// The hosting store on one SQLite file (the default, for one machine): WAL, synchronous=FULL
// (the file holds what the service cannot fetch again: versions, keys, the audit log),
// foreign keys on, the busy timeout from the configuration. The file is created 0600 and the
// directories made for it 0700, since it holds private keys; an existing file keeps its mode.

#include <memory>

#include "mtasts/store/hosting_store.hpp"

namespace mtasts::store {

// Opens or creates `config.filename`, checks it with PRAGMA quick_check and migrates the
// schema in one IMMEDIATE transaction. Errors: invalid_config (no file name), corrupt (not a
// database, or damaged: the message names the file), write_failed (cannot create the file or
// its directory, read-only, full), incompatible (a newer schema), unavailable (locked by
// another process beyond config.timeout).
[[nodiscard]] Result<std::unique_ptr<HostingStore>> open_sqlite_hosting_store(
    const HostingStoreConfig& config);

}  // namespace mtasts::store

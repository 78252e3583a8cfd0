#pragma once

// The hosting store on PostgreSQL, for a cluster of stateless instances sharing one database
// (its tables are host_*, beside the daemon's policy cache table if the database is shared).
// One connection per store object, behind its lock; connecting bounded by connect_timeout and
// every statement by timeout. A connection that broke is re-established on the next call;
// a transaction it broke under before its commit was sent (so nothing of it was kept) runs
// again once on a new connection. Who can read the tables (certificates' private keys, the
// ACME account key) is the database's access control: give the mtasts role its own database
// or schema.

#include <memory>

#include "mtasts/store/hosting_store.hpp"

namespace mtasts::store {

// Connects and migrates the schema in one transaction under an advisory lock (instances
// starting together migrate once). Errors: invalid_config (no dsn, or one libpq does not
// parse), unavailable (cannot connect in time), incompatible (a newer schema), write_failed
// (no permission to create the tables, a read-only server), backend_error.
[[nodiscard]] Result<std::unique_ptr<HostingStore>> open_postgres_hosting_store(
    const HostingStoreConfig& config);

}  // namespace mtasts::store

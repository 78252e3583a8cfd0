#pragma once

// The hosting store's schema, versioned: migration i takes it from version i to i + 1, and the
// version is recorded in host_schema. Every table is named host_* so the schema can share a
// PostgreSQL database (or an SQLite file) with the daemon's policy cache table.

#include <cstdint>
#include <span>
#include <string>

#include "sql_database.hpp"

namespace mtasts::store {

enum class SqlDialect { sqlite, postgres };

// The version this mtasts writes.
[[nodiscard]] std::int64_t hosting_schema_version();

// The migrations of a dialect, in order.
[[nodiscard]] std::span<const char* const> hosting_migrations(SqlDialect dialect);

// Brings the schema to hosting_schema_version(); run inside a write transaction (which, on
// PostgreSQL, first takes the advisory lock, so instances starting together migrate once).
// Errors: incompatible (a newer version: written by a newer mtasts), corrupt (the recorded
// version is not one), and the session's own.
[[nodiscard]] Result<void> migrate_hosting_schema(SqlSession& session, SqlDialect dialect,
                                                  const std::string& describe);

}  // namespace mtasts::store

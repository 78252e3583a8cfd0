#pragma once

// Shared by the hosting store tests: rows to store, and a private PostgreSQL schema per test
// (the hosting tables have fixed names, so tests running in parallel under ctest each get a
// schema of their own through the dsn's search_path, dropped afterwards).

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mtasts/store/hosting_store.hpp"
#include "store_test_support.hpp"

namespace mtasts::store::test {

inline HostTime host_time(std::int64_t seconds) {
  return HostTime(std::chrono::seconds(seconds));
}

inline constexpr std::int64_t kT0 = 1'700'000'000;

// A hosted domain built field by field (the core's constructors live elsewhere).
inline DomainRow make_domain_row(std::string name, std::string id, HostTime at,
                                 std::vector<std::string> mx = {"mx1.example.net",
                                                                "*.mx.example.net"}) {
  DomainRow row;
  core::HostedDomain& d = row.domain;
  d.name = std::move(name);
  d.current.id = std::move(id);
  d.current.policy.mode = core::PolicyMode::testing;
  d.current.policy.mx = std::move(mx);
  d.current.policy.max_age = core::kHostedDefaultMaxAge;
  d.current.created_at = at;
  d.longest_max_age = core::kHostedDefaultMaxAge;
  d.created_at = at;
  d.updated_at = at;
  return row;
}

// `row` with a new current version `id` made at `at` (mode and max_age changed).
inline DomainRow changed(DomainRow row, std::string id, HostTime at,
                         core::PolicyMode mode = core::PolicyMode::enforce,
                         std::uint32_t max_age = 1'209'600) {
  row.domain.current.id = std::move(id);
  row.domain.current.policy.mode = mode;
  row.domain.current.policy.max_age = max_age;
  row.domain.current.created_at = at;
  row.domain.longest_max_age = std::max(row.domain.longest_max_age, max_age);
  row.domain.updated_at = at;
  return row;
}

inline AuditEntry audit_entry(std::string domain, std::string action, HostTime at,
                              std::string detail = "{}") {
  AuditEntry entry;
  entry.at = at;
  entry.actor = "cli";
  entry.domain = std::move(domain);
  entry.action = std::move(action);
  entry.detail = std::move(detail);
  return entry;
}

inline CertificateRow make_certificate(std::string name, std::string chain, std::string key,
                                       HostTime not_before, HostTime not_after) {
  CertificateRow row;
  row.name = std::move(name);
  row.chain_pem = std::move(chain);
  row.key_pem = std::move(key);
  row.not_before = not_before;
  row.not_after = not_after;
  row.issued_at = not_before;
  return row;
}

// Runs `sql` on the test PostgreSQL through psql; true if psql succeeded.
inline bool run_psql(const std::string& dsn, const std::string& sql) {
  const std::string command = "psql -q -v ON_ERROR_STOP=1 " + shell_quoted(dsn) + " -c " +
                              shell_quoted(sql) + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

// A schema of the test PostgreSQL database for one test, and a dsn whose search_path selects
// it (and whose application_name names it, so a test can find its own sessions).
class PostgresSchema {
 public:
  PostgresSchema() : name_(unique_name("mtasts_host")) {
    const auto dsn = env("MTASTS_TEST_PG_DSN");
    if (!dsn) {
      ADD_FAILURE() << "MTASTS_TEST_PG_DSN is not set: run eval \"$(" << kStartScript
                    << ")\" first";
      return;
    }
    admin_dsn_ = *dsn;
    if (!run_psql(admin_dsn_, "CREATE SCHEMA \"" + name_ + "\"")) {
      ADD_FAILURE() << "cannot create schema " << name_ << " with psql on " << admin_dsn_
                    << " (is the server of " << kStartScript << " running?)";
      return;
    }
    const bool uri = admin_dsn_.find("://") != std::string::npos;
    dsn_ = uri ? admin_dsn_ + (admin_dsn_.find('?') == std::string::npos ? "?" : "&") +
                     "options=-csearch_path%3D" + name_ + "&application_name=" + name_
               : admin_dsn_ + " options=-csearch_path=" + name_ + " application_name=" + name_;
  }
  PostgresSchema(const PostgresSchema&) = delete;
  PostgresSchema& operator=(const PostgresSchema&) = delete;
  ~PostgresSchema() {
    if (!dsn_.empty()) {
      run_psql(admin_dsn_, "DROP SCHEMA IF EXISTS \"" + name_ + "\" CASCADE");
    }
  }

  bool ready() const { return !dsn_.empty(); }
  const std::string& name() const { return name_; }
  const std::string& dsn() const { return dsn_; }
  const std::string& admin_dsn() const { return admin_dsn_; }

  // Runs `sql` with this schema first on the search_path.
  bool sql(const std::string& statements) const {
    return run_psql(admin_dsn_, "SET search_path TO \"" + name_ + "\"; " + statements);
  }

  HostingStoreConfig config() const {
    HostingStoreConfig config;
    config.type = HostingStoreType::postgres;
    config.dsn = dsn_;
    config.timeout = std::chrono::milliseconds(5000);
    config.connect_timeout = std::chrono::milliseconds(5000);
    return config;
  }

 private:
  std::string name_;
  std::string admin_dsn_;
  std::string dsn_;
};

inline HostingStoreConfig sqlite_hosting_config(const std::filesystem::path& file) {
  HostingStoreConfig config;
  config.type = HostingStoreType::sqlite;
  config.filename = file.string();
  config.timeout = std::chrono::milliseconds(5000);
  return config;
}

// Opens a hosting store; ADD_FAILURE with the store's message if it cannot be opened.
inline std::unique_ptr<HostingStore> open_hosting_or_fail(const HostingStoreConfig& config) {
  auto store = open_hosting_store(config);
  if (!store) {
    ADD_FAILURE() << "cannot open the hosting store: " << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

// A test run against each hosting store backend: SQLite in a scratch directory, or a
// PostgreSQL schema of its own; `store_` is open after SetUp.
class HostingBackendTest : public ::testing::TestWithParam<HostingStoreType> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case HostingStoreType::sqlite:
        config_ = sqlite_hosting_config(dir_.path() / "host" / "hosting.db");
        break;
      case HostingStoreType::postgres:
        schema_.emplace();
        ASSERT_TRUE(schema_->ready());
        config_ = schema_->config();
        break;
    }
    store_ = open_hosting_or_fail(config_);
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    store_.reset();
    schema_.reset();
  }

  ScratchDir dir_;
  std::optional<PostgresSchema> schema_;
  HostingStoreConfig config_;
  std::unique_ptr<HostingStore> store_;
};

}  // namespace mtasts::store::test

// The PostgreSQL hosting store against the real server of scripts/start-test-stores.sh:
// leases and migrations under concurrent connections, a connection the server closed, waits
// bounded by the timeout, and errors for an unreachable server or a malformed dsn.

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>
#include <utility>

#include "hosting_test_support.hpp"

namespace mtasts::store::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Two instances of the service on one schema, racing for leases.
class PostgresHostingLeases : public ::testing::Test {
 protected:
  using Attempt = std::function<bool(HostingStore& store, const std::string& holder)>;

  void SetUp() override {
    ASSERT_TRUE(schema_.ready());
    a_ = open_hosting_or_fail(schema_.config());
    b_ = open_hosting_or_fail(schema_.config());
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
  }

  // Runs `attempt` 200 times for "instance-a" and 200 times for "instance-b", each on its own
  // connection and thread, both starting at once; returns how many attempts of each won.
  std::pair<int, int> race(const Attempt& attempt) {
    std::atomic<bool> go{false};
    auto worker = [&](HostingStore& store, const std::string& holder, std::atomic<int>& won) {
      while (!go) {
      }
      for (int i = 0; i < 200; ++i) {
        if (attempt(store, holder)) {
          ++won;
        }
      }
    };
    std::atomic<int> a_won{0};
    std::atomic<int> b_won{0};
    std::thread first([&] { worker(*a_, "instance-a", a_won); });
    std::thread second([&] { worker(*b_, "instance-b", b_won); });
    go = true;
    first.join();
    second.join();
    return {a_won, b_won};
  }

  const PostgresSchema schema_;
  std::unique_ptr<HostingStore> a_;
  std::unique_ptr<HostingStore> b_;
  const HostTime now_ = host_time(kT0);  // one instant: no lease expires during the test
};

TEST_F(PostgresHostingLeases, TwoConnectionsRacing_NeverTwoHolders) {
  std::atomic<int> holding{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> errors{0};
  // Each attempt takes the lease, notes that it holds it, and gives it up again; a second
  // holder at any moment shows as an overlap.
  const auto [a_won, b_won] = race([&](HostingStore& store, const std::string& holder) {
    auto got = store.acquire_lease("acme:mta-sts.example.com", holder, seconds(60), now_);
    if (!got) {
      ++errors;
      return false;
    }
    if (!*got) {
      return false;
    }
    if (holding.fetch_add(1) != 0) {
      ++overlaps;
    }
    holding.fetch_sub(1);
    if (!store.release_lease("acme:mta-sts.example.com", holder)) {
      ++errors;
    }
    return true;
  });
  EXPECT_EQ(overlaps, 0);
  EXPECT_EQ(errors, 0);
  EXPECT_GT(a_won + b_won, 0);
}

TEST_F(PostgresHostingLeases, NeverReleased_StayWithTheFirstHolder) {
  std::atomic<int> errors{0};
  const auto [a_won, b_won] = race([&](HostingStore& store, const std::string& holder) {
    auto got = store.acquire_lease("sync", holder, seconds(60), now_);
    if (!got) {
      ++errors;
      return false;
    }
    return *got;
  });
  EXPECT_EQ(errors, 0);
  // The first to take it extends it on every attempt; the other never gets it.
  EXPECT_EQ(a_won + b_won, 200);
  EXPECT_TRUE(a_won == 0 || b_won == 0) << a_won << " and " << b_won;
}

TEST(PostgresHostingStore, Open_InstancesStartingTogether_MigrateOnce) {
  const PostgresSchema schema;
  ASSERT_TRUE(schema.ready());
  std::vector<std::unique_ptr<HostingStore>> stores(4);
  std::vector<std::string> errors(stores.size());
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < stores.size(); ++i) {
    threads.emplace_back([&, i] {
      while (!go) {
      }
      auto opened = open_hosting_store(schema.config());
      if (opened) {
        stores[i] = std::move(*opened);
      } else {
        errors[i] = opened.error().message;
      }
    });
  }
  go = true;
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (std::size_t i = 0; i < stores.size(); ++i) {
    ASSERT_NE(stores[i], nullptr) << errors[i];
  }
  const auto generation = stores[0]->generation();
  ASSERT_TRUE(generation.has_value()) << generation.error().message;
  EXPECT_EQ(*generation, 0U);
  EXPECT_TRUE(schema.sql(
      "DO $$ BEGIN IF (SELECT count(*) FROM host_schema) <> 1 OR"
      " (SELECT count(*) FROM host_generation) <> 1 THEN RAISE EXCEPTION 'migrated twice';"
      " END IF; END $$"));
}

TEST(PostgresHostingStore, ConnectionClosedByTheServer_NextCallsReconnect) {
  const PostgresSchema schema;
  ASSERT_TRUE(schema.ready());
  auto store = open_hosting_or_fail(schema.config());
  ASSERT_NE(store, nullptr);
  const HostTime now = host_time(kT0);
  ASSERT_TRUE(store->add_domain(make_domain_row("a.example", "1", now),
                                audit_entry("a.example", "domain.add", now)));
  // Fails unless it ended a session of the store (and waited for it to end). The sessions are
  // chosen first (MATERIALIZED): the server is shared, no other session may be touched.
  const std::string terminate =
      "DO $$ BEGIN IF (WITH mine AS MATERIALIZED (SELECT pid FROM pg_stat_activity"
      " WHERE application_name = '" +
      schema.name() +
      "' AND pid <> pg_backend_pid()) SELECT count(*) FROM mine"
      " WHERE pg_terminate_backend(pid, 5000)) = 0 THEN RAISE EXCEPTION 'no session';"
      " END IF; END $$";

  ASSERT_TRUE(run_psql(schema.admin_dsn(), terminate));
  const auto read = store->get_domain("a.example");
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_TRUE(read->has_value());

  ASSERT_TRUE(run_psql(schema.admin_dsn(), terminate));
  const auto written = store->add_domain(make_domain_row("b.example", "1", now),
                                         audit_entry("b.example", "domain.add", now));
  ASSERT_TRUE(written.has_value()) << written.error().message;
  const auto all = store->list_domains();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(all->size(), 2U);
  const auto audit = store->audit_log("b.example", 10);
  ASSERT_TRUE(audit.has_value()) << audit.error().message;
  EXPECT_EQ(audit->size(), 1U);  // written once
}

TEST(PostgresHostingStore, TableLockedByAnotherSession_FailsWithinTheTimeoutThenRecovers) {
  const PostgresSchema schema;
  ASSERT_TRUE(schema.ready());
  HostingStoreConfig config = schema.config();
  config.timeout = milliseconds(500);
  auto store = open_hosting_or_fail(config);
  ASSERT_NE(store, nullptr);
  const std::string locker = "psql -q " + shell_quoted(schema.admin_dsn()) + " -c " +
                             shell_quoted("BEGIN; SET search_path TO \"" + schema.name() +
                                          "\"; LOCK TABLE host_domains IN ACCESS EXCLUSIVE"
                                          " MODE; SELECT pg_sleep(2); COMMIT;") +
                             " >/dev/null 2>&1 &";
  ASSERT_EQ(std::system(locker.c_str()), 0);
  const std::string table = "\"" + schema.name() + "\".host_domains";
  ASSERT_TRUE(wait_for_table_lock(schema.admin_dsn(), table, LockState::held))
      << "the table was not locked: is psql installed? run " << kStartScript;

  const auto start = Clock::now();
  const auto listed = store->list_domains();
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(listed.has_value())
      << "the table was not locked: is psql installed? run " << kStartScript;
  EXPECT_EQ(listed.error().code, Errc::unavailable) << listed.error().message;
  EXPECT_LT(elapsed, milliseconds(1400));

  ASSERT_TRUE(wait_for_table_lock(schema.admin_dsn(), table, LockState::released));
  const auto later = store->list_domains();
  EXPECT_TRUE(later.has_value()) << later.error().message;
}

TEST(PostgresHostingStore, Open_NothingListening_UnavailableNamingTheServer) {
  HostingStoreConfig config;
  config.type = HostingStoreType::postgres;
  expect_postgres_unreachable(config, open_hosting_store);
}

TEST(PostgresHostingStore, Open_MalformedOrMissingDsn_InvalidConfig) {
  for (const char* dsn : {"host=127.0.0.1 port", ""}) {
    HostingStoreConfig config;
    config.type = HostingStoreType::postgres;
    config.dsn = dsn;
    const auto store = open_hosting_store(config);
    ASSERT_FALSE(store.has_value()) << dsn;
    EXPECT_EQ(store.error().code, Errc::invalid_config) << store.error().message;
  }
}

}  // namespace
}  // namespace mtasts::store::test

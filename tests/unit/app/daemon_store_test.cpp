// StorePersistence: a shared store down at start is opened on use once it is up, at most once
// per cooldown; while it is down the daemon serves from memory without waiting for it. A
// damaged SQLite file is left alone for a cooldown too, rather than failing (and logging) once
// per lookup.

#include "daemon/daemon_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "fake_clock.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::app {
namespace {

using namespace std::chrono_literals;

const core::TimePoint kNow{std::chrono::seconds(1'700'000'000)};

core::CachedPolicy enforce_policy() {
  auto policy = core::parse_policy(
      "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
      "max_age: 86400\r\n");
  EXPECT_TRUE(policy);
  return core::CachedPolicy{*policy, "id1", kNow, kNow + core::Seconds(86400)};
}

TEST(StorePersistenceTest, AStoreDownAtStart_IsOpenedOnUse_AtMostOncePerCooldown) {
  net::Logger log(net::LogLevel::error);
  int attempts = 0;
  bool up = false;
  StoreOpener opener =
      [&](const store::StoreConfig& config) -> store::Result<std::unique_ptr<store::PolicyStore>> {
    ++attempts;
    if (!up) {
      return store::fail(store::Errc::unavailable, "redis 127.0.0.1:6379: connection refused");
    }
    return store::open_store(config);  // the memory store stands in for the server
  };
  store::StoreConfig config;
  config.type = store::StoreType::memory;
  constexpr auto kCooldown = 30s;
  net::testing::FakeClock clock;
  StorePersistence persistence(config, nullptr, clock, log, opener, kCooldown);

  // Within the first cooldown: no attempt, and no error (the lookup goes to the network).
  EXPECT_TRUE(persistence.save("example.com", enforce_policy()));
  auto none = persistence.load("example.com", kNow);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_EQ(attempts, 0);
  clock.advance(kCooldown - 1s);
  EXPECT_TRUE(persistence.save("example.com", enforce_policy()));
  EXPECT_EQ(attempts, 0) << "still cooling down";

  clock.advance(1s);
  auto refused = persistence.save("example.com", enforce_policy());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("connection refused"), std::string::npos);
  EXPECT_EQ(attempts, 1);
  EXPECT_TRUE(persistence.save("example.com", enforce_policy()));  // cooling down again
  EXPECT_EQ(attempts, 1);

  up = true;
  clock.advance(kCooldown);
  EXPECT_TRUE(persistence.save("example.com", enforce_policy()));
  EXPECT_EQ(attempts, 2);
  auto loaded = persistence.load("example.com", kNow + core::Seconds(60));
  ASSERT_TRUE(loaded);
  ASSERT_TRUE(*loaded);
  EXPECT_EQ((*loaded)->id, "id1");
  EXPECT_EQ((*loaded)->policy.mode, core::PolicyMode::enforce);
  auto purged = persistence.purge_expired(kNow + core::Seconds(90000));
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(attempts, 2) << "opened once, then kept";
}

TEST(StorePersistenceTest, AClockSetBack_EndsTheCooldownRatherThanStretchingIt) {
  net::Logger log(net::LogLevel::error);
  int attempts = 0;
  StoreOpener opener = [&](const store::StoreConfig&) {
    ++attempts;
    return store::Result<std::unique_ptr<store::PolicyStore>>(
        store::fail(store::Errc::unavailable, "connection refused"));
  };
  store::StoreConfig config;
  config.type = store::StoreType::redis;
  net::testing::FakeClock clock;
  StorePersistence persistence(config, nullptr, clock, log, opener, 30s);
  EXPECT_TRUE(persistence.save("example.com", enforce_policy()));
  EXPECT_EQ(attempts, 0);
  clock.advance(-1h);
  EXPECT_FALSE(persistence.save("example.com", enforce_policy()));
  EXPECT_EQ(attempts, 1);
}

// Overwrites `path` with as many random bytes as it holds, in place (the soak's corruption).
void scramble(const std::filesystem::path& path) {
  const auto size = std::filesystem::file_size(path);
  std::mt19937 rng(14);
  std::string garbage(size, '\0');
  for (auto& c : garbage) {
    c = static_cast<char>(rng());
  }
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

TEST(StorePersistenceTest, ADamagedSqliteFile_FailsOncePerCooldown_NotOnEveryLookup) {
  // bench/soak found it: with the cache file damaged under a running daemon, every lookup that
  // missed memory read the file, failed and logged a store-error (about 630 lines a second).
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mtasts-store-damaged-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  store::StoreConfig config;
  config.type = store::StoreType::sqlite;
  config.filename = (dir / "cache.db").string();
  auto opened = store::open_store(config);
  ASSERT_TRUE(opened) << opened.error().message;
  net::Logger log(net::LogLevel::error);
  net::testing::FakeClock clock;
  constexpr auto kCooldown = 30s;
  StorePersistence persistence(config, std::move(*opened), clock, log, store::open_store,
                               kCooldown);
  ASSERT_TRUE(persistence.save("example.com", enforce_policy()));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (std::filesystem::exists(config.filename + suffix)) {
      scramble(config.filename + suffix);
    }
  }

  auto damaged = persistence.load("other.example", kNow);
  ASSERT_FALSE(damaged) << "the damage went unnoticed";
  EXPECT_NE(damaged.error().message.find("corrupt"), std::string::npos) << damaged.error().message;
  // Within the cooldown the file is not read: no error, the lookup goes to the network.
  for (int i = 0; i < 3; ++i) {
    auto quiet = persistence.load("other.example", kNow);
    ASSERT_TRUE(quiet) << "lookup " << i << " failed again: " << quiet.error().message;
    EXPECT_FALSE(*quiet);
  }
  clock.advance(kCooldown);
  EXPECT_FALSE(persistence.load("other.example", kNow)) << "tried again after the cooldown";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mtasts::app

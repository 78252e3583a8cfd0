// The Redis store against real servers: the shared test server of scripts/start-test-stores.sh
// for key expiry, and a private redis-server this test starts, stops and freezes to check that
// calls fail within the timeout and recover when the server is back.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "store_test_support.hpp"

extern char** environ;

namespace mtasts::store::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), size);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

// A redis-server child process on 127.0.0.1:`port`, without persistence.
class RedisProcess {
 public:
  explicit RedisProcess(int port) : port_(port) {}
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;
  ~RedisProcess() { stop(); }

  // False (with a failure naming the script) when redis-server is missing or does not answer.
  bool start() {
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {"redis-server", "--port",     port,     "--bind",
                                     "127.0.0.1",    "--save",     "",       "--appendonly",
                                     "no",           "--loglevel", "warning"};
    std::vector<char*> argv;
    for (std::string& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    if (::posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      ADD_FAILURE() << "cannot run redis-server: install it with " << kStartScript;
      return false;
    }
    // A bounded poll (every 50 ms, at most 5 s): the server tells no one when it is ready.
    for (int i = 0; i < 100; ++i) {
      if (shell_output("redis-cli -p " + port + " ping 2>/dev/null") == "PONG") {
        return true;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    ADD_FAILURE() << "redis-server on port " << port_ << " does not answer";
    return false;
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  void freeze() { ::kill(pid_, SIGSTOP); }
  void thaw() { ::kill(pid_, SIGCONT); }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  int port_;
  pid_t pid_ = -1;
};

StoreConfig private_config(const RedisProcess& redis) {
  StoreConfig config;
  config.type = StoreType::redis;
  config.url = redis.url();
  config.timeout = milliseconds(300);
  config.connect_timeout = milliseconds(300);
  return config;
}

TEST(RedisStore, Put_SetsTheKeysExpiryInRedis) {
  const auto config = redis_config();
  ASSERT_TRUE(config.has_value());
  auto store = open_or_fail(*config);
  ASSERT_NE(store, nullptr);
  const TimePoint now = wall_now();
  ASSERT_TRUE(store->put(make_policy("example.com", "id", now, seconds(100))));
  const std::string ttl = shell_output("redis-cli -u '" + config->url + "' TTL '" +
                                       config->key_prefix + "example.com'");
  ASSERT_FALSE(ttl.empty()) << "redis-cli gave nothing: install it with " << kStartScript;
  EXPECT_GT(std::stoll(ttl), 0);
  EXPECT_LE(std::stoll(ttl), 101);
  EXPECT_TRUE(store->erase("example.com"));
}

TEST(RedisStore, Get_ForeignValueUnderThePrefix_Corrupt) {
  const auto config = redis_config();
  ASSERT_TRUE(config.has_value());
  auto store = open_or_fail(*config);
  ASSERT_NE(store, nullptr);
  shell_output("redis-cli -u '" + config->url + "' SET '" + config->key_prefix +
               "example.com' 'not ours' EX 60");
  const auto got = store->get("example.com", wall_now());
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, Errc::corrupt) << got.error().message;
  const auto all = store->list(wall_now(), 10);
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(store->erase("example.com"));
}

TEST(RedisStore, Open_NothingListening_UnavailableQuickly) {
  StoreConfig config;
  config.type = StoreType::redis;
  config.url = "redis://127.0.0.1:" + std::to_string(free_port());
  const auto start = Clock::now();
  const auto store = open_store(config);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::unavailable) << store.error().message;
  EXPECT_LT(Clock::now() - start, seconds(2));
}

TEST(RedisStore, ServerStopped_CallsFailThenRecoverAfterRestart) {
  const int port = free_port();
  RedisProcess redis(port);
  ASSERT_TRUE(redis.start());
  auto store = open_or_fail(private_config(redis));
  ASSERT_NE(store, nullptr);
  const TimePoint now = wall_now();
  ASSERT_TRUE(store->put(make_policy("example.com", "id", now)));

  redis.stop();
  const auto start = Clock::now();
  const auto put = store->put(make_policy("example.org", "id", now));
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, Errc::unavailable) << put.error().message;
  const auto get = store->get("example.com", now);
  ASSERT_FALSE(get.has_value());
  EXPECT_EQ(get.error().code, Errc::unavailable) << get.error().message;
  EXPECT_LT(Clock::now() - start, seconds(2));

  RedisProcess restarted(port);
  ASSERT_TRUE(restarted.start());
  const auto again = store->put(make_policy("example.org", "id", now));
  EXPECT_TRUE(again.has_value()) << again.error().message;
  const auto got = store->get("example.org", now);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_TRUE(got->has_value());
}

TEST(RedisStore, ServerRestartedBetweenCalls_NextCallSucceeds) {
  const int port = free_port();
  auto redis = std::make_unique<RedisProcess>(port);
  ASSERT_TRUE(redis->start());
  auto store = open_or_fail(private_config(*redis));
  ASSERT_NE(store, nullptr);
  redis.reset();
  redis = std::make_unique<RedisProcess>(port);
  ASSERT_TRUE(redis->start());
  // The old connection is closed; the store reconnects and resends at once.
  const auto put = store->put(make_policy("example.com", "id", wall_now()));
  EXPECT_TRUE(put.has_value()) << put.error().message;
}

TEST(RedisStore, ServerFrozen_CallsFailWithinTheTimeout) {
  RedisProcess redis(free_port());
  ASSERT_TRUE(redis.start());
  auto store = open_or_fail(private_config(redis));
  ASSERT_NE(store, nullptr);
  const TimePoint now = wall_now();
  ASSERT_TRUE(store->put(make_policy("example.com", "id", now)));

  redis.freeze();
  const auto start = Clock::now();
  const auto get = store->get("example.com", now);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(get.has_value());
  EXPECT_EQ(get.error().code, Errc::unavailable) << get.error().message;
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, milliseconds(1500));

  redis.thaw();
  const auto got = store->get("example.com", now);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_TRUE(got->has_value());
}

}  // namespace
}  // namespace mtasts::store::test

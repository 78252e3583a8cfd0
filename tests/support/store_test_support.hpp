#pragma once

// Shared by the store tests: policies to store, scratch directories, and the configurations of
// the Redis and PostgreSQL servers that scripts/start-test-stores.sh starts. Those tests fail,
// never skip, when the servers are missing: CI runs the script first.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "mtasts/store/hosting_store.hpp"
#include "mtasts/store/policy_store.hpp"

// Expects (asserts) that a Result holds a value, showing its error's message otherwise.
#define EXPECT_OK(expr)                                          \
  do {                                                           \
    const auto& result_ = (expr);                                \
    EXPECT_TRUE(result_.has_value()) << result_.error().message; \
  } while (false)

#define ASSERT_OK(expr)                                          \
  do {                                                           \
    const auto& result_ = (expr);                                \
    ASSERT_TRUE(result_.has_value()) << result_.error().message; \
  } while (false)

namespace mtasts::store::test {

inline constexpr const char* kStartScript = "scripts/start-test-stores.sh";

// Seconds of the real clock: Redis expires keys by its own clock, so times near now.
inline TimePoint wall_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

inline std::string policy_body(std::string_view mx) {
  return "version: STSv1\r\nmode: enforce\r\nmx: " + std::string(mx) +
         "\r\nmax_age: 86400\r\next_field: kept as fetched\r\n";
}

inline StoredPolicy make_policy(std::string domain, std::string id, TimePoint fetched_at,
                                std::chrono::seconds lifetime = std::chrono::seconds(86400)) {
  return StoredPolicy{domain, std::move(id), policy_body("mx1." + domain), fetched_at,
                      fetched_at + lifetime};
}

// A name no other test process uses: test cases run as parallel processes under ctest.
inline std::string unique_name(std::string_view stem) {
  static std::atomic<int> counter{0};
  return std::string(stem) + "_" + std::to_string(::getpid()) + "_" +
         std::to_string(counter.fetch_add(1));
}

class ScratchDir {
 public:
  ScratchDir() : path_(std::filesystem::temp_directory_path() / unique_name("mtasts_store")) {
    std::filesystem::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `bytes` into `file` at `offset`, creating the file if missing.
inline void write_bytes(const std::filesystem::path& file, const std::string& bytes,
                        std::streamoff offset = 0) {
  std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
  if (!out) {
    out.open(file, std::ios::out | std::ios::binary);
  }
  out.seekp(offset);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A full disk: limits the size of the files this process writes (RLIMIT_FSIZE, with SIGXFSZ
// ignored so a write fails instead) until the end of the scope.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{bytes, saved_.rlim_max};
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  sighandler_t old_handler_ = SIG_DFL;
};

// The name a store of `type` gives itself (PolicyStore::name()).
inline std::string_view backend_name(StoreType type) {
  return type == StoreType::memory ? std::string_view("memory") : store_type_name(type);
}

// The name a hosting store of `type` gives itself (HostingStore::name()).
inline std::string_view backend_name(HostingStoreType type) {
  switch (type) {
    case HostingStoreType::sqlite:
      return "sqlite";
    case HostingStoreType::postgres:
      return "postgres";
  }
  return "unknown";
}

// Names the cases of a test parametrised over StoreType or HostingStoreType after the backend.
struct BackendParamName {
  template <class Type>
  std::string operator()(const ::testing::TestParamInfo<Type>& info) const {
    return std::string(backend_name(info.param));
  }
};

inline std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

// The test Redis; ADD_FAILURE (naming the script) and nullopt when the variable is unset.
inline std::optional<StoreConfig> redis_config() {
  const auto url = env("MTASTS_TEST_REDIS_URL");
  if (!url) {
    ADD_FAILURE() << "MTASTS_TEST_REDIS_URL is not set: run eval \"$(" << kStartScript
                  << ")\" first";
    return std::nullopt;
  }
  StoreConfig config;
  config.type = StoreType::redis;
  config.url = *url;
  config.key_prefix = unique_name("mtasts_test") + ":";
  config.timeout = std::chrono::milliseconds(2000);
  config.connect_timeout = std::chrono::milliseconds(2000);
  return config;
}

// The test PostgreSQL database, with a table of its own.
inline std::optional<StoreConfig> postgres_config() {
  const auto dsn = env("MTASTS_TEST_PG_DSN");
  if (!dsn) {
    ADD_FAILURE() << "MTASTS_TEST_PG_DSN is not set: run eval \"$(" << kStartScript << ")\" first";
    return std::nullopt;
  }
  StoreConfig config;
  config.type = StoreType::postgres;
  config.dsn = *dsn;
  config.table = unique_name("mtasts_test");
  config.timeout = std::chrono::milliseconds(5000);
  config.connect_timeout = std::chrono::milliseconds(5000);
  return config;
}

// Opening a store with `open(config)` on a PostgreSQL server that is not there (port 9 of this
// machine): unavailable within two seconds, the message naming the server and never the dsn's
// password. `config` is a PostgreSQL configuration (StoreConfig or HostingStoreConfig).
template <class Config, class Open>
void expect_postgres_unreachable(Config config, Open open) {
  config.dsn = "postgresql://postgres:s3cret-pw@127.0.0.1:9/mtasts_test";
  config.connect_timeout = std::chrono::milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  const auto store = open(config);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::unavailable) << store.error().message;
  EXPECT_NE(store.error().message.find("127.0.0.1:9"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find("s3cret-pw"), std::string::npos) << store.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// Drops a test table (best effort, through psql, which the start script installs).
inline void drop_postgres_table(const StoreConfig& config) {
  const std::string command = "psql -q '" + config.dsn + "' -c 'DROP TABLE IF EXISTS \"" +
                              config.table + "\"' >/dev/null 2>&1";
  [[maybe_unused]] const int status = std::system(command.c_str());
}

// `text` as one word of the shell.
inline std::string shell_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

// Standard output of a shell command, trailing newline removed.
inline std::string shell_output(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return out;
  }
  std::array<char, 256> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    out += buffer.data();
  }
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

enum class LockState { held, released };

// Polls the lock table of PostgreSQL at `dsn` every 20 ms until an exclusive lock on
// `relation` (an SQL name, double-quoted as needed, without single quotes) is `state`; false
// if it is not within 5 s. A bounded poll rather than a fixed sleep: another session takes and
// drops the lock and tells no one.
inline bool wait_for_table_lock(const std::string& dsn, const std::string& relation,
                                LockState state) {
  const std::string query =
      "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted AND "
      "relation = to_regclass('" +
      relation + "')";
  const std::string command =
      "psql -tA " + shell_quoted(dsn) + " -c " + shell_quoted(query) + " 2>/dev/null";
  const std::string wanted = state == LockState::held ? "1" : "0";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (shell_output(command) == wanted) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Opens a store; ADD_FAILURE with the store's message (and the script, for servers) if it
// cannot be opened.
inline std::unique_ptr<PolicyStore> open_or_fail(const StoreConfig& config) {
  auto store = open_store(config);
  if (!store) {
    ADD_FAILURE() << "cannot open the " << store_type_name(config.type)
                  << " store: " << store.error().message
                  << (config.type == StoreType::redis || config.type == StoreType::postgres
                          ? std::string(" (is the server of ") + kStartScript + " running?)"
                          : std::string());
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace mtasts::store::test

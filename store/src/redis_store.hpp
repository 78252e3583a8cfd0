#pragma once

// A cache shared by a fleet of MTAs: one Redis string per domain under key_prefix + domain,
// holding the compact value of value_codec.hpp, written with SET ... EXAT so Redis drops it
// by itself once it expires (one second after expires_at, as policies are served through
// expires_at). Needs Redis 6.2 or later (EXAT). Times are Unix seconds of the MTAs' clocks.
//
// One blocking connection (hiredis) under the store's lock; every reply is awaited at most
// `timeout`, a connection at most `connect_timeout`. A connection that failed is dropped and
// re-established by the next call; one found closed by the server (a Redis restart) is
// re-established at once and the command sent again.

#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "mtasts/core/base/guarded.hpp"
#include "mtasts/store/policy_store.hpp"
#include "redis_url.hpp"

struct redisContext;
struct redisReply;

namespace mtasts::store {

class RedisStore final : public PolicyStore {
 public:
  // Connects once to check the server. Errors: invalid_config (the url), unavailable (cannot
  // connect, or no answer in time), backend_error (AUTH or SELECT refused).
  [[nodiscard]] static Result<std::unique_ptr<RedisStore>> open(const StoreConfig& config);

 private:
  Result<std::optional<StoredPolicy>> do_get(std::string_view domain, TimePoint now) override;
  Result<void> do_put(const StoredPolicy& policy) override;
  Result<bool> do_erase(std::string_view domain) override;
  Result<std::vector<StoredPolicy>> page(const PageQuery& query) override;
  Result<std::size_t> do_purge(TimePoint now) override;
  Result<std::size_t> do_visit(TimePoint now, const Visitor& visitor) override;

  struct FreeContext {
    void operator()(redisContext* context) const;
  };
  struct FreeReply {
    void operator()(redisReply* reply) const;
  };
  using Context = std::unique_ptr<redisContext, FreeContext>;
  using Reply = std::unique_ptr<redisReply, FreeReply>;
  struct Connection {
    Context context;  // null while disconnected
  };
  struct ScanBatch {
    std::string cursor;  // "0" once the scan is complete
    std::vector<StoredPolicy> policies;
  };

  RedisStore(RedisEndpoint endpoint, const StoreConfig& config);

  struct SendFailure {
    Error error;
    bool closed_by_server;  // the connection was found closed: a new one may succeed
  };

  // Connects, authenticates and selects the db; the connection stays null on failure.
  Result<void> connect(Connection& connection) const;
  // Sends one command on the established connection; a transport failure drops it.
  tl::expected<Reply, SendFailure> send(Connection& connection,
                                        std::span<const std::string_view> args) const;
  // Sends one command, connecting first if needed. Errors: unavailable (cannot connect, the
  // connection broke or timed out: it is dropped), backend_error (an error reply).
  Result<Reply> command(Connection& connection, std::span<const std::string_view> args) const;
  Result<std::vector<std::string>> scan_domains(Connection& connection, std::string& cursor) const;
  // The policies of `domains` not expired at `now`, in the same order, skipping absent keys
  // and values that do not decode.
  Result<std::vector<StoredPolicy>> fetch_all(Connection& connection,
                                              std::span<const std::string> domains,
                                              TimePoint now) const;
  Result<ScanBatch> scan_batch(std::string cursor, TimePoint now);
  std::string key_of(std::string_view domain) const { return key_prefix_ + std::string(domain); }

  RedisEndpoint endpoint_;
  std::string key_prefix_;
  std::string match_;     // SCAN pattern: the prefix, glob-escaped, then "*"
  std::string describe_;  // "Redis 127.0.0.1:6379" for messages
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds connect_timeout_;
  core::Guarded<Connection, std::mutex> connection_;
};

}  // namespace mtasts::store

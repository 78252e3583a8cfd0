#include "redis_store.hpp"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <iterator>

#include "mtasts/store/value_codec.hpp"

namespace mtasts::store {
namespace {

constexpr std::size_t kScanCount = 1000;  // SCAN COUNT hint and MGET batch size

// Stores ARGV[1] under KEYS[1] until Unix time ARGV[3] unless the stored value was fetched
// later than ARGV[2]; the fetch time leads the value ("1:<fetched_at>:...", value_codec.hpp).
constexpr std::string_view kPutScript = R"lua(
local current = redis.call('GET', KEYS[1])
if current then
  local fetched = tonumber(string.match(current, '^1:(%d+):'))
  if fetched and fetched > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[3])
return 1
)lua";

timeval to_timeval(std::chrono::milliseconds ms) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(ms);
  return timeval{static_cast<time_t>(seconds.count()),
                 static_cast<suseconds_t>((ms - seconds).count() * 1000)};
}

std::string glob_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// hiredis writes with write(2): a server that closed the connection would raise SIGPIPE and
// end the process. The signal is blocked for this thread during a command and a pending one
// consumed, so the write fails with EPIPE instead.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask_);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        const timespec zero{0, 0};
        sigtimedwait(&pipe_only, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t old_mask_{};
  bool was_pending_ = false;
};

std::string reply_text(const redisReply& reply) {
  return reply.str == nullptr ? std::string() : std::string(reply.str, reply.len);
}

}  // namespace

void RedisStore::FreeContext::operator()(redisContext* context) const {
  redisFree(context);
}
void RedisStore::FreeReply::operator()(redisReply* reply) const {
  freeReplyObject(reply);
}

RedisStore::RedisStore(RedisEndpoint endpoint, const StoreConfig& config)
    : PolicyStore("redis"),
      endpoint_(std::move(endpoint)),
      key_prefix_(config.key_prefix),
      match_(glob_escape(config.key_prefix) + "*"),
      describe_(endpoint_.kind == RedisEndpoint::Kind::tcp
                    ? "Redis " + endpoint_.host + ":" + std::to_string(endpoint_.port)
                    : "Redis " + endpoint_.path),
      timeout_(config.timeout),
      connect_timeout_(config.connect_timeout) {}

Result<std::unique_ptr<RedisStore>> RedisStore::open(const StoreConfig& config) {
  auto endpoint = parse_redis_url(config.url, "cache.options.url");
  if (!endpoint) {
    return tl::unexpected(endpoint.error());
  }
  if (config.redis_db) {
    endpoint->db = *config.redis_db;
  }
  if (config.redis_username) {
    endpoint->username = *config.redis_username;
  }
  if (config.redis_password) {
    endpoint->password = *config.redis_password;
  }
  std::unique_ptr<RedisStore> store(new RedisStore(std::move(*endpoint), config));
  const std::string_view ping[] = {"PING"};
  if (auto pong = store->command(*store->connection_.lock(), ping); !pong) {
    return tl::unexpected(pong.error());
  }
  return store;
}

Result<void> RedisStore::connect(Connection& connection) const {
  const timeval limit = to_timeval(connect_timeout_);
  Context context(endpoint_.kind == RedisEndpoint::Kind::tcp
                      ? redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, limit)
                      : redisConnectUnixWithTimeout(endpoint_.path.c_str(), limit));
  if (!context || context->err != 0) {
    return fail(Errc::unavailable,
                describe_ + ": cannot connect: " + (context ? context->errstr : "out of memory"));
  }
  if (redisSetTimeout(context.get(), to_timeval(timeout_)) != REDIS_OK) {
    return fail(Errc::unavailable, describe_ + ": cannot set the timeout: " + context->errstr);
  }
  connection.context = std::move(context);
  std::vector<std::string_view> setup;
  if (!endpoint_.password.empty()) {
    setup = {"AUTH"};
    if (!endpoint_.username.empty()) {
      setup.push_back(endpoint_.username);
    }
    setup.push_back(endpoint_.password);
    if (auto auth = send(connection, setup); !auth) {
      connection.context.reset();
      return tl::unexpected(auth.error().error);
    }
  }
  if (endpoint_.db != 0) {
    const std::string db = std::to_string(endpoint_.db);
    const std::string_view select[] = {"SELECT", db};
    if (auto selected = send(connection, select); !selected) {
      connection.context.reset();
      return tl::unexpected(selected.error().error);
    }
  }
  return {};
}

tl::expected<RedisStore::Reply, RedisStore::SendFailure> RedisStore::send(
    Connection& connection, std::span<const std::string_view> args) const {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string_view arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  errno = 0;
  void* raw = nullptr;
  {
    const SigpipeBlock block;
    raw = redisCommandArgv(connection.context.get(), static_cast<int>(argv.size()), argv.data(),
                           lengths.data());
  }
  const int saved_errno = errno;
  if (raw != nullptr) {
    Reply reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR) {
      return tl::unexpected(
          SendFailure{Error{Errc::backend_error, describe_ + ": " + reply_text(*reply)}, false});
    }
    return reply;
  }
  const int err = connection.context->err;
  std::string why = connection.context->errstr;
  connection.context.reset();
  if (err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
    why = "no answer within " + std::to_string(timeout_.count()) + " ms";
  }
  const bool closed_by_server =
      err == REDIS_ERR_EOF ||
      (err == REDIS_ERR_IO && (saved_errno == ECONNRESET || saved_errno == EPIPE));
  return tl::unexpected(
      SendFailure{Error{Errc::unavailable, describe_ + ": " + why}, closed_by_server});
}

Result<RedisStore::Reply> RedisStore::command(Connection& connection,
                                              std::span<const std::string_view> args) const {
  if (connection.context) {
    auto reply = send(connection, args);
    if (reply) {
      return std::move(*reply);
    }
    if (!reply.error().closed_by_server) {
      return tl::unexpected(std::move(reply.error().error));
    }
    // A connection left over from before a server restart: connect again and resend once.
  }
  if (auto connected = connect(connection); !connected) {
    return tl::unexpected(connected.error());
  }
  auto reply = send(connection, args);
  if (!reply) {
    return tl::unexpected(std::move(reply.error().error));
  }
  return std::move(*reply);
}

Result<std::optional<StoredPolicy>> RedisStore::do_get(std::string_view domain, TimePoint now) {
  const std::string key = key_of(domain);
  const std::string_view args[] = {"GET", key};
  auto reply = command(*connection_.lock(), args);
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  if ((*reply)->type == REDIS_REPLY_NIL) {
    return std::optional<StoredPolicy>();
  }
  if ((*reply)->type != REDIS_REPLY_STRING) {
    return fail(Errc::corrupt, describe_ + ": key " + key + " does not hold a string");
  }
  auto policy = decode_policy_value(domain, reply_text(**reply));
  if (!policy) {
    return tl::unexpected(policy.error());
  }
  if (policy->expires_at < now) {
    return std::optional<StoredPolicy>();
  }
  return std::optional<StoredPolicy>(std::move(*policy));
}

Result<void> RedisStore::do_put(const StoredPolicy& policy) {
  const std::string key = key_of(policy.domain);
  const std::string value = encode_policy_value(policy);
  const std::string fetched = std::to_string(policy.fetched_at.time_since_epoch().count());
  // Served through expires_at inclusive, so Redis keeps it until the second after.
  const std::string expire_at = std::to_string(policy.expires_at.time_since_epoch().count() + 1);
  const std::string_view args[] = {"EVAL", kPutScript, "1", key, value, fetched, expire_at};
  auto reply = command(*connection_.lock(), args);
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  return {};
}

Result<bool> RedisStore::do_erase(std::string_view domain) {
  const std::string key = key_of(domain);
  const std::string_view args[] = {"DEL", key};
  auto reply = command(*connection_.lock(), args);
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  return (*reply)->type == REDIS_REPLY_INTEGER && (*reply)->integer > 0;
}

Result<std::vector<std::string>> RedisStore::scan_domains(Connection& connection,
                                                          std::string& cursor) const {
  const std::string count = std::to_string(kScanCount);
  const std::string_view args[] = {"SCAN", cursor, "MATCH", match_, "COUNT", count};
  auto reply = command(connection, args);
  if (!reply) {
    return tl::unexpected(reply.error());
  }
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 || r.element[0]->type != REDIS_REPLY_STRING ||
      r.element[1]->type != REDIS_REPLY_ARRAY) {
    return fail(Errc::backend_error, describe_ + ": unexpected SCAN reply");
  }
  cursor = reply_text(*r.element[0]);
  std::vector<std::string> domains;
  const redisReply& keys = *r.element[1];
  for (std::size_t i = 0; i < keys.elements; ++i) {
    std::string key = reply_text(*keys.element[i]);
    if (key.size() > key_prefix_.size() && key.starts_with(key_prefix_)) {
      domains.push_back(key.substr(key_prefix_.size()));
    }
  }
  return domains;
}

Result<std::vector<StoredPolicy>> RedisStore::fetch_all(Connection& connection,
                                                        std::span<const std::string> domains,
                                                        TimePoint now) const {
  std::vector<StoredPolicy> out;
  for (std::size_t start = 0; start < domains.size(); start += kScanCount) {
    const auto batch = domains.subspan(start, std::min(kScanCount, domains.size() - start));
    std::vector<std::string> keys;
    std::vector<std::string_view> args = {"MGET"};
    keys.reserve(batch.size());
    for (const std::string& domain : batch) {
      keys.push_back(key_of(domain));
      args.push_back(keys.back());
    }
    auto reply = command(connection, args);
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    const redisReply& r = **reply;
    if (r.type != REDIS_REPLY_ARRAY || r.elements != batch.size()) {
      return fail(Errc::backend_error, describe_ + ": unexpected MGET reply");
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (r.element[i]->type != REDIS_REPLY_STRING) {
        continue;  // expired or deleted since the SCAN
      }
      auto policy = decode_policy_value(batch[i], reply_text(*r.element[i]));
      if (policy && policy->expires_at >= now) {
        out.push_back(std::move(*policy));
      }
    }
  }
  return out;
}

// Every key is scanned for every page: list() pages once; visit() takes SCAN's batches instead.
Result<std::vector<StoredPolicy>> RedisStore::page(const PageQuery& query) {
  auto connection = connection_.lock();
  std::vector<std::string> domains;
  std::string cursor = "0";
  do {
    auto found = scan_domains(*connection, cursor);
    if (!found) {
      return tl::unexpected(found.error());
    }
    std::move(found->begin(), found->end(), std::back_inserter(domains));
  } while (cursor != "0");
  std::sort(domains.begin(), domains.end());
  domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
  const auto first = std::upper_bound(domains.begin(), domains.end(), query.after);
  const std::span<const std::string> wanted(first, domains.end());
  // Fetch in slices so `limit` live policies cost about `limit` values, not every key.
  std::vector<StoredPolicy> out;
  for (std::size_t start = 0; start < wanted.size() && out.size() < query.limit;
       start += kScanCount) {
    auto policies = fetch_all(
        *connection, wanted.subspan(start, std::min(kScanCount, wanted.size() - start)), query.now);
    if (!policies) {
      return tl::unexpected(policies.error());
    }
    for (StoredPolicy& policy : *policies) {
      if (out.size() == query.limit) {
        break;
      }
      out.push_back(std::move(policy));
    }
  }
  return out;
}

Result<RedisStore::ScanBatch> RedisStore::scan_batch(std::string cursor, TimePoint now) {
  auto connection = connection_.lock();
  auto domains = scan_domains(*connection, cursor);
  if (!domains) {
    return tl::unexpected(domains.error());
  }
  auto policies = fetch_all(*connection, *domains, now);
  if (!policies) {
    return tl::unexpected(policies.error());
  }
  return ScanBatch{std::move(cursor), std::move(*policies)};
}

Result<std::size_t> RedisStore::do_visit(TimePoint now, const Visitor& visitor) {
  std::size_t visited = 0;
  std::string cursor = "0";
  do {
    auto batch = scan_batch(std::move(cursor), now);
    if (!batch) {
      return tl::unexpected(batch.error());
    }
    for (const StoredPolicy& policy : batch->policies) {
      visitor(policy);
    }
    visited += batch->policies.size();
    cursor = std::move(batch->cursor);
  } while (cursor != "0");
  return visited;
}

Result<std::size_t> RedisStore::do_purge(TimePoint) {
  return 0;
}

}  // namespace mtasts::store

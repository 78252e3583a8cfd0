#include "host/host_challenges.hpp"

#include <nlohmann/json.hpp>
#include <utility>

#include "host/host_async.hpp"

namespace mtasts::app {
namespace {

namespace asio = boost::asio;

constexpr std::chrono::seconds kIndexLeaseTtl{30};
constexpr std::chrono::seconds kIndexRowLifetime{86'400};
constexpr int kIndexAttempts = 50;
constexpr std::chrono::milliseconds kIndexRetry{100};

std::int64_t unix_of(core::HostTime t) {
  return t.time_since_epoch().count();
}

}  // namespace

std::string encode_challenge_index(const std::vector<IndexedChallenge>& entries) {
  nlohmann::json out = nlohmann::json::array();
  for (const IndexedChallenge& entry : entries) {
    out.push_back({{"token", entry.token},
                   {"name", entry.name},
                   {"type", net::challenge_type_name(entry.type)},
                   {"expires", entry.expires}});
  }
  return out.dump();
}

std::vector<IndexedChallenge> decode_challenge_index(std::string_view text) {
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  std::vector<IndexedChallenge> out;
  if (!parsed.is_array()) {
    return out;
  }
  for (const nlohmann::json& item : parsed) {
    if (!item.is_object() || !item.contains("token") || !item["token"].is_string() ||
        !item.contains("name") || !item["name"].is_string() || !item.contains("type") ||
        !item["type"].is_string() || !item.contains("expires") ||
        !item["expires"].is_number_integer()) {
      continue;
    }
    const std::string type = item["type"].get<std::string>();
    if (type != "http-01" && type != "tls-alpn-01") {
      continue;
    }
    out.push_back(IndexedChallenge{
        item["token"].get<std::string>(), item["name"].get<std::string>(),
        type == "http-01" ? net::ChallengeType::http01 : net::ChallengeType::tls_alpn01,
        item["expires"].get<std::int64_t>()});
  }
  return out;
}

std::vector<IndexedChallenge> edit_challenge_index(std::vector<IndexedChallenge> entries,
                                                   std::int64_t now_unix, std::string_view token,
                                                   const std::optional<IndexedChallenge>& added) {
  std::vector<IndexedChallenge> out;
  for (IndexedChallenge& entry : entries) {
    const bool replaced = added && entry.token == added->token;
    if (entry.expires > now_unix && entry.token != token && !replaced) {
      out.push_back(std::move(entry));
    }
  }
  if (added) {
    out.push_back(*added);
  }
  return out;
}

std::string challenge_row_token(const net::PendingChallenge& challenge) {
  switch (challenge.type) {
    case net::ChallengeType::http01:
      return challenge.token;
    case net::ChallengeType::tls_alpn01:
      break;
  }
  return std::string(kAlpnTokenPrefix) + challenge.name;
}

ChallengeBoard::ChallengeBoard(StoreWorker& store, HostPolicySource& source,
                               net::CertificateSet& certificates, const HostClock& clock,
                               net::Logger& log, ChallengeBoardOptions options)
    : store_(store),
      source_(source),
      certificates_(certificates),
      clock_(clock),
      log_(log),
      options_(std::move(options)) {}

core::Result<void> ChallengeBoard::serve(const IndexedChallenge& entry,
                                         const std::string& key_authorization) {
  switch (entry.type) {
    case net::ChallengeType::http01:
      source_.put_http01(entry.token, key_authorization);
      return {};
    case net::ChallengeType::tls_alpn01:
      break;
  }
  return certificates_.put_alpn_challenge(entry.name, key_authorization);
}

void ChallengeBoard::unserve(const IndexedChallenge& entry) {
  switch (entry.type) {
    case net::ChallengeType::http01:
      source_.remove_http01(entry.token);
      return;
    case net::ChallengeType::tls_alpn01:
      break;
  }
  certificates_.remove_alpn_challenge(entry.name);
}

asio::awaitable<bool> ChallengeBoard::edit_index(std::string token,
                                                 std::optional<IndexedChallenge> added) {
  const std::string holder = options_.instance;
  for (int attempt = 0; attempt < kIndexAttempts; ++attempt) {
    const core::HostTime now = clock_.now();
    // Lease, read, change, write and release in one job: the lease makes the read-modify-write
    // of the index row safe against other instances.
    std::function<store::Result<bool>(store::HostingStore&)> job =
        [holder, token, added, now](store::HostingStore& hosting) -> store::Result<bool> {
      auto leased = hosting.acquire_lease(kChallengeIndexLease, holder, kIndexLeaseTtl, now);
      if (!leased || !*leased) {
        return leased;
      }
      auto row = hosting.get_challenge(kChallengeIndexToken, now);
      std::vector<IndexedChallenge> entries;
      if (row && *row) {
        entries = decode_challenge_index((*row)->key_authorization);
      }
      entries = edit_challenge_index(std::move(entries), unix_of(now), token, added);
      auto written = row ? hosting.put_challenge(store::ChallengeRow{
                               std::string(kChallengeIndexToken), "",
                               encode_challenge_index(entries), now + kIndexRowLifetime})
                         : store::Result<void>(tl::unexpected(row.error()));
      auto released = hosting.release_lease(kChallengeIndexLease, holder);
      if (!written) {
        return tl::unexpected(written.error());
      }
      (void)released;
      return true;
    };
    store::Result<bool> done = co_await store_.run(std::move(job));
    if (!done) {
      log_.log(net::LogLevel::warn, "challenge-index-error", {{"error", done.error().message}});
      co_return false;
    }
    if (*done) {
      co_return true;
    }
    co_await sleep_for(kIndexRetry);
  }
  log_.log(net::LogLevel::warn, "challenge-index-busy", {{"token", token}});
  co_return false;
}

asio::awaitable<core::Result<void>> ChallengeBoard::publish(net::PendingChallenge challenge) {
  const core::HostTime now = clock_.now();
  const IndexedChallenge entry{challenge_row_token(challenge), challenge.name, challenge.type,
                               unix_of(now + options_.lifetime)};
  const store::ChallengeRow row{entry.token, challenge.name, challenge.key_authorization,
                                now + options_.lifetime};
  std::function<store::Result<void>(store::HostingStore&)> put =
      [row](store::HostingStore& hosting) { return hosting.put_challenge(row); };
  store::Result<void> stored = co_await store_.run(std::move(put));
  if (!stored) {
    co_return core::fail(core::Errc::invalid_value,
                         "cannot store the challenge: " + stored.error().message);
  }
  if (auto served = serve(entry, challenge.key_authorization); !served) {
    co_return tl::unexpected(served.error());
  }
  own_.insert(entry.token);
  const bool indexed = co_await edit_index(entry.token, entry);
  log_.log(net::LogLevel::info, "challenge-published",
           {{"name", challenge.name},
            {"type", net::challenge_type_name(challenge.type)},
            {"indexed", indexed ? "yes" : "no"}});
  // Every instance's sync loop reads the index once per interval: after that, any of them
  // answers the CA.
  co_await sleep_for(options_.propagation);
  co_return core::Result<void>();
}

asio::awaitable<void> ChallengeBoard::withdraw(net::PendingChallenge challenge) {
  const IndexedChallenge entry{challenge_row_token(challenge), challenge.name, challenge.type, 0};
  unserve(entry);
  own_.erase(entry.token);
  const std::string token = entry.token;
  std::function<store::Result<void>(store::HostingStore&)> remove =
      [token](store::HostingStore& hosting) { return hosting.delete_challenge(token); };
  store::Result<void> removed = co_await store_.run(std::move(remove));
  if (!removed) {
    log_.log(net::LogLevel::warn, "challenge-delete-error",
             {{"name", challenge.name}, {"error", removed.error().message}});
  }
  co_await edit_index(token, std::nullopt);
}

asio::awaitable<void> ChallengeBoard::refresh() {
  const core::HostTime now = clock_.now();
  using Listed = std::vector<std::pair<IndexedChallenge, std::string>>;
  // One job: the index, then the rows of the entries this instance does not serve yet.
  std::set<std::string, std::less<>> known = own_;
  for (const auto& [token, entry] : mirrored_) {
    known.insert(token);
  }
  std::function<store::Result<std::pair<std::vector<IndexedChallenge>, Listed>>(
      store::HostingStore&)>
      job = [known, now](store::HostingStore& hosting)
      -> store::Result<std::pair<std::vector<IndexedChallenge>, Listed>> {
    auto row = hosting.get_challenge(kChallengeIndexToken, now);
    if (!row) {
      return tl::unexpected(row.error());
    }
    std::vector<IndexedChallenge> entries;
    if (*row) {
      entries = edit_challenge_index(decode_challenge_index((*row)->key_authorization),
                                     now.time_since_epoch().count(), "", std::nullopt);
    }
    Listed fresh;
    for (const IndexedChallenge& entry : entries) {
      if (known.contains(entry.token)) {
        continue;
      }
      auto challenge = hosting.get_challenge(entry.token, now);
      if (challenge && *challenge) {
        fresh.emplace_back(entry, (*challenge)->key_authorization);
      }
    }
    return std::make_pair(std::move(entries), std::move(fresh));
  };
  auto read = co_await store_.run(std::move(job));
  if (!read) {
    log_.log(net::LogLevel::warn, "challenge-index-error", {{"error", read.error().message}});
    co_return;
  }
  const auto& [entries, fresh] = *read;
  for (auto it = mirrored_.begin(); it != mirrored_.end();) {
    const bool listed = std::any_of(entries.begin(), entries.end(), [&](const IndexedChallenge& e) {
      return e.token == it->first;
    });
    if (listed) {
      ++it;
      continue;
    }
    unserve(it->second);
    it = mirrored_.erase(it);
  }
  for (const auto& [entry, key_authorization] : fresh) {
    if (auto served = serve(entry, key_authorization); !served) {
      log_.log(net::LogLevel::warn, "challenge-serve-error",
               {{"name", entry.name}, {"error", served.error().message}});
      continue;
    }
    mirrored_.emplace(entry.token, entry);
    log_.log(net::LogLevel::info, "challenge-mirrored",
             {{"name", entry.name}, {"type", net::challenge_type_name(entry.type)}});
  }
}

}  // namespace mtasts::app

#include "mtasts/hosting/host_challenges.hpp"

#include <utility>

#include "mtasts/hosting/host_async.hpp"

namespace mtasts::hosting {

namespace asio = boost::asio;

std::string challenge_row_token(const net::PendingChallenge& challenge) {
  switch (challenge.type) {
    case net::ChallengeType::http01:
      return challenge.token;
    case net::ChallengeType::tls_alpn01:
      break;
  }
  return std::string(kAlpnTokenPrefix) + challenge.name;
}

std::optional<SharedChallenge> shared_challenge_of(const store::ChallengeRow& row) {
  if (row.token.empty() || row.name.empty()) {
    return std::nullopt;
  }
  const bool alpn = row.token.starts_with(kAlpnTokenPrefix);
  return SharedChallenge{row.token, row.name,
                         alpn ? net::ChallengeType::tls_alpn01 : net::ChallengeType::http01};
}

ChallengeBoard::ChallengeBoard(StoreWorker& store, HostPolicySource& source,
                               net::CertificateSet& certificates, const net::Clock& clock,
                               net::Logger& log, ChallengeBoardOptions options)
    : store_(store),
      source_(source),
      certificates_(certificates),
      clock_(clock),
      log_(log),
      options_(std::move(options)) {}

core::Result<void> ChallengeBoard::serve(const SharedChallenge& entry,
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

void ChallengeBoard::unserve(const SharedChallenge& entry) {
  switch (entry.type) {
    case net::ChallengeType::http01:
      source_.remove_http01(entry.token);
      return;
    case net::ChallengeType::tls_alpn01:
      break;
  }
  certificates_.remove_alpn_challenge(entry.name);
}

asio::awaitable<core::Result<void>> ChallengeBoard::publish(net::PendingChallenge challenge) {
  const core::HostTime now = clock_.now();
  const SharedChallenge entry{challenge_row_token(challenge), challenge.name, challenge.type};
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
  log_.log(net::LogLevel::info, "challenge-published",
           {{"name", challenge.name}, {"type", net::challenge_type_name(challenge.type)}});
  // Every instance's sync loop lists the challenges once per interval: after that, any of
  // them answers the CA.
  co_await sleep_for(options_.propagation);
  co_return core::Result<void>();
}

asio::awaitable<void> ChallengeBoard::withdraw(net::PendingChallenge challenge) {
  const SharedChallenge entry{challenge_row_token(challenge), challenge.name, challenge.type};
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
}

asio::awaitable<void> ChallengeBoard::refresh() {
  const core::HostTime now = clock_.now();
  std::function<store::Result<std::vector<store::ChallengeRow>>(store::HostingStore&)> job =
      [now](store::HostingStore& hosting) { return hosting.list_challenges(now); };
  auto listed = co_await store_.run(std::move(job));
  if (!listed) {
    log_.log(net::LogLevel::warn, "challenge-list-error", {{"error", listed.error().message}});
    co_return;
  }
  std::map<std::string, Mirrored, std::less<>> current;
  for (store::ChallengeRow& row : *listed) {
    if (own_.contains(row.token)) {
      continue;
    }
    if (auto challenge = shared_challenge_of(row)) {
      current.emplace(row.token, Mirrored{std::move(*challenge), std::move(row.key_authorization)});
    }
  }
  // Withdrawn, or stored again with another key authorization: stop serving the old one.
  for (auto it = mirrored_.begin(); it != mirrored_.end();) {
    const auto now_stored = current.find(it->first);
    if (now_stored != current.end() &&
        now_stored->second.key_authorization == it->second.key_authorization) {
      ++it;
      continue;
    }
    unserve(it->second.challenge);
    it = mirrored_.erase(it);
  }
  for (auto& [token, entry] : current) {
    if (mirrored_.contains(token)) {
      continue;
    }
    if (auto served = serve(entry.challenge, entry.key_authorization); !served) {
      log_.log(net::LogLevel::warn, "challenge-serve-error",
               {{"name", entry.challenge.name}, {"error", served.error().message}});
      continue;
    }
    log_.log(
        net::LogLevel::info, "challenge-mirrored",
        {{"name", entry.challenge.name}, {"type", net::challenge_type_name(entry.challenge.type)}});
    mirrored_.emplace(token, std::move(entry));
  }
}

}  // namespace mtasts::hosting

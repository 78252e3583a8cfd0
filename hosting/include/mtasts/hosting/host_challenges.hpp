#pragma once

// ACME challenges answered by every instance of a cluster (docs/hosting.md): the instance
// that orders a certificate publishes each challenge in the store and in its own policy
// server; every instance's sync loop lists the store's challenges and serves those the others
// published (HTTP-01 key authorizations on port 80, TLS-ALPN-01 certificates on 443), and
// stops serving those they withdrew. publish() returns once every instance has had one sync
// interval to pick it up, so the CA may validate against any of them.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/hosting/host_policy_source.hpp"
#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/hosting/certificate_set.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

inline constexpr std::string_view kAlpnTokenPrefix = "alpn:";

// A challenge as served: the token of its store row, the name validated, the kind.
struct SharedChallenge {
  std::string token;  // the store row: the HTTP-01 token, or "alpn:" + name
  std::string name;
  net::ChallengeType type = net::ChallengeType::http01;

  friend bool operator==(const SharedChallenge&, const SharedChallenge&) = default;
};

// The store row of a challenge: the token for HTTP-01, "alpn:" + name for TLS-ALPN-01.
[[nodiscard]] std::string challenge_row_token(const net::PendingChallenge& challenge);

// What a store row serves: TLS-ALPN-01 for an "alpn:" token, HTTP-01 otherwise; nothing for a
// row without a token or a name.
[[nodiscard]] std::optional<SharedChallenge> shared_challenge_of(const store::ChallengeRow& row);

struct ChallengeBoardOptions {
  std::string instance;
  std::chrono::milliseconds propagation{6000};  // one sync interval and a margin
  std::chrono::seconds lifetime{3600};          // of a challenge row
};

class ChallengeBoard final : public net::ChallengePublisher {
 public:
  // Everything given must outlive the board. Its coroutines run on the main loop.
  ChallengeBoard(StoreWorker& store, HostPolicySource& source, net::CertificateSet& certificates,
                 const net::Clock& clock, net::Logger& log, ChallengeBoardOptions options);

  boost::asio::awaitable<core::Result<void>> publish(net::PendingChallenge challenge) override;
  boost::asio::awaitable<void> withdraw(net::PendingChallenge challenge) override;

  // A step of the sync loop: serves the challenges other instances stored, stops serving
  // those they withdrew.
  boost::asio::awaitable<void> refresh();

  [[nodiscard]] std::size_t mirrored() const { return mirrored_.size(); }

 private:
  core::Result<void> serve(const SharedChallenge& entry, const std::string& key_authorization);
  void unserve(const SharedChallenge& entry);

  struct Mirrored {
    SharedChallenge challenge;
    std::string key_authorization;
  };

  StoreWorker& store_;
  HostPolicySource& source_;
  net::CertificateSet& certificates_;
  const net::Clock& clock_;
  net::Logger& log_;
  ChallengeBoardOptions options_;
  std::set<std::string, std::less<>> own_;                 // published by this instance
  std::map<std::string, Mirrored, std::less<>> mirrored_;  // served for others, by token
};

}  // namespace mtasts::hosting

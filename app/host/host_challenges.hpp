#pragma once

// ACME challenges answered by every instance of a cluster (docs/hosting.md): the instance
// that orders a certificate publishes each challenge in the store and in its own policy
// server, and lists it in an index row of the challenges table; every instance's sync loop
// reads the index and serves what the others published (HTTP-01 key authorizations on port
// 80, TLS-ALPN-01 certificates on 443). publish() returns once every instance has had one sync
// interval to pick it up, so the CA may validate against any of them.
//
// The index exists because the store has no way to list challenges; it is one row, read with
// get_challenge() and rewritten under the lease "challenge-index" so that two instances never
// lose each other's entries.

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "host/host_clock.hpp"
#include "host/host_policy_source.hpp"
#include "host/host_store_worker.hpp"
#include "mtasts/net/acme_client.hpp"
#include "mtasts/net/certificate_set.hpp"
#include "mtasts/net/log.hpp"

namespace mtasts::app {

inline constexpr std::string_view kChallengeIndexToken = "mtasts:challenge-index";
inline constexpr std::string_view kChallengeIndexLease = "challenge-index";
inline constexpr std::string_view kAlpnTokenPrefix = "alpn:";

// One entry of the index.
struct IndexedChallenge {
  std::string token;  // the store row: the HTTP-01 token, or "alpn:" + name
  std::string name;
  net::ChallengeType type = net::ChallengeType::http01;
  std::int64_t expires = 0;  // unix seconds

  friend bool operator==(const IndexedChallenge&, const IndexedChallenge&) = default;
};

// The index as stored (a JSON array) and back; text that is not an index reads as empty.
[[nodiscard]] std::string encode_challenge_index(const std::vector<IndexedChallenge>& entries);
[[nodiscard]] std::vector<IndexedChallenge> decode_challenge_index(std::string_view text);

// `entries` without those expired at `now_unix`, without `token` (when given), plus `added`
// (when given, replacing an entry with its token).
[[nodiscard]] std::vector<IndexedChallenge> edit_challenge_index(
    std::vector<IndexedChallenge> entries, std::int64_t now_unix, std::string_view token,
    const std::optional<IndexedChallenge>& added);

// The store row of a challenge: the token for HTTP-01, "alpn:" + name for TLS-ALPN-01.
[[nodiscard]] std::string challenge_row_token(const net::PendingChallenge& challenge);

struct ChallengeBoardOptions {
  std::string instance;
  std::chrono::milliseconds propagation{6000};  // one sync interval and a margin
  std::chrono::seconds lifetime{3600};          // of a challenge row
};

class ChallengeBoard final : public net::ChallengePublisher {
 public:
  // Everything given must outlive the board. Its coroutines run on the main loop.
  ChallengeBoard(StoreWorker& store, HostPolicySource& source, net::CertificateSet& certificates,
                 const HostClock& clock, net::Logger& log, ChallengeBoardOptions options);

  boost::asio::awaitable<core::Result<void>> publish(net::PendingChallenge challenge) override;
  boost::asio::awaitable<void> withdraw(net::PendingChallenge challenge) override;

  // A step of the sync loop: serves the challenges other instances listed, stops serving
  // those they withdrew.
  boost::asio::awaitable<void> refresh();

  [[nodiscard]] std::size_t mirrored() const { return mirrored_.size(); }

 private:
  boost::asio::awaitable<bool> edit_index(std::string token, std::optional<IndexedChallenge> added);
  core::Result<void> serve(const IndexedChallenge& entry, const std::string& key_authorization);
  void unserve(const IndexedChallenge& entry);

  StoreWorker& store_;
  HostPolicySource& source_;
  net::CertificateSet& certificates_;
  const HostClock& clock_;
  net::Logger& log_;
  ChallengeBoardOptions options_;
  std::set<std::string, std::less<>> own_;                         // published by this instance
  std::map<std::string, IndexedChallenge, std::less<>> mirrored_;  // served for others
};

}  // namespace mtasts::app

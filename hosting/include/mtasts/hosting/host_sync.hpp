#pragma once

// The sync loop of `mtasts host` (docs/hosting.md): every sync interval it reads the store's
// generation; when it moved, it reloads the domains and certificates, builds a new snapshot of
// the bodies served and swaps it in for the policy server's threads, and puts changed
// certificates into the CertificateSet (removing those of domains no longer served). A
// removal whose serve_until passes rebuilds the snapshot too, without a store change. The
// other parts of the service (certificates, records, monitor, admin API) read the state it
// loaded; everything here runs on the main loop.
//
// With a heartbeat set, a pass also writes this instance's row (store::InstanceRow, last_seen
// = now) in the same store job, not again within half the row's sync_interval: the Service page's
// list of a cluster's instances. The heartbeat bumps no generation, so no instance reloads for
// it, and a failed heartbeat is logged without failing the pass.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mtasts/hosting/host_async.hpp"
#include "mtasts/hosting/host_challenges.hpp"
#include "mtasts/hosting/host_policy_source.hpp"
#include "mtasts/hosting/host_schedule.hpp"
#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/net/hosting/certificate_set.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

// What the store held at one generation.
struct LoadedState {
  std::uint64_t generation = 0;
  std::vector<store::DomainRow> domains;
  std::map<std::string, CertificateStatus, std::less<>> certificates;  // by name

  [[nodiscard]] std::optional<CertificateStatus> certificate(std::string_view name) const;
};

// Every hosted domain and every certificate, as the store holds them.
struct HostedRows {
  std::vector<store::DomainRow> domains;
  std::vector<store::CertificateRow> certificates;
};

// Reads the domains, then the certificates (run on the store's thread). Errors: the store's.
[[nodiscard]] store::Result<HostedRows> read_hosted_rows(store::HostingStore& hosting);

// The bodies served at `now`: every domain hosted_serving() says is served.
[[nodiscard]] std::shared_ptr<const ServedPolicies> build_served_policies(const LoadedState& state,
                                                                          core::HostTime now);

class HostSync {
 public:
  // Everything given must outlive the sync. `challenges` may be null (no ACME).
  HostSync(StoreWorker& store, HostPolicySource& source, net::CertificateSet& certificates,
           ChallengeBoard* challenges, const net::Clock& clock, net::Logger& log);

  // One pass: the generation, a reload when it moved (or `force`), the snapshot, the
  // certificates, the challenges of other instances.
  // Errors: the store's (the state served stays as it was).
  boost::asio::awaitable<core::Result<void>> sync_once(bool force = false);

  // Makes every later pass write `identity` (its last_seen set to the time of the pass) as
  // this instance's heartbeat. Writes are at least half `identity.sync_interval` (and 1 s)
  // apart.
  void set_heartbeat(store::InstanceRow identity) { heartbeat_ = std::move(identity); }

  // Runs sync_once() every `interval` until `timer` stops.
  boost::asio::awaitable<void> run(LoopTimer& timer, std::chrono::milliseconds interval);

  [[nodiscard]] const LoadedState& state() const { return *state_; }
  [[nodiscard]] std::shared_ptr<const LoadedState> shared_state() const { return state_; }
  // A certificate this instance obtained: served at once, before the store round trip.
  void install_certificate(const store::CertificateRow& row);

  [[nodiscard]] std::uint64_t failures() const { return failures_; }
  [[nodiscard]] bool loaded() const { return loaded_; }

 private:
  // Serves `state`; `rows` are the certificates with their PEM when they were just loaded
  // (empty when only the time moved).
  void apply(std::shared_ptr<const LoadedState> state,
             const std::vector<store::CertificateRow>& rows);
  void sync_certificates(const std::vector<store::CertificateRow>& rows, core::HostTime now);

  StoreWorker& store_;
  HostPolicySource& source_;
  net::CertificateSet& certificates_;
  ChallengeBoard* challenges_;
  const net::Clock& clock_;
  net::Logger& log_;
  std::shared_ptr<const LoadedState> state_;
  // Per name: a fingerprint of the chain the set serves.
  std::map<std::string, std::size_t, std::less<>> installed_;
  // The earliest serve_until among served domains being removed: the snapshot changes then.
  std::optional<core::HostTime> next_change_;
  std::uint64_t failures_ = 0;
  bool loaded_ = false;
  std::optional<store::InstanceRow> heartbeat_;
  std::optional<core::HostTime> last_beat_;
};

}  // namespace mtasts::hosting

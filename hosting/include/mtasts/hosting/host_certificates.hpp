#pragma once

// The certificate manager of `mtasts host` (docs/hosting.md): every served domain's policy host
// mta-sts.<d> gets a certificate by ACME, and a new one two thirds into its lifetime.
//
// Per name, in order:
//   1. gate: mta-sts.<d> must resolve to the service now (CNAME through the service hostname,
//      or only service addresses): the CA validates there, and a certificate is issued only
//      for a name that is ours to serve. A name that fails waits (1 minute, doubling to 1 hour).
//   2. the store lease "acme:<name>", so that one instance of a cluster orders it; renewed
//      while the order runs. The row is read again under the lease: another instance may
//      have just stored a certificate.
//   3. the account (AcmeAccountKeeper: one for the cluster, registered once), then the order
//      (net::AcmeClient, challenges through the ChallengeBoard).
//   4. success: the certificate and key stored, audit cert.issued, served at once here and by
//      the others at their next sync. Failure: the row records it (failures, last_error,
//      retry_at: 5 minutes doubling to a day, never before the CA's Retry-After), audit
//      cert.failed; an old certificate keeps being served.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "mtasts/hosting/host_acme_account.hpp"
#include "mtasts/hosting/host_async.hpp"
#include "mtasts/hosting/host_challenges.hpp"
#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/host_sync.hpp"
#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

struct CertificateManagerOptions {
  core::ServiceIdentity service;
  std::string instance;  // the lease holder and the audit actor "system:<instance>"
  std::string directory_url;
  std::chrono::seconds order_timeout{300};
  std::size_t concurrency = 4;  // orders at once
};

struct CertificateCounters {
  std::uint64_t issued = 0;
  std::uint64_t failed = 0;
  std::uint64_t gate_refused = 0;  // mta-sts.<d> did not point at the service
  std::uint64_t lease_busy = 0;    // another instance held the name's lease
};

class CertificateManager {
 public:
  // Everything given must outlive the manager.
  CertificateManager(boost::asio::any_io_executor executor, StoreWorker& store, HostSync& sync,
                     net::AcmeClient& acme, net::ChallengePublisher& publisher,
                     net::DnsResolver& resolver, const net::Clock& clock, net::Logger& log,
                     CertificateManagerOptions options);

  // Starts orders for the names that need one, up to the concurrency.
  void scan();

  // Runs scan() every `interval` until `timer` stops.
  boost::asio::awaitable<void> run(LoopTimer& timer, std::chrono::milliseconds interval);

  [[nodiscard]] const CertificateCounters& counters() const { return counters_; }
  [[nodiscard]] std::size_t in_flight() const { return in_flight_.size(); }

 private:
  boost::asio::awaitable<void> obtain(std::string domain);
  boost::asio::awaitable<bool> gate(const std::string& name);
  boost::asio::awaitable<void> finish(const std::string& name,
                                      const std::optional<store::CertificateRow>& previous,
                                      const net::AcmeResult<net::IssuedCertificate>& result);
  boost::asio::awaitable<void> keep_lease(std::shared_ptr<LoopTimer> alive, std::string lease);
  void note_gate_failure(const std::string& name);

  boost::asio::any_io_executor executor_;
  StoreWorker& store_;
  HostSync& sync_;
  net::AcmeClient& acme_;
  net::ChallengePublisher& publisher_;
  net::DnsResolver& resolver_;
  const net::Clock& clock_;
  net::Logger& log_;
  CertificateManagerOptions options_;
  std::set<std::string, std::less<>> in_flight_;
  // Names whose gate failed: failures in a row and when to look again.
  std::map<std::string, std::pair<std::uint32_t, core::HostTime>, std::less<>> gate_wait_;
  AcmeAccountKeeper account_;
  CertificateCounters counters_;
};

}  // namespace mtasts::hosting

#pragma once

// The ACME account of `mtasts host` (docs/hosting.md): one per ACME directory for a whole
// cluster, registered once and then used by every order of every instance. CAs limit
// registrations (Let's Encrypt: per IP address and period), so concurrent first orders must
// not each register one.
//
// In one process, the account is a single flight: the first order that needs it establishes
// it, orders that need it meanwhile wait for that one result (a failure included: each of them
// fails and backs off as any failed order does, and the next order tries again).
//
// In a cluster (instances on one PostgreSQL), the instance that finds no stored account takes
// the store lease "acme-account:<directory>" and reads the store again under it before it
// registers; an instance that finds the lease held waits for the holder's account to appear in
// the store (polling) and uses it, or takes the lease over once the holder let it go without
// storing one. The account is stored with HostingStore::add_acme_account, which keeps the
// first one stored: if two instances registered anyway (the lease expired during a
// registration that took longer than its ttl), the later one discards its own and uses the
// stored one. Why both: the lease alone leaves that corner; the atomic insert alone would let
// instances started together register one account each and keep one (what the CA counts is
// the registrations).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

struct AcmeAccountOptions {
  std::string instance;  // the lease holder
  std::string directory_url;
  std::chrono::seconds lease_ttl{420};  // at least the bound on one registration
};

class AcmeAccountKeeper {
 public:
  // Everything given must outlive the keeper. Used from `executor`'s thread only.
  AcmeAccountKeeper(boost::asio::any_io_executor executor, StoreWorker& store,
                    net::AcmeClient& acme, const net::Clock& clock, net::Logger& log,
                    AcmeAccountOptions options);

  // The account: the one this process established before, else the stored one (checked with
  // the CA once: AcmeClient::ensure_account, which registers its key anew if the CA forgot
  // it), else one registered now as the file comment says. Errors: the AcmeError of the
  // registration or the check; AcmeErrc::local when the store fails or another instance held
  // the lease for its whole ttl without storing an account.
  boost::asio::awaitable<net::AcmeResult<net::AcmeAccount>> account();

 private:
  struct Flight;
  // What account() does for the one caller that establishes the account.
  boost::asio::awaitable<net::AcmeResult<net::AcmeAccount>> establish();
  // Checks a stored account with the CA; stores it again if the CA gave it a new URL.
  boost::asio::awaitable<net::AcmeResult<net::AcmeAccount>> confirm(store::AcmeAccountRow row);
  // Registers a new account (this instance holds the lease) and stores it unless another one
  // was stored meanwhile; returns the stored one. Gives the lease up.
  boost::asio::awaitable<net::AcmeResult<net::AcmeAccount>> register_and_store();

  boost::asio::any_io_executor executor_;
  StoreWorker& store_;
  net::AcmeClient& acme_;
  const net::Clock& clock_;
  net::Logger& log_;
  AcmeAccountOptions options_;
  std::optional<net::AcmeAccount> account_;
  std::shared_ptr<Flight> flight_;  // set while an account() establishes the account
};

}  // namespace mtasts::hosting

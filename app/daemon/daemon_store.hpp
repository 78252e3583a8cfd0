#pragma once

// The daemon's PolicyPersistence: a store::PolicyStore behind the interface the policy service
// calls from its store thread. After the backend reports itself unavailable (a Redis or
// PostgreSQL server down, answering only after its timeout) or damaged (a corrupt SQLite file),
// it is left alone for a cooldown, so lookups are not queued behind timeouts nor log an error
// each; the daemon serves from memory meanwhile. A Redis
// or PostgreSQL store that could not be opened at start (server down) is opened on first use
// after each cooldown, so a daemon started before its shared store joins the fleet's cache
// once the server is up. The cooldown is counted on the clock the daemon passes in.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"
#include "mtasts/net/socketmap/policy_service.hpp"
#include "mtasts/store/policy_store.hpp"

namespace mtasts::app {

inline constexpr std::chrono::seconds kStoreCooldown{30};

// How a store is opened: store::open_store, or a fake in tests.
using StoreOpener =
    std::function<store::Result<std::unique_ptr<store::PolicyStore>>(const store::StoreConfig&)>;

class StorePersistence final : public net::PolicyPersistence {
 public:
  // `store`: the opened store, or null when opening it failed with Errc::unavailable (then
  // `opener` opens `config` on use, at most once per `cooldown` of `clock`). `clock` and `log`
  // must outlive the adapter. Every call but name() comes from one thread (the service's store
  // thread).
  StorePersistence(store::StoreConfig config, std::unique_ptr<store::PolicyStore> store,
                   const net::Clock& clock, net::Logger& log,
                   StoreOpener opener = store::open_store,
                   std::chrono::seconds cooldown = kStoreCooldown);

  [[nodiscard]] core::Result<std::optional<core::CachedPolicy>> load(const std::string& domain,
                                                                     core::TimePoint now) override;
  [[nodiscard]] core::Result<void> save(const std::string& domain,
                                        const core::CachedPolicy& policy) override;
  [[nodiscard]] core::Result<std::size_t> purge_expired(core::TimePoint now) override;
  [[nodiscard]] std::string_view name() const override;

 private:
  // The store, opened now if it was not; null while cooling down or when it cannot be opened
  // (the error is then in `why`).
  [[nodiscard]] store::PolicyStore* ready(store::Error& why);
  [[nodiscard]] bool cooling_down() const;
  void start_cooldown();
  void note_failure(const store::Error& error);

  store::StoreConfig config_;
  std::unique_ptr<store::PolicyStore> store_;
  const net::Clock& clock_;
  net::Logger& log_;
  StoreOpener opener_;
  std::chrono::seconds cooldown_;
  std::string name_;
  // The cooldown: [since, until) in seconds of clock_. Empty when both are 0.
  std::atomic<std::chrono::seconds::rep> unavailable_since_{0};
  std::atomic<std::chrono::seconds::rep> unavailable_until_{0};
};

}  // namespace mtasts::app

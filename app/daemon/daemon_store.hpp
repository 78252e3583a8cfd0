#pragma once

// The daemon's PolicyPersistence: a store::PolicyStore behind the interface the policy service
// calls from its store thread. After the backend reports itself unavailable (a Redis or
// PostgreSQL server down, answering only after its timeout), it is left alone for a cooldown,
// so lookups are not queued behind timeouts; the daemon serves from memory meanwhile.

#include <atomic>
#include <chrono>
#include <memory>

#include "mtasts/net/log.hpp"
#include "mtasts/net/policy_service.hpp"
#include "mtasts/store/policy_store.hpp"

namespace mtasts::app {

inline constexpr std::chrono::seconds kStoreCooldown{30};

class StorePersistence final : public net::PolicyPersistence {
 public:
  // `log` must outlive the adapter.
  StorePersistence(std::unique_ptr<store::PolicyStore> store, net::Logger& log);

  [[nodiscard]] core::Result<std::optional<core::CachedPolicy>> load(const std::string& domain,
                                                                     core::TimePoint now) override;
  [[nodiscard]] core::Result<void> save(const std::string& domain,
                                        const core::CachedPolicy& policy) override;
  [[nodiscard]] std::string_view name() const override;

 private:
  [[nodiscard]] bool cooling_down() const;
  void note_failure(const store::Error& error);

  std::unique_ptr<store::PolicyStore> store_;
  net::Logger& log_;
  std::atomic<std::chrono::steady_clock::rep> unavailable_until_{0};
};

}  // namespace mtasts::app

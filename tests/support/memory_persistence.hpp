#pragma once

// The PolicyPersistence of the unit tests: policies in a map, or a store that fails every call
// (`fail`). It counts its calls; the policy service calls it from its store thread.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "mtasts/net/socketmap/policy_service.hpp"

namespace mtasts::net::testing {

class MemoryPersistence final : public PolicyPersistence {
 public:
  core::Result<std::optional<core::CachedPolicy>> load(const std::string& domain,
                                                       core::TimePoint now) override {
    const std::lock_guard lock(mutex);
    ++loads;
    if (fail) {
      return core::fail(core::Errc::invalid_value, "disk on fire");
    }
    auto it = policies.find(domain);
    if (it == policies.end() || now > it->second.expires_at) {
      return std::nullopt;
    }
    return it->second;
  }
  core::Result<void> save(const std::string& domain, const core::CachedPolicy& policy) override {
    const std::lock_guard lock(mutex);
    ++saves;
    if (fail) {
      return core::fail(core::Errc::invalid_value, "disk on fire");
    }
    policies.insert_or_assign(domain, policy);
    return {};
  }
  core::Result<std::size_t> purge_expired(core::TimePoint now) override {
    const std::lock_guard lock(mutex);
    ++purges;
    return static_cast<std::size_t>(std::erase_if(
        policies, [now](const auto& entry) { return now > entry.second.expires_at; }));
  }
  [[nodiscard]] std::string_view name() const override { return "memory"; }

  std::mutex mutex;
  std::map<std::string, core::CachedPolicy> policies;
  int loads = 0;
  int saves = 0;
  int purges = 0;
  bool fail = false;
};

}  // namespace mtasts::net::testing

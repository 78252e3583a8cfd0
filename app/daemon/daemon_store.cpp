#include "daemon/daemon_store.hpp"

#include "mtasts/store/stored_policy.hpp"

namespace mtasts::app {
namespace {

using SteadyClock = std::chrono::steady_clock;

core::Error to_core(const store::Error& error) {
  return core::Error{core::Errc::invalid_value,
                     std::string(store::errc_name(error.code)) + ": " + error.message};
}

}  // namespace

StorePersistence::StorePersistence(std::unique_ptr<store::PolicyStore> store, net::Logger& log)
    : store_(std::move(store)), log_(log) {}

bool StorePersistence::cooling_down() const {
  return SteadyClock::now().time_since_epoch().count() < unavailable_until_.load();
}

void StorePersistence::note_failure(const store::Error& error) {
  if (error.code != store::Errc::unavailable) {
    return;
  }
  const auto until = SteadyClock::now() + kStoreCooldown;
  unavailable_until_.store(until.time_since_epoch().count());
  log_.log(net::LogLevel::warn, "store-cooldown",
           {{"store", store_->name()}, {"seconds", kStoreCooldown.count()}});
}

core::Result<std::optional<core::CachedPolicy>> StorePersistence::load(const std::string& domain,
                                                                       core::TimePoint now) {
  if (cooling_down()) {
    return std::nullopt;
  }
  auto stored = store_->get(domain, now);
  if (!stored) {
    note_failure(stored.error());
    return tl::unexpected(to_core(stored.error()));
  }
  if (!*stored) {
    return std::nullopt;
  }
  auto cached = store::to_cached(**stored);
  if (!cached) {
    return tl::unexpected(to_core(cached.error()));
  }
  return std::optional<core::CachedPolicy>(std::move(*cached));
}

core::Result<void> StorePersistence::save(const std::string& domain,
                                          const core::CachedPolicy& policy) {
  if (cooling_down()) {
    return {};
  }
  auto put = store_->put(store::to_stored(domain, policy));
  if (!put) {
    note_failure(put.error());
    return tl::unexpected(to_core(put.error()));
  }
  return {};
}

std::string_view StorePersistence::name() const {
  return store_->name();
}

}  // namespace mtasts::app

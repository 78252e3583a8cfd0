#include "daemon/daemon_store.hpp"

#include "mtasts/store/stored_policy.hpp"

namespace mtasts::app {
namespace {

core::Error to_core(const store::Error& error) {
  return core::Error{core::Errc::invalid_value,
                     std::string(store::errc_name(error.code)) + ": " + error.message};
}

}  // namespace

StorePersistence::StorePersistence(store::StoreConfig config,
                                   std::unique_ptr<store::PolicyStore> store,
                                   const net::Clock& clock, net::Logger& log, StoreOpener opener,
                                   std::chrono::seconds cooldown)
    : config_(std::move(config)),
      store_(std::move(store)),
      clock_(clock),
      log_(log),
      opener_(std::move(opener)),
      cooldown_(cooldown),
      name_(store::store_type_name(config_.type)) {
  if (!store_) {
    // Not opened at start: the first use waits for a cooldown, as after any outage.
    start_cooldown();
  }
}

bool StorePersistence::cooling_down() const {
  // A clock set back before the cooldown began ends it, rather than stretching it.
  const auto now = clock_.now().time_since_epoch().count();
  return unavailable_since_.load() <= now && now < unavailable_until_.load();
}

void StorePersistence::start_cooldown() {
  const auto now = clock_.now();
  unavailable_since_.store(now.time_since_epoch().count());
  unavailable_until_.store((now + cooldown_).time_since_epoch().count());
}

void StorePersistence::note_failure(const store::Error& error) {
  // A server that is down, and a damaged file, fail every call the same way until someone
  // acts: each is left alone for a cooldown rather than tried (and logged) once per lookup.
  if (error.code != store::Errc::unavailable && error.code != store::Errc::corrupt) {
    return;
  }
  start_cooldown();
  log_.log(net::LogLevel::warn, "store-cooldown",
           {{"store", name_}, {"seconds", cooldown_.count()}});
}

store::PolicyStore* StorePersistence::ready(store::Error& why) {
  if (cooling_down()) {
    return nullptr;
  }
  if (!store_) {
    auto opened = opener_(config_);
    if (!opened) {
      why = opened.error();
      note_failure(why);
      return nullptr;
    }
    store_ = std::move(*opened);
    log_.log(net::LogLevel::info, "store-open", {{"store", store_->name()}, {"retry", "yes"}});
  }
  return store_.get();
}

core::Result<std::optional<core::CachedPolicy>> StorePersistence::load(const std::string& domain,
                                                                       core::TimePoint now) {
  store::Error why{store::Errc::unavailable, ""};
  store::PolicyStore* policies = ready(why);
  if (policies == nullptr) {
    // Cooling down is no error: the lookup goes on to the network without a log line.
    return why.message.empty() ? core::Result<std::optional<core::CachedPolicy>>(std::nullopt)
                               : tl::unexpected(to_core(why));
  }
  auto stored = policies->get(domain, now);
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
  store::Error why{store::Errc::unavailable, ""};
  store::PolicyStore* policies = ready(why);
  if (policies == nullptr) {
    return why.message.empty() ? core::Result<void>() : tl::unexpected(to_core(why));
  }
  auto put = policies->put(store::to_stored(domain, policy));
  if (!put) {
    note_failure(put.error());
    return tl::unexpected(to_core(put.error()));
  }
  return {};
}

core::Result<std::size_t> StorePersistence::purge_expired(core::TimePoint now) {
  store::Error why{store::Errc::unavailable, ""};
  store::PolicyStore* policies = ready(why);
  if (policies == nullptr) {
    return why.message.empty() ? core::Result<std::size_t>(std::size_t{0})
                               : tl::unexpected(to_core(why));
  }
  auto purged = policies->purge_expired(now);
  if (!purged) {
    note_failure(purged.error());
    return tl::unexpected(to_core(purged.error()));
  }
  return *purged;
}

std::string_view StorePersistence::name() const {
  return name_;
}

}  // namespace mtasts::app

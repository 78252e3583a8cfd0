// Proactive refresh (RFC 8461 §3.3, §10.2: refresh cached policies before they are needed)
// and the preload list: flights run a bounded number at a time. And the purge of expired
// policies from the persistent store (PostgreSQL and SQLite keep rows until deleted).

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "mtasts/core/base/domain_name.hpp"
#include "socketmap/policy_service_impl.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;

// A flight of the refresh pass or the preload list is waited for at most this long (the
// fetcher's own deadline ends it well before).
constexpr auto kBackgroundWait = std::chrono::minutes(5);
// Domains taken per refresh pass, per unit of concurrency.
constexpr std::size_t kPassPerSlot = 100;

enum class Work { refresh, preload };

// Runs one domain's flight to its end.
asio::awaitable<void> run_one(ImplPtr impl, std::string name, Work work) {
  core::Decision first;
  std::string domain;
  switch (work) {
    case Work::refresh:
      domain = std::move(name);
      first.step = core::Step::check_record;  // due_for_refresh(): check, then on_record asks
      first.urgency = core::Urgency::background;
      first.reason = core::Reason::refresh_due;
      break;
    case Work::preload: {
      auto normalised = core::normalize_domain(name);
      if (!normalised) {
        impl->log.log(LogLevel::warn, "preload-skip",
                      {{"name", name}, {"error", normalised.error().message}});
        co_return;
      }
      domain = std::move(*normalised);
      first = impl->cache.lookup(domain, impl->now());
      break;
    }
  }
  if (first.step == core::Step::none || impl->stopping) {
    co_return;
  }
  std::shared_ptr<PolicyFlight> flight = start_flight(impl, domain, first, FlightKind::discover);
  if (!flight) {
    co_return;  // shed: max_flights discoveries run; a later pass or lookup takes it up
  }
  co_await PolicyFlight::wait(flight, std::chrono::steady_clock::now() + kBackgroundWait);
}

struct WorkList {
  std::vector<std::string> items;
  std::size_t next = 0;
  std::size_t running = 0;
  std::shared_ptr<detail::Event> done = std::make_shared<detail::Event>();
};

asio::awaitable<void> worker(ImplPtr impl, std::shared_ptr<WorkList> list, Work work) {
  try {
    while (list->next < list->items.size() && !impl->stopping) {
      std::string name = std::move(list->items[list->next++]);
      co_await run_one(impl, std::move(name), work);
    }
  } catch (const std::exception& e) {
    impl->log.log(LogLevel::error, "refresh-worker-error", {{"error", e.what()}});
  }
  if (--list->running == 0) {
    list->done->publish({});
  }
}

// Works through `items` with at most `concurrency` flights at once.
asio::awaitable<void> run_bounded(ImplPtr impl, std::vector<std::string> items, Work work) {
  auto list = std::make_shared<WorkList>();
  list->items = std::move(items);
  const std::size_t workers =
      std::min(std::max<std::size_t>(impl->options.proactive.concurrency, 1), list->items.size());
  if (workers == 0) {
    co_return;
  }
  list->running = workers;
  for (std::size_t i = 0; i < workers; ++i) {
    asio::co_spawn(impl->executor, worker(impl, list, work), asio::detached);
  }
  co_await detail::Event::wait(list->done, Deadline::max());
}

std::chrono::milliseconds jittered(Impl& impl, std::chrono::milliseconds period) {
  const auto spread = period.count() / 10;
  if (spread <= 0) {
    return period;
  }
  std::uniform_int_distribution<std::int64_t> jitter(-spread, spread);
  return period + std::chrono::milliseconds(jitter(impl.random));
}

}  // namespace

asio::awaitable<void> refresh_loop(ImplPtr impl) {
  asio::steady_timer timer(impl->executor);
  impl->refresh_timer = &timer;
  const std::size_t per_pass =
      std::max<std::size_t>(impl->options.proactive.concurrency, 1) * kPassPerSlot;
  while (!impl->stopping) {
    timer.expires_after(jittered(*impl, impl->options.proactive.period));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (impl->stopping) {
      break;
    }
    std::vector<std::string> due = impl->cache.due_for_refresh(impl->now(), per_pass);
    if (due.empty()) {
      continue;
    }
    impl->log.log(LogLevel::info, "refresh-pass", {{"domains", due.size()}});
    co_await run_bounded(impl, std::move(due), Work::refresh);
  }
  impl->refresh_timer = nullptr;
}

asio::awaitable<void> run_preload(ImplPtr impl, std::vector<std::string> domains) {
  const std::size_t count = domains.size();
  impl->log.log(LogLevel::info, "preload-start", {{"domains", count}});
  co_await run_bounded(impl, std::move(domains), Work::preload);
  impl->log.log(LogLevel::info, "preload-done",
                {{"domains", count}, {"cache_entries", impl->cache.size()}});
  impl->preload_finished->publish({});
}

asio::awaitable<void> store_purge_loop(ImplPtr impl) {
  if (!impl->store_pool) {
    co_return;
  }
  asio::steady_timer timer(impl->executor);
  impl->purge_timer = &timer;
  while (!impl->stopping) {
    // The job holds no reference to Impl: Impl's destructor joins the store thread.
    asio::post(*impl->store_pool, [store = impl->persistence, log = &impl->log,
                                   counters = impl->counters, now = impl->now()] {
      auto purged = store->purge_expired(now);
      if (!purged) {
        ++counters->store_errors;
        log->log(LogLevel::warn, "store-error",
                 {{"op", "purge"}, {"error", purged.error().message}});
        return;
      }
      counters->store_purged += *purged;
      if (*purged > 0) {
        log->log(LogLevel::info, "store-purge", {{"store", store->name()}, {"deleted", *purged}});
      }
    });
    timer.expires_after(impl->options.store_purge_period);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  impl->purge_timer = nullptr;
}

}  // namespace mtasts::net

// Discovery flights: the TXT check and the policy fetch the cache asks for, one flight per
// domain, with the persistent store consulted before the network and written after a fetch.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <functional>

#include "mtasts/core/sts/sts_record.hpp"
#include "socketmap/policy_service_impl.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;

// A flight takes at most a few steps (check, fetch); the bound only guards against a cache
// that keeps asking.
constexpr int kMaxSteps = 4;
constexpr auto kShedLogInterval = std::chrono::seconds(10);

core::FetchFailure failure_of(ResultType type) {
  switch (type) {
    case ResultType::sts_policy_invalid:
      return core::FetchFailure::policy_invalid;
    case ResultType::sts_webpki_invalid:
      return core::FetchFailure::webpki_invalid;
    case ResultType::ok:
    case ResultType::no_policy:
    case ResultType::sts_policy_fetch_error:
      return core::FetchFailure::fetch_error;
  }
  return core::FetchFailure::fetch_error;
}

core::RecordOutcome record_outcome(const TxtAnswer& answer) {
  core::RecordOutcome outcome;
  outcome.ttl = core::Seconds(answer.meta.ttl.value_or(0));
  switch (dns_class(answer.meta.status)) {
    case DnsClass::found:
    case DnsClass::none:
      break;
    case DnsClass::broken:  // no usable record (fetch-outcomes.md)
      outcome.kind = core::RecordOutcome::Kind::unusable;
      return outcome;
    case DnsClass::temporary:
      outcome.kind = core::RecordOutcome::Kind::temp_failure;
      return outcome;
  }
  const core::StsRecordSelection selection = core::select_sts_record(answer.records);
  switch (selection.choice) {
    case core::RecordChoice::none:
      outcome.kind = core::RecordOutcome::Kind::no_record;
      break;
    case core::RecordChoice::multiple:
    case core::RecordChoice::invalid:
      outcome.kind = core::RecordOutcome::Kind::unusable;
      break;
    case core::RecordChoice::ok:
      outcome.kind = core::RecordOutcome::Kind::found;
      outcome.id = selection.report.record ? selection.report.record->id : std::string();
      break;
  }
  return outcome;
}

asio::awaitable<core::RecordOutcome> check_record(ImplPtr impl, std::string domain) {
  const TxtAnswer answer =
      co_await impl->resolver.query_txt(std::string(core::kStsRecordPrefix) + domain);
  core::RecordOutcome outcome = record_outcome(answer);
  impl->counters->count(outcome.kind);
  if (impl->log.enabled(LogLevel::info)) {
    impl->log.log(LogLevel::info, "record",
                  {{"domain", domain},
                   {"dns", dns_status_name(answer.meta.status)},
                   {"id", outcome.id},
                   {"ttl", outcome.ttl.count()}});
  }
  co_return outcome;
}

asio::awaitable<core::FetchOutcome> fetch_policy(ImplPtr impl, std::string domain) {
  const FetchResult result = co_await impl->fetcher.fetch(domain);
  FetchDetail detail = result.detail;
  std::string message = result.message;
  std::optional<core::Policy> policy;
  if (detail == FetchDetail::ok) {
    auto parsed = core::parse_policy(result.body);
    if (parsed) {
      policy = std::move(*parsed);
    } else {
      detail = FetchDetail::parse;
      message = parsed.error().message;
    }
  }
  const ResultType type = to_result_type(detail);
  impl->counters->count(type);
  if (impl->log.enabled(LogLevel::info)) {
    impl->log.log(LogLevel::info, "fetch",
                  {{"domain", domain},
                   {"result", result_type_name(type)},
                   {"detail", detail_name(detail)},
                   {"message", message}});
  }
  if (policy) {
    co_return core::FetchOutcome::success(std::move(*policy));
  }
  co_return core::FetchOutcome::failed(failure_of(type));
}

using Loaded = core::Result<std::optional<core::CachedPolicy>>;

// Runs `job` on the store thread and resumes the caller on its own executor with the result.
asio::awaitable<Loaded> on_store_thread(asio::thread_pool& pool, std::function<Loaded()> job) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Loaded)>(
      [&pool](auto handler, std::function<Loaded()> work) {
        // Tracked work keeps the caller's event loop running while the job runs.
        auto caller = asio::prefer(asio::get_associated_executor(handler),
                                   asio::execution::outstanding_work.tracked);
        asio::post(pool, [handler = std::move(handler), work = std::move(work),
                          caller = std::move(caller)]() mutable {
          Loaded result = work();
          asio::post(caller, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(job));
}

// Loads `domain` from the store (on the store thread) into the cache; true if restored.
asio::awaitable<bool> restore_from_store(ImplPtr impl, std::string domain) {
  PolicyPersistence* store = impl->persistence;
  const core::TimePoint now = impl->now();
  // A named job: GCC 12 mishandles a lambda temporary converted inside a co_await
  // expression (its std::string capture ends up pointing into this frame).
  std::function<Loaded()> job = [store, domain, now] { return store->load(domain, now); };
  Loaded loaded = co_await on_store_thread(*impl->store_pool, std::move(job));
  if (!loaded) {
    ++impl->counters->store_errors;
    impl->log.log(LogLevel::warn, "store-error",
                  {{"op", "load"}, {"domain", domain}, {"error", loaded.error().message}});
    co_return false;
  }
  if (!*loaded) {
    co_return false;
  }
  const bool restored = impl->cache.restore(domain, std::move(**loaded), impl->now());
  if (restored) {
    ++impl->counters->store_restores;
    impl->log.log(LogLevel::info, "store-restore", {{"domain", domain}});
  }
  co_return restored;
}

// Queues a write of the policy the cache now holds for `domain`; errors are logged.
void save_to_store(Impl& impl, const std::string& domain) {
  if (impl.persistence == nullptr) {
    return;
  }
  std::shared_ptr<const core::CachedPolicy> policy = impl.cache.cached(domain, impl.now());
  if (!policy) {
    return;
  }
  // The job holds no reference to Impl: Impl's destructor joins this thread.
  asio::post(*impl.store_pool,
             [store = impl.persistence, log = &impl.log, counters = impl.counters, domain, policy] {
               auto saved = store->save(domain, *policy);
               if (saved) {
                 ++counters->store_writes;
                 return;
               }
               ++counters->store_errors;
               log->log(LogLevel::warn, "store-error",
                        {{"op", "save"}, {"domain", domain}, {"error", saved.error().message}});
             });
}

void log_decision(Impl& impl, std::string_view event, const std::string& domain,
                  const core::Decision& d) {
  impl.counters->count(d.reason);
  if (d.alert) {
    ++impl.counters->alerts;
    impl.log.log(
        LogLevel::warn, "refresh-failed",
        {{"domain", domain},
         {"reason", core::reason_name(d.reason)},
         {"failure", d.failure ? core::to_string(core::tlsrpt_result_type(*d.failure)) : ""}});
  } else if (impl.log.enabled(LogLevel::debug)) {
    impl.log.log(LogLevel::debug, event,
                 {{"domain", domain},
                  {"reason", core::reason_name(d.reason)},
                  {"step", core::step_name(d.step)},
                  {"serve", d.serve ? core::mode_name(d.serve->policy.mode) : "no-policy"}});
  }
}

asio::awaitable<void> run_flight(ImplPtr impl, std::string domain, core::Decision decision,
                                 std::shared_ptr<PolicyFlight> flight, FlightKind kind) {
  // Nothing usable in memory: a stored policy (a restart, or a fleet's shared store) is
  // served at once, and the record is still checked behind it.
  if (kind == FlightKind::discover && impl->persistence != nullptr &&
      decision.urgency == core::Urgency::wait && decision.step == core::Step::check_record) {
    const bool restored = co_await restore_from_store(impl, domain);
    if (restored) {
      decision = impl->cache.lookup(domain, impl->now());
      flight->publish(decision);
    }
  }
  for (int i = 0; i < kMaxSteps && decision.step != core::Step::none; ++i) {
    if (decision.step == core::Step::check_record) {
      const core::RecordOutcome outcome = co_await check_record(impl, domain);
      decision = impl->cache.on_record(domain, outcome, impl->now());
      log_decision(*impl, "on-record", domain, decision);
      if (kind == FlightKind::recheck && decision.step == core::Step::none && decision.serve &&
          outcome.kind == core::RecordOutcome::Kind::found) {
        // RFC 8461 §5: refetch even though the id is unchanged.
        decision.step = core::Step::fetch_policy;
        decision.fetch_id = decision.serve->id;
      }
    } else {
      const std::string id = decision.fetch_id;
      const core::FetchOutcome outcome = co_await fetch_policy(impl, domain);
      decision = impl->cache.on_fetch(domain, id, outcome, impl->now());
      log_decision(*impl, "on-fetch", domain, decision);
      if (outcome.ok() && decision.reason == core::Reason::fetched) {
        save_to_store(*impl, domain);
      }
    }
  }
  // Unregistered before waking the waiters, so none of them joins this finished flight.
  auto& running = kind == FlightKind::discover ? impl->flights : impl->recheck_flights;
  if (auto it = running.find(domain); it != running.end() && it->second == flight) {
    running.erase(it);
  }
  flight->publish(decision);
}

// A discovery not started because max_flights run: counted, and logged at most every
// kShedLogInterval so an overload does not also flood the log.
void note_shed(Impl& impl, const std::string& domain) {
  ++impl.counters->discoveries_shed;
  const auto now = std::chrono::steady_clock::now();
  if (now - impl.shed_logged_at >= kShedLogInterval) {
    impl.shed_logged_at = now;
    impl.log.log(LogLevel::warn, "discovery-shed",
                 {{"domain", domain},
                  {"flights", impl.flights.size()},
                  {"shed_total", impl.counters->discoveries_shed}});
  }
}

}  // namespace

std::shared_ptr<PolicyFlight> start_flight(const ImplPtr& impl, const std::string& domain,
                                           core::Decision first, FlightKind kind) {
  auto& running = kind == FlightKind::discover ? impl->flights : impl->recheck_flights;
  if (auto it = running.find(domain); it != running.end()) {
    return it->second;
  }
  // Re-checks are not capped: at most one per domain per recheck_interval, and a TEMP reply
  // waits for them (RFC 8461 §5).
  if (kind == FlightKind::discover && running.size() >= impl->options.max_flights) {
    note_shed(*impl, domain);
    return nullptr;
  }
  auto flight = std::make_shared<PolicyFlight>();
  running.emplace(domain, flight);
  asio::co_spawn(impl->executor, run_flight(impl, domain, std::move(first), flight, kind),
                 [impl, domain, flight, &running](const std::exception_ptr& error) {
                   if (error) {
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       impl->log.log(LogLevel::error, "flight-error",
                                     {{"domain", domain}, {"error", e.what()}});
                     }
                   }
                   core::Decision none;
                   none.serve = impl->cache.cached(domain, impl->now());
                   flight->publish(std::move(none));  // no effect if already published
                   auto it = running.find(domain);
                   if (it != running.end() && it->second == flight) {
                     running.erase(it);
                   }
                 });
  return flight;
}

asio::awaitable<core::Decision> wait_for_flight(ImplPtr impl, std::string domain,
                                                core::Decision first, Deadline deadline) {
  std::shared_ptr<PolicyFlight> flight =
      start_flight(impl, domain, std::move(first), FlightKind::discover);
  if (flight) {
    std::optional<core::Decision> settled = co_await PolicyFlight::wait(flight, deadline);
    if (settled) {
      co_return std::move(*settled);
    }
    ++impl->counters->discovery_timeouts;
    impl->log.log(LogLevel::info, "discovery-timeout", {{"domain", domain}});
  }
  // Timed out or shed: what the cache serves now (normally nothing: no policy, RFC 8461 §3.3
  // as when the policy cannot be fetched).
  core::Decision now;
  now.serve = impl->cache.cached(domain, impl->now());
  co_return now;
}

asio::awaitable<std::optional<core::Decision>> recheck(ImplPtr impl, std::string domain,
                                                       Deadline deadline) {
  const core::TimePoint now = impl->now();
  auto last = impl->rechecked_at.find(domain);
  if (last != impl->rechecked_at.end() &&
      now < last->second + impl->options.cache.recheck_interval) {
    co_return std::nullopt;
  }
  if (impl->rechecked_at.size() >= impl->options.mx_cache_capacity) {
    impl->rechecked_at.clear();  // crude but bounded: at worst a few extra re-checks
  }
  impl->rechecked_at[domain] = now;
  ++impl->counters->rechecks;
  impl->log.log(LogLevel::info, "recheck", {{"domain", domain}, {"why", "no-mx-match"}});
  forget_mx(*impl, domain);
  core::Decision first;
  first.step = core::Step::check_record;
  first.urgency = core::Urgency::wait;
  first.reason = core::Reason::recheck;
  std::shared_ptr<PolicyFlight> flight = start_flight(impl, domain, first, FlightKind::recheck);
  std::optional<core::Decision> settled = co_await PolicyFlight::wait(flight, deadline);
  if (!settled) {
    co_return std::nullopt;
  }
  co_return settled;
}

}  // namespace mtasts::net

#include "mtasts/net/policy_service.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mtasts/core/domain_name.hpp"
#include "mtasts/core/socketmap.hpp"
#include "policy_service_impl.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

// The policy domain of a normalised socketmap key: ASCII LDH names as they are, U-labels
// converted (IDNA); nullopt for a name that is no domain.
std::optional<std::string> policy_domain(const std::string& name) {
  if (core::is_ldh_domain(name)) {
    return name;
  }
  auto domain = core::normalize_domain(name);
  if (!domain) {
    return std::nullopt;
  }
  return std::move(*domain);
}

// "[host]" or "[host]:port": Postfix connects to that host, without an MX lookup.
bool is_bracketed(std::string_view key) {
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) {
    key.remove_prefix(1);
  }
  return !key.empty() && key.front() == '[';
}

bool enforced(core::PolicyMode mode, core::TestingMode testing) {
  switch (mode) {
    case core::PolicyMode::enforce:
      return true;
    case core::PolicyMode::testing:
      return testing == core::TestingMode::strict;
    case core::PolicyMode::none:
      return false;
  }
  return false;
}

std::vector<std::string> allowed_hosts(const core::Policy& policy,
                                       const std::vector<std::string>& hosts) {
  std::vector<std::string> allowed;
  for (const std::string& host : hosts) {
    if (core::policy_allows_mx(policy, host)) {
      allowed.push_back(host);
    }
  }
  return allowed;
}

// Whether the policy allows every one of `hosts` (the usual case: no filtered copy needed).
bool allows_all(const core::Policy& policy, const std::vector<std::string>& hosts) {
  return std::all_of(hosts.begin(), hosts.end(), [&policy](const std::string& host) {
    return core::policy_allows_mx(policy, host);
  });
}

core::PostfixReply render(const ZoneSettings& zone, const std::string& domain,
                          const core::Policy& policy, core::MatchForm form,
                          const std::vector<std::string>& hosts) {
  const core::ReplyInput input{.policy_domain = domain,
                               .policy = policy,
                               .form = form,
                               .mx_hosts = hosts,
                               .sni = zone.sni,
                               .testing = zone.testing,
                               .tlsrpt = zone.tlsrpt};
  // No policy_failure: a reply with a policy delivers under that policy (RFC 8461 §3.3 keeps a
  // cached policy through failed refreshes), and policy_failure would make Postfix fail it.
  return core::render_policy_reply(input);
}

// The reply for a domain once discovery is settled. In resolve mode, an enforced policy is
// matched against the destination's MX hosts; with none allowed, the policy is re-checked
// once (RFC 8461 §5) before the answer is TEMP.
// `domain` lives in the caller's frame, which awaits this one.
asio::awaitable<std::string> reply_for(ImplPtr impl, ZoneSettings zone, const std::string& domain,
                                       core::Decision decision, bool bracketed) {
  const Deadline deadline = SteadyClock::now() + zone.timeout;
  for (int round = 0;; ++round) {
    if (!decision.serve || !enforced(decision.serve->policy.mode, zone.testing)) {
      co_return core::render_notfound();
    }
    const core::Policy& policy = decision.serve->policy;
    if (impl->options.match == core::MatchForm::patterns) {
      co_return render(zone, domain, policy, core::MatchForm::patterns, {}).text;
    }
    // A cached MX answer is read in place, without a coroutine or a copy: nothing suspends
    // while `hosts` points into the MX cache (it is copied before the re-check).
    MxHosts mx{.ok = true, .hosts = {}};
    const std::vector<std::string>* hosts = &mx.hosts;
    if (bracketed) {
      mx.hosts.push_back(domain);
    } else if (const std::vector<std::string>* cached = cached_mx_hosts(*impl, domain)) {
      hosts = cached;
    } else {
      MxHosts looked_up = co_await mx_hosts(impl, domain, deadline);
      mx = std::move(looked_up);
    }
    if (!mx.ok || hosts->empty()) {
      // No MX answer to match: the patterns still protect the mail (the peer's form).
      ++impl->counters->mx_fallbacks;
      if (impl->log.enabled(LogLevel::info)) {
        impl->log.log(LogLevel::info, "mx-fallback",
                      {{"domain", domain}, {"why", mx.ok ? "null-mx" : "mx-lookup-failed"}});
      }
      co_return render(zone, domain, policy, core::MatchForm::patterns, {}).text;
    }
    if (allows_all(policy, *hosts)) {
      co_return render(zone, domain, policy, core::MatchForm::mx_hosts, *hosts).text;
    }
    const std::vector<std::string> allowed = allowed_hosts(policy, *hosts);
    if (!allowed.empty()) {
      co_return render(zone, domain, policy, core::MatchForm::mx_hosts, allowed).text;
    }
    if (hosts != &mx.hosts) {
      mx.hosts = *hosts;
    }
    if (round == 0) {
      auto fresh = co_await recheck(impl, domain, deadline);
      if (fresh) {
        decision = std::move(*fresh);
        continue;
      }
    }
    ++impl->counters->mx_no_match;
    impl->log.log(LogLevel::info, "mx-no-match",
                  {{"domain", domain}, {"mx", mx.hosts.front()}, {"id", decision.serve->id}});
    co_return core::render_temp("MTA-STS: no MX host of " + domain + " matches its policy");
  }
}

// Wakes the refresh and purge loops so they see `stopping` and end.
void cancel_timers(Impl& impl) {
  for (asio::steady_timer* timer : {impl.refresh_timer, impl.purge_timer}) {
    if (timer != nullptr) {
      timer->cancel();
    }
  }
}

}  // namespace

core::TimePoint SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

PolicyService::Impl::Impl(asio::any_io_executor ex, DnsResolver& r, PolicyFetcher& f,
                          const Clock& c, Logger& l, PolicyPersistence* p, PolicyServiceOptions o)
    : executor(std::move(ex)),
      resolver(r),
      fetcher(f),
      clock(c),
      log(l),
      persistence(p),
      options(std::move(o)),
      cache(options.cache) {
  if (persistence != nullptr) {
    store_pool = std::make_unique<asio::thread_pool>(1);
  }
}

PolicyService::Impl::~Impl() {
  if (store_pool) {
    store_pool->join();
  }
}

const ZoneSettings& PolicyService::Impl::zone_for(std::string_view map_name) const {
  auto it = options.zones.find(map_name);
  return it != options.zones.end() ? it->second : options.default_zone;
}

PolicyService::PolicyService(asio::any_io_executor executor, DnsResolver& resolver,
                             PolicyFetcher& fetcher, const Clock& clock, Logger& log,
                             PolicyPersistence* persistence, PolicyServiceOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), resolver, fetcher, clock, log, persistence,
                                   std::move(options))) {}

PolicyService::~PolicyService() {
  impl_->stopping = true;
  cancel_timers(*impl_);
  // Store jobs call the persistence, which the owner may destroy right after the service;
  // coroutines still holding the state post nothing that runs after this.
  if (impl_->store_pool) {
    impl_->store_pool->join();
  }
}

asio::awaitable<std::string> PolicyService::handle(std::string map_name, std::string key) {
  ImplPtr impl = impl_;
  const auto started = SteadyClock::now();
  const ZoneSettings zone = impl->zone_for(map_name);
  const core::SocketmapKey parsed = core::normalize_socketmap_key(key);
  std::optional<std::string> domain;
  std::string_view skipped;  // why the key has no lookup: its kind, or "invalid-domain"
  if (parsed.kind == core::KeyKind::domain) {
    domain = policy_domain(parsed.name);
    if (!domain) {
      ++impl->counters->invalid_domains;
      skipped = "invalid-domain";
    }
  } else {
    impl->counters->count(parsed.kind);
    skipped = core::key_kind_name(parsed.kind);
  }
  std::string reply;
  core::Decision first;  // what the cache said at once
  std::optional<core::FetchFailure> failure;
  if (domain) {
    core::Decision decision = impl->cache.lookup(*domain, impl->now());
    impl->counters->count(decision.reason);
    first.reason = decision.reason;
    first.step = decision.step;
    first.urgency = decision.urgency;
    // co_await only as a statement or an initialiser, never in a condition, a switch or an
    // operand: GCC 12 miscompiles those.
    if (decision.step != core::Step::none && decision.urgency == core::Urgency::wait) {
      core::Decision settled =
          co_await wait_for_flight(impl, *domain, decision, started + zone.timeout);
      decision = std::move(settled);
    } else if (decision.step != core::Step::none) {
      start_flight(impl, *domain, decision, FlightKind::discover);  // null (shed): no refresh
    }
    // The fetch of an announced or cached policy failed (now, or within the backoff): what
    // Postfix 3.10 calls policy_failure. Counted and logged, never put in the reply (see
    // render() above and docs/daemon.md).
    failure = decision.failure;
    if (failure) {
      impl->counters->count(*failure);
    }
    std::string rendered =
        co_await reply_for(impl, zone, *domain, std::move(decision), is_bracketed(key));
    reply = std::move(rendered);
  } else {
    reply = core::render_notfound();
  }
  const std::string_view status = std::string_view(reply).substr(0, reply.find(' '));
  core::ReplyKind kind = core::ReplyKind::notfound;
  for (core::ReplyKind k : {core::ReplyKind::ok, core::ReplyKind::temp, core::ReplyKind::perm,
                            core::ReplyKind::timeout}) {
    if (status == core::reply_kind_name(k)) {
      kind = k;
    }
  }
  impl->counters->count(kind);
  impl->counters->latency.observe(SteadyClock::now() - started);
  if (impl->log.enabled(LogLevel::debug)) {
    // One line per lookup with its reason code: the cache's, or why the key needs none.
    impl->log.log(LogLevel::debug, "lookup",
                  {{"domain", domain ? std::string_view(*domain) : std::string_view(parsed.name)},
                   {"zone", map_name},
                   {"reason", domain ? core::reason_name(first.reason) : skipped},
                   {"step", core::step_name(first.step)},
                   {"urgency", domain ? core::urgency_name(first.urgency) : ""},
                   {"reply", core::reply_kind_name(kind)},
                   {"policy_failure", failure ? core::tlsrpt_result_type(*failure) : ""}});
  }
  co_return reply;
}

void PolicyService::start() {
  if (impl_->options.proactive.enabled) {
    asio::co_spawn(impl_->executor, refresh_loop(impl_), asio::detached);
  }
  if (impl_->store_pool) {
    asio::co_spawn(impl_->executor, store_purge_loop(impl_), asio::detached);
  }
}

void PolicyService::preload(std::vector<std::string> domains) {
  asio::co_spawn(impl_->executor, run_preload(impl_, std::move(domains)), asio::detached);
}

asio::awaitable<void> PolicyService::preload_done() {
  std::shared_ptr<detail::Event> done = impl_->preload_finished;
  co_await detail::Event::wait(done, Deadline::max());
}

asio::awaitable<void> PolicyService::flush_store() {
  ImplPtr impl = impl_;
  if (!impl->store_pool) {
    co_return;
  }
  // One worker thread: an empty job completes after every job queued before it.
  co_await asio::co_spawn(
      impl->store_pool->get_executor(), []() -> asio::awaitable<void> { co_return; },
      asio::use_awaitable);
}

asio::awaitable<void> PolicyService::stop(std::chrono::milliseconds timeout) {
  ImplPtr impl = impl_;
  impl->stopping = true;
  cancel_timers(*impl);
  if (!impl->store_pool) {
    co_return;
  }
  auto flushed = std::make_shared<detail::Event>();
  asio::co_spawn(impl->executor, flush_store(),
                 [flushed](const std::exception_ptr&) { flushed->publish({}); });
  co_await detail::Event::wait(flushed, SteadyClock::now() + timeout);
}

std::string PolicyService::metrics_text() const {
  const ServiceGauges gauges{.cache_entries = impl_->cache.size(),
                             .mx_cache_entries = impl_->mx_cache.size(),
                             .flights = impl_->flights.size()};
  return render_service_metrics(*impl_->counters, gauges);
}

const core::PolicyCache& PolicyService::cache() const {
  return impl_->cache;
}

}  // namespace mtasts::net

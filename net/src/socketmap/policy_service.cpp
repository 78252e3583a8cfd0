#include "mtasts/net/socketmap/policy_service.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/socketmap/socketmap.hpp"
#include "socketmap/policy_service_impl.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kNotFound = "NOTFOUND ";

// "[host]" or "[host]:port": Postfix connects to that host, without an MX lookup.
bool is_bracketed(std::string_view key) {
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) {
    key.remove_prefix(1);
  }
  return !key.empty() && key.front() == '[';
}

// What a socketmap key asks about: the policy domain to look up, or why there is none. Holds
// views into the key and into itself, so it stays where it was made.
class KeyTarget {
 public:
  explicit KeyTarget(std::string_view key) {
    if (const std::optional<std::string_view> plain = core::plain_domain_key(key)) {
      domain_ = *plain;  // the usual key: already normalised, nothing to copy
      name_ = *plain;
      return;
    }
    Normalised& normalised = normalised_.emplace();
    normalised.key = core::normalize_socketmap_key(key);
    name_ = normalised.key.name;
    bracketed_ = is_bracketed(key);
    if (normalised.key.kind != core::KeyKind::domain) {
      return;
    }
    // ASCII LDH names as they are, U-labels converted (IDNA).
    if (core::is_ldh_domain(normalised.key.name)) {
      domain_ = normalised.key.name;
    } else if (auto converted = core::normalize_domain(normalised.key.name)) {
      normalised.converted = std::move(*converted);
      domain_ = normalised.converted;
    } else {
      invalid_domain_ = true;
    }
  }
  KeyTarget(const KeyTarget&) = delete;
  KeyTarget& operator=(const KeyTarget&) = delete;
  ~KeyTarget() = default;

  // The policy domain (normalised); empty when the key names none.
  [[nodiscard]] std::string_view domain() const { return domain_; }
  // The normalised key, or the policy domain: what the lookup log line names.
  [[nodiscard]] std::string_view name() const { return domain_.empty() ? name_ : domain_; }
  [[nodiscard]] bool bracketed() const { return bracketed_; }

  // For a key without a domain: counts it, and returns why it has none (the key's kind, or
  // "invalid-domain" for a name normalize_domain() refused).
  std::string_view count_skipped(ServiceCounters& counters) const {
    if (invalid_domain_ || !normalised_) {
      ++counters.invalid_domains;
      return "invalid-domain";
    }
    counters.count(normalised_->key.kind);
    return core::key_kind_name(normalised_->key.kind);
  }

 private:
  // For a key normalisation changes (rare): the normalised key, and its A-label form.
  struct Normalised {
    core::SocketmapKey key;
    std::string converted;
  };
  std::optional<Normalised> normalised_;
  std::string_view name_;
  std::string_view domain_;
  bool bracketed_ = false;
  bool invalid_domain_ = false;
};

// What the cache first said about a lookup, for its log line.
struct FirstDecision {
  core::Reason reason = core::Reason::miss;
  core::Step step = core::Step::none;
  core::Urgency urgency = core::Urgency::background;
};

// The kind named by the status word of a reply ("OK ...", "NOTFOUND ", ...); NOTFOUND for any
// other word.
core::ReplyKind reply_kind(std::string_view reply) {
  core::ReplyKind kind = core::ReplyKind::notfound;
  switch (reply.empty() ? '\0' : reply.front()) {
    case 'O':
      kind = core::ReplyKind::ok;
      break;
    case 'T':
      kind = reply.size() > 1 && reply[1] == 'I' ? core::ReplyKind::timeout : core::ReplyKind::temp;
      break;
    case 'P':
      kind = core::ReplyKind::perm;
      break;
    default:
      return core::ReplyKind::notfound;
  }
  const std::string_view name = core::reply_kind_name(kind);
  const bool word = reply.substr(0, name.size()) == name &&
                    (reply.size() == name.size() || reply[name.size()] == ' ');
  return word ? kind : core::ReplyKind::notfound;
}

// Counts the reply of a lookup and logs its line (debug): the cache's reason code, or why the
// key needs no lookup (`skipped`). Latency is observed by the caller.
void note_lookup(Impl& impl, std::string_view map_name, const KeyTarget& target,
                 const FirstDecision& first, std::string_view skipped,
                 std::optional<core::FetchFailure> failure, std::string_view reply) {
  const core::ReplyKind kind = reply_kind(reply);
  impl.counters->count(kind);
  if (impl.log.enabled(LogLevel::debug)) {
    const bool looked_up = !target.domain().empty();
    impl.log.log(
        LogLevel::debug, "lookup",
        {{"domain", target.name()},
         {"zone", map_name},
         {"reason", looked_up ? core::reason_name(first.reason) : skipped},
         {"step", core::step_name(first.step)},
         {"urgency", looked_up ? core::urgency_name(first.urgency) : ""},
         {"reply", core::reply_kind_name(kind)},
         {"policy_failure", failure ? core::to_string(core::tlsrpt_result_type(*failure)) : ""}});
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
  // Options never change: the zone outlives this frame, which holds `impl`.
  const ZoneSettings& zone = impl->zone_for(map_name);
  const KeyTarget target(key);
  std::string reply;
  std::string_view skipped;
  FirstDecision first;  // what the cache said at once
  std::optional<core::FetchFailure> failure;
  if (!target.domain().empty()) {
    const std::string domain(target.domain());
    core::Decision decision = impl->cache.lookup(domain, impl->now());
    impl->counters->count(decision.reason);
    first = {decision.reason, decision.step, decision.urgency};
    // co_await only as a statement or an initialiser, never in a condition, a switch or an
    // operand: GCC 12 miscompiles those.
    if (decision.step != core::Step::none && decision.urgency == core::Urgency::wait) {
      core::Decision settled =
          co_await wait_for_flight(impl, domain, decision, started + zone.timeout);
      decision = std::move(settled);
    } else if (decision.step != core::Step::none) {
      start_flight(impl, domain, decision, FlightKind::discover);  // null (shed): no refresh
    }
    // The fetch of an announced or cached policy failed (now, or within the backoff): what
    // Postfix 3.10 calls policy_failure. Counted and logged, never put in the reply (see
    // render() in policy_service_reply.cpp and docs/daemon.md).
    failure = decision.failure;
    if (failure) {
      impl->counters->count(*failure);
    }
    std::string rendered =
        co_await reply_for(impl, zone, domain, std::move(decision), target.bracketed());
    reply = std::move(rendered);
  } else {
    skipped = target.count_skipped(*impl->counters);
    reply = kNotFound;
  }
  note_lookup(*impl, map_name, target, first, skipped, failure, reply);
  impl->counters->latency.observe(SteadyClock::now() - started);
  co_return reply;
}

std::optional<std::string_view> PolicyService::answer_now(std::string_view map_name,
                                                          std::string_view key) {
  Impl& impl = *impl_;
  const KeyTarget target(key);
  if (target.domain().empty()) {
    const std::string_view skipped = target.count_skipped(*impl.counters);
    note_lookup(impl, map_name, target, {}, skipped, std::nullopt, kNotFound);
    impl.counters->latency.observe_immediate();
    return kNotFound;
  }
  const ZoneSettings& zone = impl.zone_for(map_name);
  const core::TimePoint now = impl.now();
  // Nothing below changes state before the last return of nullopt but the cache's recency
  // (touched again, the same, by handle()) and reply memos: handle() can start over.
  const core::Decision decision = impl.cache.lookup(target.domain(), now);
  if (decision.step != core::Step::none && decision.urgency == core::Urgency::wait) {
    return std::nullopt;  // waits for discovery
  }
  const ReplyNow reply = reply_now(impl, zone, target.domain(), decision, target.bracketed(), now);
  if (reply.need != ReplyNeed::none) {
    return std::nullopt;  // an MX lookup, or a re-check
  }
  // What handle() does for the same decision, in the same order.
  impl.counters->count(decision.reason);
  if (decision.step != core::Step::none) {
    // A background step (a re-check or a refresh due): started, and the lookup answered now.
    // Neither a flight nor a shed touches the memo or the scratch `reply.text` points into.
    start_flight(impl_, std::string(target.domain()), decision, FlightKind::discover);
  }
  if (decision.failure) {
    impl.counters->count(*decision.failure);
  }
  if (reply.mx_fallback != MxFallback::none) {
    note_mx_fallback(impl, target.domain(), reply.mx_fallback, reply.rendered_from.has_value());
  }
  if (reply.dane != core::DaneLevel::none) {
    impl.counters->count(reply.dane);
  }
  note_lookup(impl, map_name, target, {decision.reason, decision.step, decision.urgency}, {},
              decision.failure, reply.text);
  if (reply.rendered_from) {
    impl.counters->latency.observe(SteadyClock::now() - *reply.rendered_from);
  } else {
    impl.counters->latency.observe_immediate();
  }
  return reply.text;
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
                             .dane_cache_entries = impl_->dane_cache.size(),
                             .flights = impl_->flights.size()};
  return render_service_metrics(*impl_->counters, gauges);
}

const core::PolicyCache& PolicyService::cache() const {
  return impl_->cache;
}

}  // namespace mtasts::net

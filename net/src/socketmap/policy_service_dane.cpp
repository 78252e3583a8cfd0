// DANE first: the DNSSEC facts of a destination (its MX RRset, each MX host's addresses and
// TLSA records, with the resolver's AD bit) gathered once for concurrent lookups, judged by
// core::decide_dane(), and cached for their smallest TTL (clamped like MX answers) in a bounded
// map, so a cached lookup reads one map entry.

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <exception>

#include "socketmap/policy_service_impl.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;

// MX hosts judged per destination; further hosts (rare) are left out, which can only make the
// verdict stricter: with dane-only Postfix skips a host without usable TLSA.
constexpr std::size_t kMaxDaneHosts = 16;

// The DNS outcome of one answer, as core sees it.
core::DnsEvidence evidence(const DnsMeta& meta) {
  switch (dns_class(meta.status)) {
    case DnsClass::found:
      return {core::DnsFact::found, meta.authenticated};
    case DnsClass::none:
      return {core::DnsFact::none, meta.authenticated};
    case DnsClass::broken:
    case DnsClass::temporary:
      break;
  }
  return {core::DnsFact::failed, false};
}

// The smallest TTL of the answers a verdict rests on.
struct Lifetime {
  std::optional<std::uint32_t> ttl;
  void fold(std::optional<std::uint32_t> other) {
    if (other) {
      ttl = ttl ? std::min(*ttl, *other) : *other;
    }
  }
  void fold(const DnsMeta& meta) { fold(meta.ttl); }
};

struct HostGathered {
  core::DaneHostFacts facts;
  Lifetime lifetime;
};

// A host's addresses and, when they are secure, its TLSA records (RFC 7672 §2.2.2): at the
// name the address lookup's CNAME chain ends in first, then at the MX name itself.
asio::awaitable<HostGathered> gather_host(DnsResolver& resolver, std::string host) {
  HostGathered out;
  out.facts.name = host;
  const AddressAnswer addresses = co_await resolver.query_addresses(host);
  out.facts.addresses = evidence(addresses.meta);
  out.lifetime.fold(addresses.meta);
  if (out.facts.addresses.fact != core::DnsFact::found || !out.facts.addresses.secure) {
    co_return out;
  }
  std::vector<std::string> bases;
  if (!addresses.meta.cname_chain.empty() && addresses.meta.canonical_name != host) {
    bases.push_back(addresses.meta.canonical_name);
  }
  bases.push_back(host);
  for (const std::string& base : bases) {
    TlsaAnswer tlsa = co_await resolver.query_tlsa("_25._tcp." + base);
    out.facts.tlsa = evidence(tlsa.meta);
    out.lifetime.fold(tlsa.meta);
    out.facts.records = std::move(tlsa.records);
    if (out.facts.tlsa.fact != core::DnsFact::none) {
      break;
    }
  }
  co_return out;
}

struct Gathered {
  core::DaneMxFacts mx;
  std::vector<core::DaneHostFacts> hosts;
  Lifetime lifetime;
};

// Every host's facts, asked concurrently.
asio::awaitable<void> gather_hosts(DnsResolver& resolver, const std::vector<std::string>& names,
                                   Gathered& out) {
  if (names.empty()) {
    co_return;
  }
  struct Progress {
    std::vector<HostGathered> hosts;
    std::size_t left = 0;
    std::shared_ptr<detail::Event> done = std::make_shared<detail::Event>();
  };
  auto progress = std::make_shared<Progress>();
  progress->hosts.resize(names.size());
  progress->left = names.size();
  const auto executor = co_await asio::this_coro::executor;
  for (std::size_t i = 0; i < names.size(); ++i) {
    asio::co_spawn(executor, gather_host(resolver, names[i]),
                   [progress, i](const std::exception_ptr&, HostGathered host) {
                     progress->hosts[i] = std::move(host);  // failed facts on an exception
                     if (--progress->left == 0) {
                       progress->done->publish({});
                     }
                   });
  }
  co_await detail::Event::wait(progress->done, Deadline::max());
  for (HostGathered& host : progress->hosts) {
    out.lifetime.fold(host.lifetime.ttl);
    out.hosts.push_back(std::move(host.facts));
  }
}

asio::awaitable<Gathered> gather(DnsResolver& resolver, std::string domain, bool bracketed) {
  Gathered out;
  std::vector<std::string> names;
  if (bracketed) {
    // Postfix dials the host itself, without an MX lookup: only its own addresses and TLSA
    // records count, as for an MX host.
    out.mx.mx = {core::DnsFact::none, true};
    names.push_back(domain);
  } else {
    const MxAnswer answer = co_await resolver.query_mx(domain);
    out.mx.mx = evidence(answer.meta);
    out.lifetime.fold(answer.meta);
    const MxHosts hosts = hosts_of(answer, domain);
    out.mx.null_mx = hosts.ok && hosts.hosts.empty();
    if (out.mx.mx.fact == core::DnsFact::failed || out.mx.null_mx || !out.mx.mx.secure) {
      co_return out;  // decided without the hosts
    }
    names = hosts.hosts;
  }
  if (names.size() > kMaxDaneHosts) {
    names.resize(kMaxDaneHosts);
  }
  co_await gather_hosts(resolver, names, out);
  co_return out;
}

void remember(Impl& impl, const std::string& key, std::string_view domain,
              const core::DaneVerdict& verdict, std::optional<std::uint32_t> ttl) {
  if (impl.options.mx_cache_capacity == 0) {
    return;
  }
  const core::TimePoint now = impl.now();
  make_room(impl.dane_cache, impl.options.mx_cache_capacity, now, impl.dane_swept_at);
  // A temp verdict is asked again soon: the shortest lifetime allowed.
  const core::Seconds lifetime = verdict.level == core::DaneLevel::temp
                                     ? impl.options.mx_ttl_min
                                     : std::clamp(core::Seconds(ttl.value_or(0)),
                                                  impl.options.mx_ttl_min, impl.options.mx_ttl_max);
  std::string reply = verdict.level == core::DaneLevel::none
                          ? std::string()
                          : core::render_dane_reply(verdict, domain);
  impl.dane_cache.insert_or_assign(key, DaneEntry{verdict, now + lifetime, std::move(reply)});
}

void log_verdict(Impl& impl, std::string_view key, const core::DaneVerdict& verdict) {
  // A verdict that changes the reply is worth an info line; one that leaves MTA-STS in charge
  // (most destinations) is debug.
  const LogLevel level = verdict.level == core::DaneLevel::none ? LogLevel::debug : LogLevel::info;
  if (impl.log.enabled(level)) {
    impl.log.log(level, "dane",
                 {{"domain", key},
                  {"level", core::dane_level_name(verdict.level)},
                  {"reason", core::dane_reason_name(verdict.reason)},
                  {"host", verdict.host}});
  }
}

asio::awaitable<void> run_dane_flight(ImplPtr impl, std::string key, std::string domain,
                                      bool bracketed, std::shared_ptr<DaneFlight> flight) {
  const Gathered facts = co_await gather(impl->resolver, domain, bracketed);
  const core::DaneVerdict verdict = core::decide_dane(facts.mx, facts.hosts);
  impl->counters->count(verdict.reason);
  log_verdict(*impl, key, verdict);
  remember(*impl, key, domain, verdict, facts.lifetime.ttl);
  // Unregistered before waking the waiters, so none of them joins this finished flight.
  if (auto it = impl->dane_flights.find(key);
      it != impl->dane_flights.end() && it->second == flight) {
    impl->dane_flights.erase(it);
  }
  flight->publish(verdict);
}

}  // namespace

std::string dane_key(std::string_view domain, bool bracketed) {
  if (!bracketed) {
    return std::string(domain);
  }
  std::string key = "[";
  key.append(domain).push_back(']');
  return key;
}

const DaneEntry* cached_dane(const Impl& impl, std::string_view key, core::TimePoint now) {
  auto it = impl.dane_cache.find(key);
  if (it == impl.dane_cache.end() || now > it->second.expires_at) {
    return nullptr;
  }
  return &it->second;
}

asio::awaitable<core::DaneVerdict> dane_verdict(ImplPtr impl, std::string domain, bool bracketed,
                                                Deadline deadline) {
  std::string key = dane_key(domain, bracketed);
  if (const DaneEntry* entry = cached_dane(*impl, key, impl->now())) {
    co_return entry->verdict;
  }
  std::shared_ptr<DaneFlight> flight;
  if (auto it = impl->dane_flights.find(key); it != impl->dane_flights.end()) {
    flight = it->second;
  } else {
    flight = std::make_shared<DaneFlight>();
    impl->dane_flights.emplace(key, flight);
    asio::co_spawn(
        impl->executor, run_dane_flight(impl, key, domain, bracketed, flight),
        [owner = impl, key, flight](const std::exception_ptr&) {
          // No effect unless the flight failed: then the destination is deferred.
          flight->publish({core::DaneLevel::temp, core::DaneReason::lookup_timed_out, {}});
          auto entry = owner->dane_flights.find(key);
          if (entry != owner->dane_flights.end() && entry->second == flight) {
            owner->dane_flights.erase(entry);
          }
        });
  }
  std::optional<core::DaneVerdict> verdict = co_await DaneFlight::wait(flight, deadline);
  if (!verdict) {
    const core::DaneVerdict timed_out{
        core::DaneLevel::temp, core::DaneReason::lookup_timed_out, {}};
    // Kept like a temp verdict, so the lookups after this one do not wait for the same silence
    // of the DNS; the flight goes on, and its verdict replaces this one.
    if (cached_dane(*impl, key, impl->now()) == nullptr) {
      remember(*impl, key, domain, timed_out, std::nullopt);
    }
    co_return timed_out;
  }
  co_return std::move(*verdict);
}

}  // namespace mtasts::net

// MX hosts of destinations for mx_match `resolve`: looked up once for concurrent lookups,
// cached by their TTL (clamped), in a bounded map; a failed lookup is cached too (briefly), so
// a DNS outage neither slows cached answers nor floods the log.

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <exception>

#include "socketmap/policy_service_impl.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;

}  // namespace

MxHosts hosts_of(const MxAnswer& answer, const std::string& domain) {
  MxHosts out;
  switch (dns_class(answer.meta.status)) {
    case DnsClass::found: {
      out.ok = true;
      std::vector<MxRecord> records = answer.records;
      std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
        return a.preference < b.preference;
      });
      for (const MxRecord& record : records) {
        // The null MX (RFC 7505) names no host; an empty list then means "no mail".
        if (!record.exchange.empty() &&
            std::find(out.hosts.begin(), out.hosts.end(), record.exchange) == out.hosts.end()) {
          out.hosts.push_back(record.exchange);
        }
      }
      break;
    }
    case DnsClass::none:
      // RFC 5321 §5.1: no MX records, the domain itself is the implicit MX.
      out.ok = true;
      out.hosts.push_back(domain);
      break;
    case DnsClass::broken:
    case DnsClass::temporary:
      break;
  }
  return out;
}

namespace {

void remember(Impl& impl, const std::string& domain, const MxHosts& hosts,
              std::optional<std::uint32_t> ttl) {
  const core::TimePoint now = impl.now();
  make_room(impl.mx_cache, impl.options.mx_cache_capacity, now, impl.mx_swept_at);
  if (impl.options.mx_cache_capacity == 0) {
    return;
  }
  const core::Seconds lifetime =
      std::clamp(core::Seconds(ttl.value_or(0)), impl.options.mx_ttl_min, impl.options.mx_ttl_max);
  impl.mx_cache.insert_or_assign(domain, MxEntry{hosts.hosts, now + lifetime, {}, false});
}

// A failed (or unfinished) lookup, kept for mx_ttl_min like a temp DANE verdict. It never
// replaces an unexpired answer.
void remember_failure(Impl& impl, const std::string& domain) {
  const core::TimePoint now = impl.now();
  if (auto it = impl.mx_cache.find(domain);
      it != impl.mx_cache.end() && !it->second.failed && now <= it->second.expires_at) {
    return;
  }
  make_room(impl.mx_cache, impl.options.mx_cache_capacity, now, impl.mx_swept_at);
  if (impl.options.mx_cache_capacity == 0) {
    return;
  }
  impl.mx_cache.insert_or_assign(domain, MxEntry{{}, now + impl.options.mx_ttl_min, {}, true});
}

asio::awaitable<void> run_mx_flight(ImplPtr impl, std::string domain,
                                    std::shared_ptr<MxFlight> flight) {
  const MxAnswer answer = co_await impl->resolver.query_mx(domain);
  impl->counters->count_mx(answer.meta.status);
  MxHosts hosts = hosts_of(answer, domain);
  if (hosts.ok) {
    remember(*impl, domain, hosts, answer.meta.ttl);
  } else {
    remember_failure(*impl, domain);
    // One line per lookup made: with the failure cached, one per domain per mx_ttl_min.
    if (impl->log.enabled(LogLevel::info)) {
      impl->log.log(LogLevel::info, "mx-lookup-failed",
                    {{"domain", domain},
                     {"dns", dns_status_name(answer.meta.status)},
                     {"message", answer.meta.message}});
    }
  }
  // Unregistered before waking the waiters, so none of them joins this finished flight.
  if (auto it = impl->mx_flights.find(domain);
      it != impl->mx_flights.end() && it->second == flight) {
    impl->mx_flights.erase(it);
  }
  flight->publish(std::move(hosts));
}

// The running MX lookup of `domain`, started if none runs.
std::shared_ptr<MxFlight> mx_flight(const ImplPtr& impl, const std::string& domain) {
  if (auto it = impl->mx_flights.find(domain); it != impl->mx_flights.end()) {
    return it->second;
  }
  auto flight = std::make_shared<MxFlight>();
  impl->mx_flights.emplace(domain, flight);
  // Copies for the completion handler, which may run after this frame is gone.
  asio::co_spawn(impl->executor, run_mx_flight(impl, domain, flight),
                 [owner = impl, key = domain, flight](const std::exception_ptr&) {
                   flight->publish(MxHosts{});  // no effect unless the flight failed
                   auto entry = owner->mx_flights.find(key);
                   if (entry != owner->mx_flights.end() && entry->second == flight) {
                     owner->mx_flights.erase(entry);
                   }
                 });
  return flight;
}

}  // namespace

MxEntry* cached_mx(Impl& impl, std::string_view domain, core::TimePoint now) {
  auto it = impl.mx_cache.find(domain);
  if (it == impl.mx_cache.end() || now > it->second.expires_at) {
    return nullptr;  // an expired entry is dropped by mx_hosts()
  }
  return &it->second;
}

void forget_mx(Impl& impl, const std::string& domain) {
  impl.mx_cache.erase(domain);
}

asio::awaitable<MxHosts> mx_hosts(ImplPtr impl, std::string domain, Deadline deadline) {
  if (auto it = impl->mx_cache.find(domain); it != impl->mx_cache.end()) {
    const MxEntry& entry = it->second;
    if (impl->now() <= entry.expires_at) {
      co_return entry.failed ? MxHosts{} : MxHosts{.ok = true, .hosts = entry.hosts};
    }
    if (entry.failed) {
      // Asked again in the background; until an answer replaces it, the failure stands.
      mx_flight(impl, domain);
      co_return MxHosts{};
    }
    impl->mx_cache.erase(it);
  }
  std::shared_ptr<MxFlight> flight = mx_flight(impl, domain);
  std::optional<MxHosts> hosts = co_await MxFlight::wait(flight, deadline);
  if (!hosts) {
    // Timed out: the lookups after this one do not wait for the same silence. The flight goes
    // on, and its answer replaces the failure.
    remember_failure(*impl, domain);
    co_return MxHosts{};  // the caller falls back to the policy's exact names
  }
  co_return std::move(*hosts);
}

}  // namespace mtasts::net

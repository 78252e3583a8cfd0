#pragma once

// Fakes of the daemon's seams for PolicyService tests: a resolver and a fetcher answering per
// name from maps, each answer after an optional delay (so concurrent lookups overlap), a fake
// clock, and an in-memory PolicyPersistence. They count what they were asked.

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"
#include "mtasts/net/socketmap/policy_service.hpp"

namespace mtasts::net::testing {

inline boost::asio::awaitable<void> pause(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) {
    co_return;
  }
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

inline DnsMeta meta_of(DnsStatus status, std::string name, std::uint32_t ttl = 300) {
  DnsMeta meta;
  meta.status = status;
  meta.ttl = ttl;
  meta.query_name = name;
  meta.canonical_name = std::move(name);
  return meta;
}

class ScriptedResolver final : public DnsResolver {
 public:
  std::map<std::string, TxtAnswer> txt;  // absent: NXDOMAIN
  std::map<std::string, MxAnswer> mx;    // absent: NODATA (implicit MX)
  std::chrono::milliseconds delay{0};
  std::vector<std::string> asked;

  void set_sts(const std::string& domain, const std::string& record) {
    TxtAnswer answer;
    answer.meta = meta_of(DnsStatus::ok, "_mta-sts." + domain);
    answer.records = {{record}};
    txt["_mta-sts." + domain] = answer;
  }
  void set_mx(const std::string& domain, std::vector<std::string> hosts) {
    MxAnswer answer;
    answer.meta = meta_of(DnsStatus::ok, domain);
    std::uint16_t preference = 10;
    for (auto& host : hosts) {
      answer.records.push_back(MxRecord{preference, std::move(host)});
      preference = static_cast<std::uint16_t>(preference + 10);
    }
    mx[domain] = answer;
  }
  void set_mx_status(const std::string& domain, DnsStatus status) {
    mx[domain] = MxAnswer{meta_of(status, domain), {}};
  }
  [[nodiscard]] std::size_t count(const std::string& what) const {
    std::size_t n = 0;
    for (const auto& a : asked) {
      n += a == what ? 1u : 0u;
    }
    return n;
  }

  boost::asio::awaitable<TxtAnswer> query_txt(std::string name) override {
    asked.push_back("TXT " + name);
    co_await pause(delay);
    if (auto it = txt.find(name); it != txt.end()) {
      co_return it->second;
    }
    co_return TxtAnswer{meta_of(DnsStatus::nxdomain, name, 600), {}};
  }

  boost::asio::awaitable<MxAnswer> query_mx(std::string name) override {
    asked.push_back("MX " + name);
    co_await pause(delay);
    if (auto it = mx.find(name); it != mx.end()) {
      co_return it->second;
    }
    co_return MxAnswer{meta_of(DnsStatus::nodata, name), {}};
  }

  boost::asio::awaitable<AddressAnswer> query_addresses(std::string name) override {
    asked.push_back("ADDR " + name);
    co_return AddressAnswer{meta_of(DnsStatus::nxdomain, name), {}};
  }
};

class ScriptedFetcher final : public PolicyFetcher {
 public:
  std::map<std::string, std::string> bodies;    // absent: HTTP 404
  std::map<std::string, FetchDetail> failures;  // over `bodies`: the fetch fails so
  std::chrono::milliseconds delay{0};
  std::vector<std::string> fetched;

  boost::asio::awaitable<FetchResult> fetch(std::string policy_domain) override {
    fetched.push_back(policy_domain);
    co_await pause(delay);
    FetchResult result;
    if (auto failed = failures.find(policy_domain); failed != failures.end()) {
      result.detail = failed->second;
      result.message = "scripted failure";
    } else if (auto it = bodies.find(policy_domain); it != bodies.end()) {
      result.body = it->second;
    } else {
      result.detail = FetchDetail::http_status;
      result.message = "HTTP 404";
    }
    co_return result;
  }
};

class FakeClock final : public Clock {
 public:
  core::TimePoint time{std::chrono::seconds(1'700'000'000)};
  [[nodiscard]] core::TimePoint now() const override { return time; }
  void advance(core::Seconds by) { time += by; }
};

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

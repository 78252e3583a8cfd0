#pragma once

// Fakes of the two network seams: a DnsResolver answering from maps, and a PolicyFetcher
// returning a scripted result. They record what they were asked.

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <string>
#include <vector>

#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"

namespace mtasts::net::testing {

class FakeResolver final : public DnsResolver {
 public:
  std::map<std::string, TxtAnswer> txt;                   // absent: NXDOMAIN
  std::map<std::string, std::vector<std::string>> hosts;  // absent: NXDOMAIN
  bool hang = false;                                      // address queries wait until cancelled
  std::vector<std::string> asked;

  boost::asio::awaitable<TxtAnswer> query_txt(std::string name) override {
    asked.push_back("TXT " + name);
    auto it = txt.find(name);
    if (it != txt.end()) {
      co_return it->second;
    }
    TxtAnswer answer;
    answer.meta = negative(name);
    co_return answer;
  }

  boost::asio::awaitable<MxAnswer> query_mx(std::string name) override {
    asked.push_back("MX " + name);
    co_return MxAnswer{negative(name), {}};
  }

  boost::asio::awaitable<AddressAnswer> query_addresses(std::string name) override {
    asked.push_back("ADDR " + name);
    AddressAnswer answer{negative(name), {}};
    if (hang) {
      boost::asio::steady_timer forever(co_await boost::asio::this_coro::executor,
                                        std::chrono::hours(1));
      boost::system::error_code ec;
      co_await forever.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      answer.meta.status = DnsStatus::timeout;
      co_return answer;
    }
    if (auto it = hosts.find(name); it != hosts.end()) {
      answer.meta.status = DnsStatus::ok;
      answer.addresses = it->second;
    }
    co_return answer;
  }

  static DnsMeta negative(const std::string& name) {
    DnsMeta meta;
    meta.status = DnsStatus::nxdomain;
    meta.query_name = name;
    meta.canonical_name = name;
    return meta;
  }
};

// A TXT answer with the given records, status ok.
inline TxtAnswer txt_answer(std::vector<core::TxtStrings> records) {
  TxtAnswer answer;
  answer.meta.status = DnsStatus::ok;
  answer.meta.ttl = 300;
  answer.records = std::move(records);
  return answer;
}

class FakeFetcher final : public PolicyFetcher {
 public:
  FetchResult result;
  std::vector<std::string> fetched;

  boost::asio::awaitable<FetchResult> fetch(std::string policy_domain) override {
    fetched.push_back(policy_domain);
    co_return result;
  }
};

}  // namespace mtasts::net::testing

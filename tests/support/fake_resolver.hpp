#pragma once

// The DnsResolver of the unit tests: it answers from maps, per name and query type, after an
// optional delay (so concurrent lookups overlap) or never (`hang`, until cancelled), and
// records every question it was asked. A name absent from its map answers NXDOMAIN.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mtasts/net/dns/dns_resolver.hpp"
#include "test_loop.hpp"

namespace mtasts::net::testing {

// Metadata of an answer for `name` (no CNAME followed).
inline DnsMeta meta_of(DnsStatus status, std::string name, std::uint32_t ttl = 300) {
  DnsMeta meta;
  meta.status = status;
  meta.ttl = ttl;
  meta.query_name = name;
  meta.canonical_name = std::move(name);
  return meta;
}

// A TXT answer with the given records, status ok, TTL 300.
inline TxtAnswer txt_answer(std::vector<core::TxtStrings> records) {
  TxtAnswer answer;
  answer.meta.status = DnsStatus::ok;
  answer.meta.ttl = 300;
  answer.records = std::move(records);
  return answer;
}

class FakeResolver final : public DnsResolver {
 public:
  std::map<std::string, TxtAnswer> txt;
  std::map<std::string, MxAnswer> mx;
  std::map<std::string, AddressAnswer> addresses;
  std::map<std::string, TlsaAnswer> tlsa;
  bool validating = false;             // the NS query of the root answers with the AD bit
  std::chrono::milliseconds delay{0};  // before every answer
  bool hang = false;                   // every query waits until cancelled, then times out
  std::vector<std::string>
      asked;  // "TXT name", "MX name", "ADDR name", "TLSA name", "NS name", in order

  // The MTA-STS TXT record of `domain`.
  void set_sts(const std::string& domain, const std::string& record) {
    const std::string name = "_mta-sts." + domain;
    txt[name] = TxtAnswer{meta_of(DnsStatus::ok, name), {{record}}};
  }
  // MX records for `hosts`, preferences 10, 20, ... in the order given.
  void set_mx(const std::string& domain, std::vector<std::string> hosts) {
    std::vector<MxRecord> records;
    std::uint16_t preference = 10;
    for (auto& host : hosts) {
      records.push_back(MxRecord{preference, std::move(host)});
      preference = static_cast<std::uint16_t>(preference + 10);
    }
    set_mx_records(domain, std::move(records));
  }
  void set_mx_records(const std::string& domain, std::vector<MxRecord> records) {
    mx[domain] = MxAnswer{meta_of(DnsStatus::ok, domain), std::move(records)};
  }
  // The MX query of `domain` fails (or finds nothing) with `status`.
  void set_mx_status(const std::string& domain, DnsStatus status) {
    mx[domain] = MxAnswer{meta_of(status, domain), {}};
  }
  // `found` addresses for `name`, reached through the CNAME targets `cname_chain`.
  void set_address(const std::string& name, std::vector<std::string> found,
                   std::vector<std::string> cname_chain = {}) {
    AddressAnswer answer{meta_of(DnsStatus::ok, name), std::move(found)};
    if (!cname_chain.empty()) {
      answer.meta.canonical_name = cname_chain.back();
    }
    answer.meta.cname_chain = std::move(cname_chain);
    addresses[name] = std::move(answer);
  }

  // TLSA records at `name` (status ok), or a failure/negative `status` when `records` is empty.
  void set_tlsa(const std::string& name, std::vector<core::TlsaRecord> records, bool secure = true,
                DnsStatus status = DnsStatus::ok) {
    TlsaAnswer answer{meta_of(status, name), std::move(records)};
    answer.meta.authenticated = secure;
    tlsa[name] = std::move(answer);
  }
  // Marks the MX answer and the address answers of `names` as validated (AD set) or not.
  void set_secure(const std::string& domain, const std::vector<std::string>& names,
                  bool secure = true) {
    if (auto it = mx.find(domain); it != mx.end()) {
      it->second.meta.authenticated = secure;
    }
    for (const std::string& name : names) {
      if (auto it = addresses.find(name); it != addresses.end()) {
        it->second.meta.authenticated = secure;
      }
    }
  }

  // How often `what` ("TXT name", ...) was asked.
  [[nodiscard]] std::size_t count(const std::string& what) const {
    std::size_t n = 0;
    for (const auto& a : asked) {
      n += a == what ? 1u : 0u;
    }
    return n;
  }

  boost::asio::awaitable<TxtAnswer> query_txt(std::string name) override {
    const bool answered = co_await ask("TXT " + name);
    co_return lookup(txt, name, answered);
  }
  boost::asio::awaitable<MxAnswer> query_mx(std::string name) override {
    const bool answered = co_await ask("MX " + name);
    co_return lookup(mx, name, answered);
  }
  boost::asio::awaitable<AddressAnswer> query_addresses(std::string name) override {
    const bool answered = co_await ask("ADDR " + name);
    co_return lookup(addresses, name, answered);
  }
  boost::asio::awaitable<TlsaAnswer> query_tlsa(std::string name) override {
    const bool answered = co_await ask("TLSA " + name);
    co_return lookup(tlsa, name, answered);
  }
  boost::asio::awaitable<DnsMeta> query_ns(std::string name) override {
    const bool answered = co_await ask("NS " + name);
    DnsMeta meta = meta_of(answered ? DnsStatus::ok : DnsStatus::timeout, name);
    meta.authenticated = answered && validating;
    co_return meta;
  }

 private:
  // Records the question and waits as scripted; false when the query hung until cancelled.
  boost::asio::awaitable<bool> ask(std::string question) {
    asked.push_back(std::move(question));
    if (hang) {
      co_await pause(std::chrono::hours(1));
      co_return false;
    }
    co_await pause(delay);
    co_return true;
  }

  template <class Answer>
  static Answer lookup(const std::map<std::string, Answer>& answers, const std::string& name,
                       bool answered) {
    if (!answered) {
      return Answer{meta_of(DnsStatus::timeout, name), {}};
    }
    if (auto it = answers.find(name); it != answers.end()) {
      return it->second;
    }
    return Answer{meta_of(DnsStatus::nxdomain, name, 600), {}};
  }
};

}  // namespace mtasts::net::testing

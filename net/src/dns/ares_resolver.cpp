#include "mtasts/net/dns/ares_resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <tuple>

#include "dns/ares_channel.hpp"
#include "mtasts/core/base/host_port.hpp"
#include "mtasts/net/dns/dns_message.hpp"
#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using dns::ChainAnswer;

core::Result<ChannelServer> to_channel_server(const DnsServer& server) {
  ChannelServer out;
  out.port = server.port;
  std::uint8_t bytes[16] = {};
  if (inet_pton(AF_INET, server.host.c_str(), bytes) == 1) {
    out.family = AF_INET;
    out.bytes.assign(bytes, bytes + 4);
    return out;
  }
  if (inet_pton(AF_INET6, server.host.c_str(), bytes) == 1) {
    out.family = AF_INET6;
    out.bytes.assign(bytes, bytes + 16);
    return out;
  }
  // A name: resolved once, at start-up, by the system resolver.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(server.host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return core::fail(Errc::connect,
                      "DNS server '" + server.host + "' does not resolve to an address");
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);
  if (found->ai_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
    const auto* raw = reinterpret_cast<const std::uint8_t*>(&sin->sin_addr);
    out.family = AF_INET;
    out.bytes.assign(raw, raw + 4);
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(found->ai_addr);
    const auto* raw = reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr);
    out.family = AF_INET6;
    out.bytes.assign(raw, raw + 16);
  }
  return out;
}

// Classifies a reply when c-ares passed no message (or one we could not decode).
DnsMeta meta_from_status(const std::string& qname, const RawReply& reply,
                         std::chrono::milliseconds timeout) {
  DnsMeta meta;
  meta.query_name = qname;
  meta.canonical_name = qname;
  if (reply.timed_out) {
    meta.status = DnsStatus::timeout;
    meta.message = "no DNS answer within " + std::to_string(timeout.count()) + " ms";
    return meta;
  }
  switch (reply.status) {
    case ARES_ENOTFOUND:
      meta.status = DnsStatus::nxdomain;
      break;
    case ARES_ENODATA:
      meta.status = DnsStatus::nodata;
      break;
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
      meta.status = DnsStatus::servfail;
      break;
    case ARES_ETIMEOUT:
      meta.status = DnsStatus::timeout;
      break;
    default:
      meta.status = DnsStatus::error;
      break;
  }
  meta.message = std::string("DNS lookup failed: ") + ares_strerror(reply.status);
  return meta;
}

ChainAnswer interpret(const std::string& qname, std::uint16_t type, const RawReply& reply,
                      std::chrono::milliseconds timeout) {
  if (reply.timed_out || reply.bytes.empty()) {
    return ChainAnswer{meta_from_status(qname, reply, timeout), {}, false};
  }
  auto message = dns::parse_message(reply.bytes);
  if (!message) {
    ChainAnswer answer;
    answer.meta.query_name = qname;
    answer.meta.canonical_name = qname;
    answer.meta.status = DnsStatus::error;
    answer.meta.message = message.error().message;
    return answer;
  }
  return dns::interpret_answer(*message, qname, type);
}

// Prepends what earlier rounds followed to the answer of a re-query for the chain's target.
void merge_chain(ChainAnswer& answer, const DnsMeta& earlier) {
  std::vector<std::string> chain = earlier.cname_chain;
  for (const std::string& name : answer.meta.cname_chain) {
    const bool seen =
        name == earlier.query_name || std::find(chain.begin(), chain.end(), name) != chain.end();
    if (seen || chain.size() >= kMaxCnameHops) {
      answer.meta.status = DnsStatus::cname_loop;
      answer.meta.message = seen
                                ? "the CNAME chain loops back to " + name
                                : "the CNAME chain is longer than " + std::to_string(kMaxCnameHops);
      answer.records.clear();
      answer.needs_requery = false;
      break;
    }
    chain.push_back(name);
  }
  answer.meta.cname_chain = std::move(chain);
  answer.meta.query_name = earlier.query_name;
  answer.meta.authenticated = answer.meta.authenticated && earlier.authenticated;
  if (answer.meta.status == DnsStatus::ok && earlier.ttl && answer.meta.ttl) {
    answer.meta.ttl = std::min(*earlier.ttl, *answer.meta.ttl);
  }
}

class AresResolver final : public DnsResolver {
 public:
  explicit AresResolver(std::shared_ptr<AresChannel> channel) : channel_(std::move(channel)) {}

  asio::awaitable<TxtAnswer> query_txt(std::string name) override {
    ChainAnswer chain = co_await lookup(std::move(name), dns::kTypeTxt);
    TxtAnswer answer{std::move(chain.meta), {}};
    for (dns::ResourceRecord& rr : chain.records) {
      if (auto* txt = std::get_if<dns::Txt>(&rr.rdata)) {
        answer.records.push_back(std::move(txt->strings));
      }
    }
    co_return answer;
  }

  asio::awaitable<MxAnswer> query_mx(std::string name) override {
    ChainAnswer chain = co_await lookup(std::move(name), dns::kTypeMx);
    MxAnswer answer{std::move(chain.meta), {}};
    for (dns::ResourceRecord& rr : chain.records) {
      if (auto* mx = std::get_if<dns::Mx>(&rr.rdata)) {
        answer.records.push_back(MxRecord{mx->preference, std::move(mx->exchange)});
      }
    }
    co_return answer;
  }

  asio::awaitable<TlsaAnswer> query_tlsa(std::string name) override {
    ChainAnswer chain = co_await lookup(std::move(name), dns::kTypeTlsa);
    TlsaAnswer answer{std::move(chain.meta), {}};
    for (dns::ResourceRecord& rr : chain.records) {
      if (auto* tlsa = std::get_if<dns::Tlsa>(&rr.rdata)) {
        answer.records.push_back(tlsa->record);
      }
    }
    co_return answer;
  }

  asio::awaitable<DnsMeta> query_ns(std::string name) override {
    ChainAnswer chain = co_await lookup(std::move(name), dns::kTypeNs);
    co_return std::move(chain.meta);
  }

  asio::awaitable<AddressAnswer> query_addresses(std::string name) override {
    using namespace asio::experimental::awaitable_operators;
    auto [v4, v6] = co_await (lookup(name, dns::kTypeA) && lookup(name, dns::kTypeAaaa));
    co_return combine(std::move(v4), std::move(v6));
  }

 private:
  // One query, plus re-queries while a server returns a CNAME without its target's data.
  asio::awaitable<ChainAnswer> lookup(std::string name, std::uint16_t type) {
    const std::string qname = dns::normalize_name(name);
    RawReply reply = co_await channel_->query(qname, type);
    ChainAnswer answer = interpret(qname, type, reply, channel_->timeout());
    while (answer.needs_requery) {
      const DnsMeta earlier = answer.meta;
      const std::string target = earlier.canonical_name;
      reply = co_await channel_->query(target, type);
      answer = interpret(target, type, reply, channel_->timeout());
      merge_chain(answer, earlier);
    }
    co_return answer;
  }

  static AddressAnswer combine(ChainAnswer v4, ChainAnswer v6) {
    AddressAnswer answer;
    for (ChainAnswer* part : {&v4, &v6}) {
      for (dns::ResourceRecord& rr : part->records) {
        if (auto* address = std::get_if<dns::Address>(&rr.rdata)) {
          answer.addresses.push_back(std::move(address->text));
        }
      }
    }
    auto is_negative = [](DnsStatus s) {
      return s == DnsStatus::nxdomain || s == DnsStatus::nodata;
    };
    if (v4.meta.status == DnsStatus::ok || v6.meta.status == DnsStatus::ok) {
      const bool both = v4.meta.status == DnsStatus::ok && v6.meta.status == DnsStatus::ok;
      answer.meta = v4.meta.status == DnsStatus::ok ? v4.meta : v6.meta;
      if (both && v4.meta.ttl && v6.meta.ttl) {
        answer.meta.ttl = std::min(*v4.meta.ttl, *v6.meta.ttl);
      }
    } else if (!is_negative(v4.meta.status)) {
      answer.meta = v4.meta;  // a failure says more than the other query's negative answer
    } else if (!is_negative(v6.meta.status)) {
      answer.meta = v6.meta;
    } else {
      const bool both_nx =
          v4.meta.status == DnsStatus::nxdomain && v6.meta.status == DnsStatus::nxdomain;
      answer.meta = v4.meta;
      answer.meta.status = both_nx ? DnsStatus::nxdomain : DnsStatus::nodata;
      if (v4.meta.ttl && v6.meta.ttl) {
        answer.meta.ttl = std::min(*v4.meta.ttl, *v6.meta.ttl);
      } else if (!v4.meta.ttl) {
        answer.meta.ttl = v6.meta.ttl;
      }
    }
    answer.meta.authenticated = authenticated(v4.meta, v6.meta);
    return answer;
  }

  // Every part that did not fail was validated, and one of them found addresses: a failed
  // AAAA query does not make validated A records insecure.
  static bool authenticated(const DnsMeta& v4, const DnsMeta& v6) {
    bool found = false;
    for (const DnsMeta* part : {&v4, &v6}) {
      if (dns_lookup_failed(part->status)) {
        continue;
      }
      if (!part->authenticated) {
        return false;
      }
      found = found || part->status == DnsStatus::ok;
    }
    return found;
  }

  std::shared_ptr<AresChannel> channel_;
};

}  // namespace

core::Result<DnsServer> parse_dns_server(std::string_view text) {
  auto parsed = core::parse_host_port(text, core::kDnsServerAddress);
  if (!parsed) {
    return core::fail(core::Errc::invalid_value,
                      "invalid DNS server '" + std::string(text) + "': " + parsed.error().message);
  }
  return DnsServer{std::move(parsed->host), parsed->port};
}

core::Result<std::unique_ptr<DnsResolver>> make_ares_resolver(asio::any_io_executor executor,
                                                              const DnsOptions& options) {
  std::vector<ChannelServer> servers;
  for (const DnsServer& server : options.servers) {
    auto converted = to_channel_server(server);
    if (!converted) {
      return tl::unexpected(converted.error());
    }
    servers.push_back(std::move(*converted));
  }
  auto channel = AresChannel::create(std::move(executor), servers, options.timeout);
  if (!channel) {
    return tl::unexpected(channel.error());
  }
  return std::unique_ptr<DnsResolver>(std::make_unique<AresResolver>(std::move(*channel)));
}

}  // namespace mtasts::net

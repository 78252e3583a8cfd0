#include "mtasts/net/dns/ares_resolver.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "test_dns_server.hpp"
#include "test_loop.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::build_response;
using testing::Bytes;
using testing::encode_name;
using testing::run_until_done;
using testing::TestDnsServer;
using testing::txt_rdata;
using testing::WireRecord;

constexpr auto kTimeout = 600ms;

WireRecord soa(std::uint32_t ttl, std::uint32_t minimum) {
  return {"test", dns::kTypeSoa, ttl, testing::soa_rdata("ns.test", "hostmaster.test", minimum)};
}

// The zone the tests ask about.
std::optional<Bytes> answer(const dns::Question& q, std::uint16_t id) {
  const std::string& n = q.name;
  auto reply = [&](std::uint8_t rcode, std::vector<WireRecord> answers,
                   std::vector<WireRecord> authority = {}) {
    return build_response(id, rcode, n, q.type, answers, authority);
  };
  if (n == "_mta-sts.ok.test" && q.type == dns::kTypeTxt) {
    return reply(dns::kRcodeNoError, {{n, dns::kTypeTxt, 300, txt_rdata({"v=STSv1; ", "id=1"})},
                                      {n, dns::kTypeTxt, 200, txt_rdata({"other"})}});
  }
  if (n == "_mta-sts.chain.test") {  // the whole chain in one answer, as a recursor sends it
    return reply(dns::kRcodeNoError,
                 {{n, dns::kTypeCname, 100, encode_name("_mta-sts.provider.test")},
                  {"_mta-sts.provider.test", dns::kTypeTxt, 300, txt_rdata({"v=STSv1; id=2"})}});
  }
  if (n == "_mta-sts.stub.test") {  // a CNAME alone: the client must ask again
    return reply(dns::kRcodeNoError,
                 {{n, dns::kTypeCname, 100, encode_name("_mta-sts.target.test")}});
  }
  if (n == "_mta-sts.target.test") {
    return reply(dns::kRcodeNoError, {{n, dns::kTypeTxt, 50, txt_rdata({"v=STSv1; id=3"})}});
  }
  if (n == "loop-a.test") {
    return reply(dns::kRcodeNoError, {{n, dns::kTypeCname, 60, encode_name("loop-b.test")}});
  }
  if (n == "loop-b.test") {
    return reply(dns::kRcodeNoError, {{n, dns::kTypeCname, 60, encode_name("loop-a.test")}});
  }
  if (n == "_mta-sts.nodata.test") {
    return reply(dns::kRcodeNoError, {}, {soa(3600, 120)});
  }
  if (n == "_mta-sts.servfail.test") {
    return reply(dns::kRcodeServFail, {});
  }
  if (n == "_mta-sts.refused.test") {
    return reply(dns::kRcodeRefused, {});
  }
  if (n == "_mta-sts.silent.test") {
    return std::nullopt;
  }
  if (n == "_mta-sts.garbage.test") {
    Bytes bytes = reply(dns::kRcodeNoError, {{n, dns::kTypeTxt, 60, txt_rdata({"x"})}});
    bytes.resize(bytes.size() - 3);  // the TXT RDATA is cut short
    return bytes;
  }
  if (n == "mta-sts.dual.test" && q.type == dns::kTypeA) {
    return reply(dns::kRcodeNoError, {{n, dns::kTypeA, 300, Bytes{127, 0, 0, 1}}});
  }
  if (n == "mta-sts.dual.test" && q.type == dns::kTypeAaaa) {
    Bytes loopback(16, 0);
    loopback[15] = 1;
    return reply(dns::kRcodeNoError, {{n, dns::kTypeAaaa, 100, loopback}});
  }
  if (n == "mta-sts.v4only.test" && q.type == dns::kTypeA) {
    return reply(dns::kRcodeNoError, {{n, dns::kTypeA, 300, Bytes{192, 0, 2, 1}}});
  }
  if (n == "mta-sts.v4only.test") {
    return reply(dns::kRcodeNoError, {}, {soa(60, 60)});
  }
  if (n == "_25._tcp.mail.mx.test" && q.type == dns::kTypeTlsa) {
    Bytes rdata = {3, 1, 1};
    rdata.resize(3 + 32, 0x5a);
    Bytes bytes = reply(dns::kRcodeNoError, {{n, dns::kTypeTlsa, 120, rdata}});
    bytes[3] = static_cast<std::uint8_t>(bytes[3] | 0x20);  // validated
    return bytes;
  }
  if (n.empty() && q.type == dns::kTypeNs) {  // the root, as a validating resolver answers it
    Bytes bytes = reply(dns::kRcodeNoError, {{"", dns::kTypeNs, 3600, encode_name("a.root.test")}});
    bytes[3] = static_cast<std::uint8_t>(bytes[3] | 0x20);
    return bytes;
  }
  if (n == "mx.test" && q.type == dns::kTypeMx) {
    return reply(dns::kRcodeNoError,
                 {{n, dns::kTypeMx, 300, testing::mx_rdata(10, "mail.mx.test")}});
  }
  return reply(dns::kRcodeNxDomain, {}, {soa(900, 300)});
}

class AresResolverTest : public ::testing::Test {
 protected:
  AresResolverTest() : server_(io_, &answer) {
    auto made = make_ares_resolver(io_.get_executor(),
                                   DnsOptions{{*parse_dns_server(server_.address())}, kTimeout});
    EXPECT_TRUE(made);
    resolver_ = std::move(*made);
  }

  TxtAnswer txt(std::string name) { return *run_until_done(io_, resolver_->query_txt(name)); }

  asio::io_context io_;
  TestDnsServer server_;
  std::unique_ptr<DnsResolver> resolver_;
};

TEST_F(AresResolverTest, Txt_RecordsStringsAndTtl) {
  const TxtAnswer a = txt("_mta-sts.ok.test");
  EXPECT_EQ(a.meta.status, DnsStatus::ok);
  ASSERT_EQ(a.records.size(), 2u);
  EXPECT_EQ(a.records[0], (core::TxtStrings{"v=STSv1; ", "id=1"}));
  EXPECT_EQ(a.meta.ttl, 200u);
}

TEST_F(AresResolverTest, CnameInOneAnswer_IsFollowed) {
  const TxtAnswer a = txt("_mta-sts.chain.test.");
  EXPECT_EQ(a.meta.status, DnsStatus::ok);
  EXPECT_EQ(a.meta.cname_chain, std::vector<std::string>{"_mta-sts.provider.test"});
  EXPECT_EQ(a.meta.ttl, 100u);
  ASSERT_EQ(a.records.size(), 1u);
}

TEST_F(AresResolverTest, BareCname_IsFollowedWithASecondQuery) {
  const TxtAnswer a = txt("_mta-sts.stub.test");
  EXPECT_EQ(a.meta.status, DnsStatus::ok);
  EXPECT_EQ(a.meta.query_name, "_mta-sts.stub.test");
  EXPECT_EQ(a.meta.cname_chain, std::vector<std::string>{"_mta-sts.target.test"});
  EXPECT_EQ(a.meta.ttl, 50u);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(server_.asked(),
            (std::vector<std::string>{"_mta-sts.stub.test/16", "_mta-sts.target.test/16"}));
}

TEST_F(AresResolverTest, CnameLoopAcrossQueries_EndsAsLoop) {
  const TxtAnswer a = txt("loop-a.test");
  EXPECT_EQ(a.meta.status, DnsStatus::cname_loop);
  EXPECT_LE(server_.asked().size(), kMaxCnameHops + 1);
}

TEST_F(AresResolverTest, NegativeAnswers_CarryTheSoaTtl) {
  const TxtAnswer nx = txt("_mta-sts.absent.test");
  EXPECT_EQ(nx.meta.status, DnsStatus::nxdomain);
  EXPECT_EQ(nx.meta.ttl, 300u);
  const TxtAnswer nodata = txt("_mta-sts.nodata.test");
  EXPECT_EQ(nodata.meta.status, DnsStatus::nodata);
  EXPECT_EQ(nodata.meta.ttl, 120u);
}

TEST_F(AresResolverTest, ServfailAndRefused_AreServerFailures) {
  EXPECT_EQ(txt("_mta-sts.servfail.test").meta.status, DnsStatus::servfail)
      << txt("_mta-sts.servfail.test").meta.message;
  EXPECT_EQ(txt("_mta-sts.refused.test").meta.status, DnsStatus::servfail);
}

TEST_F(AresResolverTest, SilentServer_TimesOutWithinTheBound) {
  const auto start = std::chrono::steady_clock::now();
  const TxtAnswer a = txt("_mta-sts.silent.test");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(a.meta.status, DnsStatus::timeout);
  EXPECT_GE(elapsed, kTimeout - 50ms);
  EXPECT_LT(elapsed, kTimeout + 2s);
}

TEST_F(AresResolverTest, CancelledQuery_EndsAtOnce) {
  auto race = [](DnsResolver& resolver) -> asio::awaitable<std::size_t> {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    auto winner = co_await (resolver.query_addresses("_mta-sts.silent.test") ||
                            timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    co_return winner.index();
  };
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run_until_done(io_, race(*resolver_)), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kTimeout - 100ms);
  // The channel still works afterwards.
  EXPECT_EQ(txt("_mta-sts.ok.test").meta.status, DnsStatus::ok);
}

TEST_F(AresResolverTest, MalformedAnswer_IsAnError) {
  const TxtAnswer a = txt("_mta-sts.garbage.test");
  EXPECT_EQ(a.meta.status, DnsStatus::error);
  EXPECT_NE(a.meta.message.find("malformed"), std::string::npos) << a.meta.message;
}

TEST_F(AresResolverTest, Addresses_AskAAndAaaa) {
  const AddressAnswer dual = *run_until_done(io_, resolver_->query_addresses("mta-sts.dual.test"));
  EXPECT_EQ(dual.meta.status, DnsStatus::ok);
  EXPECT_EQ(dual.addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(dual.meta.ttl, 100u);
  const AddressAnswer v4 = *run_until_done(io_, resolver_->query_addresses("mta-sts.v4only.test"));
  EXPECT_EQ(v4.meta.status, DnsStatus::ok);
  EXPECT_EQ(v4.addresses, std::vector<std::string>{"192.0.2.1"});
  const AddressAnswer none = *run_until_done(io_, resolver_->query_addresses("mta-sts.no.test"));
  EXPECT_EQ(none.meta.status, DnsStatus::nxdomain);
  EXPECT_TRUE(none.addresses.empty());
}

TEST_F(AresResolverTest, Mx_IsDecoded) {
  const MxAnswer a = *run_until_done(io_, resolver_->query_mx("mx.test"));
  EXPECT_EQ(a.meta.status, DnsStatus::ok);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].preference, 10);
  EXPECT_EQ(a.records[0].exchange, "mail.mx.test");
}

TEST_F(AresResolverTest, Tlsa_IsDecodedWithTheAdBit) {
  const TlsaAnswer a = *run_until_done(io_, resolver_->query_tlsa("_25._tcp.mail.mx.test"));
  EXPECT_EQ(a.meta.status, DnsStatus::ok);
  EXPECT_TRUE(a.meta.authenticated);
  EXPECT_EQ(a.meta.ttl, 120u);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].usage, 3);
  EXPECT_EQ(a.records[0].data_size, 32u);
  EXPECT_TRUE(core::tlsa_usable(a.records[0]));
  // Every query asks for the AD bit, and an answer without it is not authenticated.
  const MxAnswer mx = *run_until_done(io_, resolver_->query_mx("mx.test"));
  EXPECT_FALSE(mx.meta.authenticated);
  EXPECT_EQ(server_.asked_for_ad(), server_.asked().size());
}

TEST_F(AresResolverTest, RootNs_ShowsWhetherTheResolverValidates) {
  const DnsMeta meta = *run_until_done(io_, resolver_->query_ns("."));
  EXPECT_EQ(meta.status, DnsStatus::ok);
  EXPECT_TRUE(meta.authenticated);
}

TEST_F(AresResolverTest, ConcurrentQueries_AllComplete) {
  auto many = [](DnsResolver& resolver) -> asio::awaitable<int> {
    int ok = 0;
    for (int round = 0; round < 20; ++round) {
      const TxtAnswer a = co_await resolver.query_txt("_mta-sts.ok.test");
      ok += a.meta.status == DnsStatus::ok ? 1 : 0;
    }
    co_return ok;
  };
  EXPECT_EQ(run_until_done(io_, many(*resolver_)), 20);
}

TEST(AresResolver, NothingListening_FailsFastWithoutHanging) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::udp::socket probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  auto resolver =
      make_ares_resolver(io.get_executor(), DnsOptions{{DnsServer{"127.0.0.1", port}}, 2s});
  ASSERT_TRUE(resolver);
  const auto start = std::chrono::steady_clock::now();
  const TxtAnswer a = *run_until_done(io, (*resolver)->query_txt("_mta-sts.example.com"));
  EXPECT_TRUE(a.meta.status == DnsStatus::error || a.meta.status == DnsStatus::timeout)
      << dns_status_name(a.meta.status);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s + 2s);
}

}  // namespace
}  // namespace mtasts::net

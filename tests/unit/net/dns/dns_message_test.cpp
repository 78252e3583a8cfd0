#include "mtasts/net/dns/dns_message.hpp"

#include <gtest/gtest.h>

#include "dns_wire.hpp"

namespace mtasts::net::dns {
namespace {

using testing::build_response;
using testing::Bytes;
using testing::encode_name;
using testing::mx_rdata;
using testing::soa_rdata;
using testing::txt_rdata;
using testing::WireRecord;

constexpr std::string_view kName = "_mta-sts.example.com";

ChainAnswer interpret(const Bytes& wire, std::string_view qname, std::uint16_t qtype) {
  auto message = parse_message(wire);
  EXPECT_TRUE(message) << (message ? "" : message.error().message);
  return message ? interpret_answer(*message, qname, qtype) : ChainAnswer{};
}

WireRecord soa(std::uint32_t ttl, std::uint32_t minimum) {
  return {"example.com", kTypeSoa, ttl,
          soa_rdata("ns.example.com", "hostmaster.example.com", minimum)};
}

TEST(DnsMessage, TxtAnswer_KeepsStringsAndSmallestTtl) {
  const Bytes wire =
      build_response(7, kRcodeNoError, kName, kTypeTxt,
                     {{std::string(kName), kTypeTxt, 300, txt_rdata({"v=STSv1; ", "id=1"})},
                      {std::string(kName), kTypeTxt, 120, txt_rdata({"other"})}});
  const ChainAnswer answer = interpret(wire, kName, kTypeTxt);
  EXPECT_EQ(answer.meta.status, DnsStatus::ok);
  ASSERT_EQ(answer.records.size(), 2u);
  EXPECT_EQ(std::get<Txt>(answer.records[0].rdata).strings,
            (core::TxtStrings{"v=STSv1; ", "id=1"}));
  EXPECT_EQ(answer.meta.ttl, 120u);
  EXPECT_TRUE(answer.meta.cname_chain.empty());
  EXPECT_FALSE(answer.needs_requery);
}

TEST(DnsMessage, CnameChain_FollowedCaseInsensitivelyWithTtls) {
  const Bytes wire = build_response(
      1, kRcodeNoError, kName, kTypeTxt,
      {{std::string(kName), kTypeCname, 600, encode_name("_mta-sts.Provider.example")},
       {"_mta-sts.provider.example", kTypeCname, 60, encode_name("txt.provider.example")},
       {"TXT.provider.example", kTypeTxt, 300, txt_rdata({"v=STSv1; id=9"})}});
  const ChainAnswer answer = interpret(wire, "_MTA-STS.Example.COM.", kTypeTxt);
  EXPECT_EQ(answer.meta.status, DnsStatus::ok);
  EXPECT_EQ(answer.meta.query_name, kName);
  EXPECT_EQ(answer.meta.cname_chain,
            (std::vector<std::string>{"_mta-sts.provider.example", "txt.provider.example"}));
  EXPECT_EQ(answer.meta.canonical_name, "txt.provider.example");
  EXPECT_EQ(answer.meta.ttl, 60u);
  ASSERT_EQ(answer.records.size(), 1u);
}

TEST(DnsMessage, RecordsAtOtherNames_AreIgnored) {
  const Bytes wire = build_response(
      1, kRcodeNoError, kName, kTypeTxt,
      {{"_mta-sts.evil.example", kTypeTxt, 300, txt_rdata({"v=STSv1; id=6"})}}, {soa(300, 60)});
  const ChainAnswer answer = interpret(wire, kName, kTypeTxt);
  EXPECT_EQ(answer.meta.status, DnsStatus::nodata);
  EXPECT_TRUE(answer.records.empty());
}

TEST(DnsMessage, NxDomain_NegativeTtlIsMinOfSoaTtlAndMinimum) {
  const Bytes wire = build_response(1, kRcodeNxDomain, kName, kTypeTxt, {}, {soa(900, 300)});
  const ChainAnswer answer = interpret(wire, kName, kTypeTxt);
  EXPECT_EQ(answer.meta.status, DnsStatus::nxdomain);
  EXPECT_EQ(answer.meta.ttl, 300u);
  const Bytes lower_ttl = build_response(1, kRcodeNxDomain, kName, kTypeTxt, {}, {soa(30, 300)});
  EXPECT_EQ(interpret(lower_ttl, kName, kTypeTxt).meta.ttl, 30u);
}

TEST(DnsMessage, NoData_WithAndWithoutSoa) {
  const Bytes with_soa = build_response(1, kRcodeNoError, kName, kTypeTxt, {}, {soa(3600, 120)});
  const ChainAnswer answer = interpret(with_soa, kName, kTypeTxt);
  EXPECT_EQ(answer.meta.status, DnsStatus::nodata);
  EXPECT_EQ(answer.meta.ttl, 120u);
  const Bytes bare = build_response(1, kRcodeNoError, kName, kTypeTxt, {});
  EXPECT_EQ(interpret(bare, kName, kTypeTxt).meta.ttl, std::nullopt);
}

TEST(DnsMessage, CnameToNxDomain_IsNxDomainWithChain) {
  const Bytes wire = build_response(
      1, kRcodeNxDomain, kName, kTypeTxt,
      {{std::string(kName), kTypeCname, 600, encode_name("gone.example.net")}}, {soa(60, 60)});
  const ChainAnswer answer = interpret(wire, kName, kTypeTxt);
  EXPECT_EQ(answer.meta.status, DnsStatus::nxdomain);
  EXPECT_EQ(answer.meta.canonical_name, "gone.example.net");
  EXPECT_FALSE(answer.needs_requery);
}

TEST(DnsMessage, DanglingCnameWithoutSoa_AsksForRequery) {
  const Bytes wire = build_response(
      1, kRcodeNoError, kName, kTypeTxt,
      {{std::string(kName), kTypeCname, 600, encode_name("_mta-sts.provider.example")}});
  const ChainAnswer answer = interpret(wire, kName, kTypeTxt);
  EXPECT_EQ(answer.meta.status, DnsStatus::nodata);
  EXPECT_TRUE(answer.needs_requery);
  EXPECT_EQ(answer.meta.canonical_name, "_mta-sts.provider.example");
}

TEST(DnsMessage, CnameLoop_IsReported) {
  const Bytes wire = build_response(1, kRcodeNoError, kName, kTypeTxt,
                                    {{std::string(kName), kTypeCname, 60, encode_name("a.example")},
                                     {"a.example", kTypeCname, 60, encode_name(kName)}});
  const ChainAnswer answer = interpret(wire, kName, kTypeTxt);
  EXPECT_EQ(answer.meta.status, DnsStatus::cname_loop);
  EXPECT_TRUE(answer.records.empty());
}

TEST(DnsMessage, CnameChainLongerThanLimit_IsReportedAsLoop) {
  std::vector<WireRecord> chain;
  std::string owner(kName);
  for (std::size_t i = 0; i <= kMaxCnameHops; ++i) {
    const std::string target = "hop" + std::to_string(i) + ".example";
    chain.push_back({owner, kTypeCname, 60, encode_name(target)});
    owner = target;
  }
  chain.push_back({owner, kTypeTxt, 60, txt_rdata({"v=STSv1; id=1"})});
  const ChainAnswer answer =
      interpret(build_response(1, 0, kName, kTypeTxt, chain), kName, kTypeTxt);
  EXPECT_EQ(answer.meta.status, DnsStatus::cname_loop);
}

TEST(DnsMessage, ServerFailures_AreToldApart) {
  struct Case {
    std::uint8_t rcode;
    DnsStatus status;
  };
  for (const Case& c :
       {Case{kRcodeServFail, DnsStatus::servfail}, Case{kRcodeRefused, DnsStatus::servfail},
        Case{kRcodeFormErr, DnsStatus::error}, Case{kRcodeNotImp, DnsStatus::error},
        Case{9, DnsStatus::error}}) {
    const Bytes wire = build_response(1, c.rcode, kName, kTypeTxt, {});
    EXPECT_EQ(interpret(wire, kName, kTypeTxt).meta.status, c.status) << int{c.rcode};
  }
}

TEST(DnsMessage, MxAndAddresses_AreDecoded) {
  Bytes v6(16, 0);
  v6[15] = 1;
  const Bytes wire = build_response(1, kRcodeNoError, "example.com", kTypeMx,
                                    {{"example.com", kTypeMx, 300, mx_rdata(10, "MX1.Example.com")},
                                     {"example.com", kTypeMx, 300, mx_rdata(0, "")},
                                     {"mx1.example.com", kTypeA, 300, Bytes{192, 0, 2, 25}},
                                     {"mx1.example.com", kTypeAaaa, 300, v6}});
  auto message = parse_message(wire);
  ASSERT_TRUE(message);
  ASSERT_EQ(message->answers.size(), 4u);
  EXPECT_EQ(std::get<Mx>(message->answers[0].rdata).exchange, "mx1.example.com");
  EXPECT_EQ(std::get<Mx>(message->answers[0].rdata).preference, 10);
  EXPECT_EQ(std::get<Mx>(message->answers[1].rdata).exchange, "");
  EXPECT_EQ(std::get<Address>(message->answers[2].rdata).text, "192.0.2.25");
  EXPECT_EQ(std::get<Address>(message->answers[3].rdata).text, "::1");
  EXPECT_EQ(interpret_answer(*message, "example.com", kTypeMx).records.size(), 2u);
}

TEST(DnsMessage, TlsaRecords_AreDecodedByLength) {
  Bytes sha256 = {3, 1, 1};
  sha256.resize(3 + 32, 0xab);
  const Bytes wire = build_response(1, kRcodeNoError, "_25._tcp.mx.example.com", kTypeTlsa,
                                    {{"_25._tcp.mx.example.com", kTypeTlsa, 300, sha256},
                                     {"_25._tcp.mx.example.com", kTypeTlsa, 300, Bytes{2, 0, 0}}});
  auto message = parse_message(wire);
  ASSERT_TRUE(message);
  const auto& first = std::get<Tlsa>(message->answers[0].rdata).record;
  EXPECT_EQ(first.usage, 3);
  EXPECT_EQ(first.selector, 1);
  EXPECT_EQ(first.matching, 1);
  EXPECT_EQ(first.data_size, 32u);
  EXPECT_EQ(std::get<Tlsa>(message->answers[1].rdata).record.data_size, 0u);
  EXPECT_FALSE(message->authenticated);
  // Shorter than its three fixed octets: the message is refused, not read past the RDATA.
  const Bytes short_rdata =
      build_response(1, kRcodeNoError, "_25._tcp.mx.example.com", kTypeTlsa,
                     {{"_25._tcp.mx.example.com", kTypeTlsa, 300, Bytes{3, 1}}});
  EXPECT_FALSE(parse_message(short_rdata));
}

TEST(DnsMessage, AdBit_MarksTheAnswerAuthenticated) {
  Bytes wire = build_response(1, kRcodeNoError, "example.com", kTypeMx,
                              {{"example.com", kTypeMx, 300, mx_rdata(10, "mx.example.com")}});
  EXPECT_FALSE(interpret(wire, "example.com", kTypeMx).meta.authenticated);
  wire[3] = static_cast<std::uint8_t>(wire[3] | 0x20);  // AD
  EXPECT_TRUE(interpret(wire, "example.com", kTypeMx).meta.authenticated);
  // A signed denial is authenticated too.
  Bytes denial = build_response(1, kRcodeNxDomain, "example.com", kTypeMx, {}, {soa(900, 300)});
  denial[3] = static_cast<std::uint8_t>(denial[3] | 0x20);
  const ChainAnswer answer = interpret(denial, "example.com", kTypeMx);
  EXPECT_EQ(answer.meta.status, DnsStatus::nxdomain);
  EXPECT_TRUE(answer.meta.authenticated);
}

TEST(DnsMessage, CompressedNames_AreFollowed) {
  Bytes wire = build_response(1, kRcodeNoError, kName, kTypeTxt, {});
  wire[7] = 1;                          // ancount = 1
  wire.insert(wire.end(), {0xC0, 12});  // owner: pointer to the question name
  testing::put16(wire, kTypeCname);
  testing::put16(wire, 1);
  testing::put32(wire, 60);
  testing::put16(wire, 6);
  wire.insert(wire.end(), {3, 'f', 'o', 'o', 0xC0, 21});  // "foo" + pointer to "example.com"
  auto message = parse_message(wire);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_EQ(message->answers[0].name, kName);
  EXPECT_EQ(std::get<Cname>(message->answers[0].rdata).target, "foo.example.com");
}

TEST(DnsMessage, OddLabelBytes_AreEscaped) {
  Bytes wire = build_response(1, kRcodeNoError, "a.b", kTypeTxt, {});
  wire[13] = '.';  // the question label "a" becomes "." : must not read as two labels
  auto message = parse_message(wire);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->questions[0].name, "\\046.b");
}

TEST(DnsMessage, TtlWithTopBitSet_ReadsAsZero) {
  const Bytes wire =
      build_response(1, kRcodeNoError, kName, kTypeTxt,
                     {{std::string(kName), kTypeTxt, 0x80000001u, txt_rdata({"x"})}});
  EXPECT_EQ(interpret(wire, kName, kTypeTxt).meta.ttl, 0u);
}

// Hostile and truncated messages: each must be refused cleanly, never read out of bounds
// (the asan preset checks the latter).
TEST(DnsMessage, HostileMessages_AreRejected) {
  const Bytes good =
      build_response(1, kRcodeNoError, kName, kTypeTxt,
                     {{std::string(kName), kTypeTxt, 300, txt_rdata({"v=STSv1; id=1"})}});
  ASSERT_TRUE(parse_message(good));
  const std::size_t answer_start = 12 + encode_name(kName).size() + 4;
  const std::size_t rdlength_at = answer_start + encode_name(kName).size() + 8;

  std::vector<std::pair<std::string, Bytes>> cases;
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    cases.emplace_back("truncated at " + std::to_string(cut),
                       Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)));
  }
  Bytes more_answers = good;
  more_answers[7] = 5;
  cases.emplace_back("ancount larger than present", more_answers);
  Bytes long_rdata = good;
  long_rdata[rdlength_at + 1] = 200;
  cases.emplace_back("rdlength past the end", long_rdata);
  Bytes txt_overrun = good;
  txt_overrun[rdlength_at + 2] = 100;  // first TXT string claims 100 octets
  cases.emplace_back("TXT string past its rdata", txt_overrun);
  Bytes self_pointer = good;
  self_pointer[answer_start] = 0xC0;
  self_pointer[answer_start + 1] = static_cast<std::uint8_t>(answer_start);
  cases.emplace_back("pointer to itself", self_pointer);
  Bytes forward_pointer = good;
  forward_pointer[12] = 0xC0;
  forward_pointer[13] = 40;
  cases.emplace_back("forward pointer", forward_pointer);
  Bytes reserved = good;
  reserved[12] = 0x40;
  cases.emplace_back("reserved label type", reserved);

  // A label, then a pointer back to that label: backwards, yet a loop.
  Bytes loop = build_response(1, 0, "a", kTypeTxt, {});
  loop.resize(12);
  loop.insert(loop.end(), {1, 'a', 0xC0, 12, 0, 16, 0, 1});
  cases.emplace_back("pointer loop", loop);

  Bytes long_name = build_response(1, 0, "x", kTypeTxt, {});
  long_name.resize(12);
  for (int i = 0; i < 5; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  long_name.push_back(0);
  long_name.insert(long_name.end(), {0, 16, 0, 1});
  cases.emplace_back("name over 255 octets", long_name);

  Bytes short_a = build_response(1, 0, "a", kTypeA, {{"a", kTypeA, 60, Bytes{1, 2, 3}}});
  cases.emplace_back("A of 3 octets", short_a);
  Bytes soa_short = build_response(1, 0, "a", kTypeTxt, {}, {{"a", kTypeSoa, 60, Bytes{0, 0}}});
  cases.emplace_back("SOA without its numbers", soa_short);
  Bytes cname_trailing =
      build_response(1, 0, "a", kTypeTxt, {{"a", kTypeCname, 60, Bytes{1, 'b', 0, 'x'}}});
  cases.emplace_back("CNAME with trailing bytes", cname_trailing);

  for (const auto& [what, wire] : cases) {
    auto message = parse_message(wire);
    EXPECT_FALSE(message) << what;
    if (!message) {
      EXPECT_EQ(message.error().code, core::Errc::invalid_syntax) << what;
    }
  }
}

}  // namespace
}  // namespace mtasts::net::dns

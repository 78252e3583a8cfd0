// The response side of core/dns_update.hpp: malformed answers, TSIG errors and the RCODE
// messages. Golden answers of an independent implementation are in dns_update_test.cpp.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mtasts/core/dns_update/dns_update.hpp"

namespace mtasts::core {
namespace {

constexpr std::uint16_t kId = 0x4242;
constexpr std::string_view kZone = "sts.provider.test";
constexpr std::string_view kKey = "mtasts-key";

DnsBytes header(std::uint16_t flags, std::uint16_t qd, std::uint16_t an, std::uint16_t ns,
                std::uint16_t ar, std::uint16_t id = kId) {
  DnsBytes out;
  for (const std::uint16_t v : {id, flags, qd, an, ns, ar}) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v & 0xff));
  }
  return out;
}

void append(DnsBytes& out, std::initializer_list<int> octets) {
  for (const int o : octets) {
    out.push_back(static_cast<std::uint8_t>(o));
  }
}

// A response with the zone section echoed, as servers send it.
DnsBytes answer(DnsRcode rcode) {
  DnsBytes out = header(static_cast<std::uint16_t>(0xa800 | static_cast<int>(rcode)), 1, 0, 0, 0);
  const DnsBytes zone = *encode_dns_name(kZone);
  out.insert(out.end(), zone.begin(), zone.end());
  append(out, {0, 6, 0, 1});
  return out;
}

TsigParameters tsig(std::uint64_t time = 1700000000, std::uint16_t error = 0, DnsBytes other = {}) {
  return {std::string(kKey), TsigAlgorithm::hmac_sha256, time, 300, error, std::move(other)};
}

DnsUpdateResponse parsed(const DnsBytes& wire) {
  auto response = parse_update_response(wire);
  EXPECT_TRUE(response) << response.error().message;
  return response.value_or(DnsUpdateResponse{});
}

std::string mac_check_error(const DnsBytes& wire) {
  const auto check =
      response_mac_check(wire, parsed(wire), kKey, TsigAlgorithm::hmac_sha256, DnsBytes(32, 7));
  return check ? "" : check.error().message;
}

TEST(ParseUpdateResponse, Malformed_IsInvalidSyntaxNeverACrash) {
  const DnsBytes good = *append_tsig(answer(DnsRcode::noerror), tsig(), DnsBytes(32, 1));
  std::vector<std::pair<std::string, DnsBytes>> cases = {
      {"empty", {}},
      {"short header", DnsBytes(11)},
      {"question missing", header(0xa800, 1, 0, 0, 0)},
      {"record missing", header(0xa800, 0, 1, 0, 0)},
      {"truncated", DnsBytes(good.begin(), good.end() - 1)},
      {"trailing octet",
       [&] {
         DnsBytes m = good;
         m.push_back(0);
         return m;
       }()},
  };
  DnsBytes self_pointer = header(0xa800, 1, 0, 0, 0);
  append(self_pointer, {0xc0, 12, 0, 6, 0, 1});
  cases.emplace_back("pointer to itself", self_pointer);
  DnsBytes forward = header(0xa800, 1, 0, 0, 0);
  append(forward, {0xc0, 14, 0, 0, 6, 0, 1});
  cases.emplace_back("forward pointer", forward);
  DnsBytes loop = header(0xa800, 2, 0, 0, 0);
  append(loop, {1, 'a', 0, 0, 6, 0, 1, 1, 'b', 0xc0, 19, 0, 6, 0, 1});
  cases.emplace_back("pointer into its own name", loop);
  DnsBytes extended = header(0xa800, 1, 0, 0, 0);
  append(extended, {0x41, 0, 0, 6, 0, 1});
  cases.emplace_back("extended label type", extended);
  DnsBytes long_name = header(0xa800, 1, 0, 0, 0);
  for (int i = 0; i < 5; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'a');
  }
  append(long_name, {0, 0, 6, 0, 1});
  cases.emplace_back("name over 255 octets", long_name);
  // A TSIG RR followed by another additional record.
  DnsBytes not_last = good;
  not_last[11] = 2;
  append(not_last, {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0});
  cases.emplace_back("tsig not last", not_last);
  // TSIG in class IN.
  DnsBytes in_class = good;
  const std::size_t tsig_at = answer(DnsRcode::noerror).size();
  in_class[tsig_at + 15] = 1;  // "mtasts-key" is 12 octets, then type (2), class (2)
  cases.emplace_back("tsig class IN", in_class);
  // RDLENGTH one too long for the TSIG fields (and one octet of padding to keep it in bounds).
  DnsBytes padded = good;
  padded[tsig_at + 12 + 8 + 1] = static_cast<std::uint8_t>(padded[tsig_at + 12 + 8 + 1] + 1);
  padded.push_back(0);
  cases.emplace_back("tsig rdlength mismatch", padded);

  for (const auto& [name, wire] : cases) {
    const auto response = parse_update_response(wire);
    ASSERT_FALSE(response) << name;
    EXPECT_EQ(response.error().code, Errc::invalid_syntax) << name;
    EXPECT_NE(response.error().message.find("malformed DNS answer"), std::string::npos) << name;
  }
  EXPECT_TRUE(parse_update_response(good));
}

TEST(ParseUpdateResponse, CompressedNamesAndCaseAreCanonicalised) {
  DnsBytes wire = header(0xa800, 1, 0, 0, 0);
  append(wire, {3, 'S', 'T', 'S', 4, 't', 'e', 's', 't', 0, 0, 6, 0, 1});
  TsigParameters params = tsig();
  params.key_name = "sts.test";
  const DnsBytes full = *append_tsig(wire, params, DnsBytes(32, 1));
  // The TSIG owner as a pointer to the zone name, which is written in upper case.
  DnsBytes compressed = wire;
  compressed[11] = 1;
  append(compressed, {0xc0, 12});
  compressed.insert(compressed.end(), full.begin() + static_cast<std::ptrdiff_t>(wire.size() + 10),
                    full.end());
  const auto response = parse_update_response(compressed);
  ASSERT_TRUE(response) << response.error().message;
  ASSERT_TRUE(response->tsig);
  EXPECT_EQ(response->tsig->key_name, *encode_dns_name("sts.test"));
  EXPECT_EQ(response->tsig->algorithm, *encode_dns_name("hmac-sha256"));
  EXPECT_EQ(response->tsig->original_id, kId);
  EXPECT_EQ(response->tsig->mac, DnsBytes(32, 1));
  EXPECT_EQ(response->tsig->offset, 12u + 14u);
}

TEST(ResponseMacCheck, ErrorsNameTheCause) {
  EXPECT_NE(mac_check_error(answer(DnsRcode::refused)).find("(REFUSED) is not signed"),
            std::string::npos);
  const auto unsigned_tsig = [](std::uint16_t error, DnsBytes other = {}) {
    return *append_tsig(answer(DnsRcode::notauth), tsig(1700000000, error, std::move(other)),
                        DnsBytes{});
  };
  EXPECT_NE(mac_check_error(unsigned_tsig(kTsigBadSig)).find("BADSIG"), std::string::npos);
  EXPECT_NE(mac_check_error(unsigned_tsig(kTsigBadSig)).find("'mtasts-key'"), std::string::npos);
  EXPECT_NE(mac_check_error(unsigned_tsig(kTsigBadKey))
                .find("does not know key 'mtasts-key' or does not allow it for this zone"),
            std::string::npos);
  EXPECT_NE(mac_check_error(unsigned_tsig(kTsigBadTrunc)).find("BADTRUNC"), std::string::npos);
  // BADTIME carries the server's clock in Other Data (RFC 8945 §5.2.3).
  const std::string badtime =
      mac_check_error(unsigned_tsig(kTsigBadTime, {0, 0, 0x65, 0x53, 0xf1, 0x64}));
  EXPECT_NE(badtime.find("BADTIME"), std::string::npos);
  EXPECT_NE(badtime.find("100 s ahead"), std::string::npos) << badtime;
  EXPECT_NE(mac_check_error(unsigned_tsig(99)).find("error 99"), std::string::npos);

  TsigParameters other_key = tsig();
  other_key.key_name = "someone-else";
  EXPECT_NE(mac_check_error(*append_tsig(answer(DnsRcode::noerror), other_key, DnsBytes(32)))
                .find("signed with key 'someone-else'"),
            std::string::npos);
  TsigParameters other_algorithm = tsig();
  other_algorithm.algorithm = TsigAlgorithm::hmac_sha512;
  EXPECT_NE(mac_check_error(*append_tsig(answer(DnsRcode::noerror), other_algorithm, DnsBytes(64)))
                .find("hmac-sha512"),
            std::string::npos);
  EXPECT_NE(mac_check_error(*append_tsig(answer(DnsRcode::noerror), tsig(), DnsBytes(16)))
                .find("truncated MACs are not accepted"),
            std::string::npos);
  EXPECT_EQ(mac_check_error(*append_tsig(answer(DnsRcode::noerror), tsig(), DnsBytes(32))), "");
}

TEST(ResponseMacCheck, InputRestoresOriginalIdAndArcount) {
  DnsBytes wire = *append_tsig(answer(DnsRcode::noerror), tsig(), DnsBytes(32, 9));
  wire[0] = 0x99;  // a forwarder may rewrite the ID; the MAC covers the original one
  const auto check =
      response_mac_check(wire, parsed(wire), kKey, TsigAlgorithm::hmac_sha256, DnsBytes(32, 7));
  ASSERT_TRUE(check);
  const auto expected = tsig_response_mac_input(DnsBytes(32, 7), answer(DnsRcode::noerror), tsig());
  ASSERT_TRUE(expected);
  EXPECT_EQ(check->mac_input, *expected);
  EXPECT_EQ(check->mac, DnsBytes(32, 9));
  EXPECT_EQ(check->mac_input[0], 0);
  EXPECT_EQ(check->mac_input[1], 32);
}

TEST(CheckTsigTime, WithinFudgeBothWays) {
  TsigRecord record;
  record.time_signed = 1000;
  record.fudge = 300;
  EXPECT_TRUE(check_tsig_time(record, 1300));
  EXPECT_TRUE(check_tsig_time(record, 700));
  const auto late = check_tsig_time(record, 1301);
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("301 s before"), std::string::npos) << late.error().message;
  const auto early = check_tsig_time(record, 699);
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().message.find("301 s after"), std::string::npos);
}

TEST(UpdateResponseOutcome, EachRcodeHasAnActionableMessage) {
  struct Row {
    DnsRcode rcode;
    std::optional<std::string_view> key;
    std::string_view expected;
  };
  const std::vector<Row> rows = {
      {DnsRcode::formerr, kKey, "could not parse the update of zone 'sts.provider.test' (FORMERR)"},
      {DnsRcode::servfail, kKey, "(SERVFAIL): see its log"},
      {DnsRcode::nxdomain, kKey, "NXDOMAIN to an update without prerequisites"},
      {DnsRcode::notimp, kKey, "does not implement dynamic updates (NOTIMP)"},
      {DnsRcode::refused, kKey,
       "the server refused the update (REFUSED): is key 'mtasts-key' allowed to update zone "
       "'sts.provider.test'?"},
      {DnsRcode::refused, std::nullopt, "are unsigned updates of zone 'sts.provider.test'"},
      {DnsRcode::yxdomain, kKey, "YXDOMAIN"},
      {DnsRcode::yxrrset, kKey, "YXRRSET"},
      {DnsRcode::nxrrset, kKey, "NXRRSET"},
      {DnsRcode::notauth, kKey,
       "not authoritative for zone 'sts.provider.test' or did not authorize the update (NOTAUTH): "
       "check the zone name and the server address, and that key 'mtasts-key' may update the "
       "zone"},
      {DnsRcode::notauth, std::nullopt, "and whether the zone needs a TSIG key"},
      {DnsRcode::notzone, kKey, "outside zone 'sts.provider.test' as the server sees it (NOTZONE)"},
  };
  for (const Row& row : rows) {
    const auto outcome =
        update_response_outcome(parsed(answer(row.rcode)), "sts.provider.test.", row.key);
    ASSERT_FALSE(outcome) << dns_rcode_name(static_cast<std::uint8_t>(row.rcode));
    EXPECT_NE(outcome.error().message.find(row.expected), std::string::npos)
        << outcome.error().message;
  }
  EXPECT_TRUE(update_response_outcome(parsed(answer(DnsRcode::noerror)), kZone, kKey));

  DnsUpdateResponse odd = parsed(answer(DnsRcode::noerror));
  odd.rcode = 12;
  EXPECT_NE(update_response_outcome(odd, kZone, kKey).error().message.find("RCODE 12"),
            std::string::npos);
  odd.rcode = 0;
  odd.opcode = 0;
  EXPECT_NE(update_response_outcome(odd, kZone, kKey).error().message.find("opcode 0"),
            std::string::npos);
  odd.is_response = false;
  EXPECT_NE(update_response_outcome(odd, kZone, kKey).error().message.find("not a response"),
            std::string::npos);
}

}  // namespace
}  // namespace mtasts::core

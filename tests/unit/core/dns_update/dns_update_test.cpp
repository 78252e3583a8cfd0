#include "mtasts/core/dns_update/dns_update.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden.hpp"

namespace mtasts::core {
namespace {

using nlohmann::json;

DnsBytes from_hex(const std::string& hex) {
  DnsBytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

DnsUpdateRequest request_of(const json& row) {
  DnsUpdateRequest request;
  request.id = row.at("id").get<std::uint16_t>();
  request.zone = row.at("zone").get<std::string>();
  for (const json& op : row.at("ops")) {
    if (op.contains("text")) {
      request.operations.push_back(ReplaceTxt{op.at("owner").get<std::string>(),
                                              op.at("ttl").get<std::uint32_t>(),
                                              op.at("text").get<std::string>()});
    } else {
      request.operations.push_back(DeleteTxt{op.at("owner").get<std::string>()});
    }
  }
  return request;
}

TsigParameters params_of(const json& row) {
  TsigParameters params;
  params.key_name = row.at("key").at("name").get<std::string>();
  params.algorithm = *parse_tsig_algorithm(row.at("key").at("algorithm").get<std::string>());
  params.time_signed = row.at("time").get<std::uint64_t>();
  return params;
}

class DnsUpdateGolden : public ::testing::TestWithParam<json> {};

// The rows come from dnspython (tests/testdata/gen_dns_update_golden.py): the same update built
// by an independent implementation, byte for byte.
TEST_P(DnsUpdateGolden, EncodeUpdate_MatchesIndependentImplementation) {
  const json& row = GetParam();
  const auto encoded = encode_update(request_of(row));
  ASSERT_TRUE(encoded) << encoded.error().message;
  EXPECT_EQ(*encoded, from_hex(row.at("unsigned")));
  if (!row.contains("key")) {
    return;
  }
  const auto signed_message = append_tsig(*encoded, params_of(row), from_hex(row.at("mac")));
  ASSERT_TRUE(signed_message) << signed_message.error().message;
  EXPECT_EQ(*signed_message, from_hex(row.at("signed")));
}

TEST_P(DnsUpdateGolden, ParseResponse_ReadsHeaderAndTsig) {
  const json& row = GetParam();
  const DnsBytes wire = from_hex(row.at("response"));
  const auto response = parse_update_response(wire);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->id, row.at("id").get<std::uint16_t>());
  EXPECT_TRUE(response->is_response);
  EXPECT_EQ(response->opcode, kDnsOpcodeUpdate);
  EXPECT_EQ(dns_rcode_name(response->rcode), row.at("rcode").get<std::string>());
  const auto outcome =
      update_response_outcome(*response, row.at("zone").get<std::string>(), std::nullopt);
  EXPECT_EQ(outcome.has_value(), row.at("rcode") == "NOERROR");
  if (!row.contains("key")) {
    EXPECT_FALSE(response->tsig);
    return;
  }
  ASSERT_TRUE(response->tsig);
  const TsigParameters params = params_of(row);
  const auto check = response_mac_check(wire, *response, params.key_name, params.algorithm,
                                        from_hex(row.at("mac")));
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_EQ(check->mac, from_hex(row.at("response_mac")));
  EXPECT_EQ(response->tsig->time_signed, row.at("response_time").get<std::uint64_t>());
  EXPECT_TRUE(check_tsig_time(*response->tsig, row.at("response_time").get<std::uint64_t>()));

  // The MAC input as RFC 8945 §4.3.3 lays it out, rebuilt from the parts.
  const DnsBytes request_mac = from_hex(row.at("mac"));
  DnsBytes stripped(wire.begin(),
                    wire.begin() + static_cast<std::ptrdiff_t>(response->tsig->offset));
  stripped[11] = static_cast<std::uint8_t>(stripped[11] - 1);
  TsigParameters response_params = params;
  response_params.time_signed = response->tsig->time_signed;
  const auto expected = tsig_response_mac_input(request_mac, stripped, response_params);
  ASSERT_TRUE(expected);
  EXPECT_EQ(check->mac_input, *expected);
}

INSTANTIATE_TEST_SUITE_P(Golden, DnsUpdateGolden,
                         ::testing::ValuesIn(testing::load_golden("dns_update.jsonl")),
                         testing::golden_name);

TEST(DnsName, Encode_LowercasesAndAcceptsTrailingDot) {
  const DnsBytes expected = {3, 'a', 'b', 'c', 4, '_', 'm', '-', '1', 0};
  EXPECT_EQ(*encode_dns_name("AbC._m-1"), expected);
  EXPECT_EQ(*encode_dns_name("abc._m-1."), expected);
}

TEST(DnsName, Encode_RejectsWhatDnsOrThisPieceForbids) {
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  // 4 labels of 63 plus their length octets and the root: 257 octets in wire form.
  const std::string long_name = label63 + "." + label63 + "." + label63 + "." + label63;
  // 3 * 64 + 62 + 1 + 1 = 256 > 255; 3 * 64 + 61 + 1 + 1 = 255 is fine.
  const std::string at_limit = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  EXPECT_TRUE(encode_dns_name(label63));
  EXPECT_TRUE(encode_dns_name(at_limit));
  EXPECT_EQ(encode_dns_name(at_limit)->size(), 255u);
  for (const std::string& bad :
       {std::string(), std::string("."), label64 + ".test", long_name, std::string("a..b"),
        std::string(".a"), std::string("a b.test"), std::string("a\\.b"),
        std::string("caf\xc3\xa9.test"), std::string("a.b..")}) {
    const auto encoded = encode_dns_name(bad);
    ASSERT_FALSE(encoded) << bad;
    EXPECT_EQ(encoded.error().code, Errc::invalid_value);
  }
  EXPECT_NE(encode_dns_name(label64).error().message.find("64 octets"), std::string::npos);
}

TEST(DnsName, InZone_ComparesWholeLabels) {
  const DnsBytes zone = *encode_dns_name("sts.provider.test");
  EXPECT_TRUE(dns_name_in_zone(*encode_dns_name("sts.provider.test"), zone));
  EXPECT_TRUE(dns_name_in_zone(*encode_dns_name("a.b.STS.provider.test"), zone));
  EXPECT_FALSE(dns_name_in_zone(*encode_dns_name("xsts.provider.test"), zone));
  EXPECT_FALSE(dns_name_in_zone(*encode_dns_name("provider.test"), zone));
  EXPECT_FALSE(dns_name_in_zone(*encode_dns_name("sts.provider.test.evil"), zone));
}

TEST(DnsName, Text_EscapesOddOctets) {
  EXPECT_EQ(dns_name_text(*encode_dns_name("a.b")), "a.b");
  const DnsBytes odd = {2, 'a', 0x2e, 1, 0xff, 0};
  EXPECT_EQ(dns_name_text(odd), "a\\046.\\255");
  const DnsBytes truncated = {5, 'a', 'b'};
  EXPECT_EQ(dns_name_text(truncated), "");
}

TEST(TsigAlgorithm, ParseAndNames) {
  EXPECT_EQ(*parse_tsig_algorithm("HMAC-SHA256."), TsigAlgorithm::hmac_sha256);
  EXPECT_EQ(*parse_tsig_algorithm("hmac-sha512"), TsigAlgorithm::hmac_sha512);
  EXPECT_EQ(*parse_tsig_algorithm("hmac-sha1"), TsigAlgorithm::hmac_sha1);
  const auto md5 = parse_tsig_algorithm("hmac-md5.sig-alg.reg.int");
  ASSERT_FALSE(md5);
  EXPECT_NE(md5.error().message.find("hmac-sha256"), std::string::npos);
  EXPECT_EQ(tsig_mac_size(TsigAlgorithm::hmac_sha1), 20u);
  EXPECT_EQ(tsig_mac_size(TsigAlgorithm::hmac_sha256), 32u);
  EXPECT_EQ(tsig_mac_size(TsigAlgorithm::hmac_sha512), 64u);
}

TEST(SplitTxt, PiecesOfAtMost255) {
  EXPECT_EQ(split_txt_strings(""), std::vector<std::string>{""});
  EXPECT_EQ(split_txt_strings(std::string(255, 'a')).size(), 1u);
  const auto pieces = split_txt_strings(std::string(255, 'a') + std::string(256, 'b'));
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0], std::string(255, 'a'));
  EXPECT_EQ(pieces[1], std::string(255, 'b'));
  EXPECT_EQ(pieces[2], "b");
}

TEST(EncodeUpdate, RejectsOwnerOutsideZone) {
  for (const std::string owner : {"example.com", "xsts.provider.test", "provider.test"}) {
    const auto encoded =
        encode_update({1, "sts.provider.test", {ReplaceTxt{owner, 300, "v=STSv1; id=1"}}});
    ASSERT_FALSE(encoded) << owner;
    EXPECT_EQ(encoded.error().code, Errc::invalid_value);
    EXPECT_NE(encoded.error().message.find("not inside zone 'sts.provider.test'"),
              std::string::npos)
        << encoded.error().message;
  }
  EXPECT_FALSE(encode_update({1, "sts.provider.test", {DeleteTxt{"other.test"}}}));
}

TEST(EncodeUpdate, RejectsBadInput) {
  EXPECT_FALSE(encode_update({1, "sts.provider.test", {}}));
  EXPECT_FALSE(encode_update({1, "bad..zone", {DeleteTxt{"a.bad..zone"}}}));
  EXPECT_FALSE(encode_update({1, "z.test", {ReplaceTxt{"a.z.test", 0x80000000u, "x"}}}));
  EXPECT_TRUE(encode_update({1, "z.test", {ReplaceTxt{"a.z.test", 0x7fffffffu, "x"}}}));
  const auto huge =
      encode_update({1, "z.test", {ReplaceTxt{"a.z.test", 1, std::string(70000, 'x')}}});
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, Errc::too_large);
  // Many operations, each fitting, together overflowing one message.
  DnsUpdateRequest many{1, "z.test", {}};
  for (int i = 0; i < 300; ++i) {
    many.operations.push_back(ReplaceTxt{"a.z.test", 1, std::string(250, 'x')});
  }
  const auto overflow = encode_update(many);
  ASSERT_FALSE(overflow);
  EXPECT_EQ(overflow.error().code, Errc::too_large);
}

TEST(EncodeUpdate, LongTextBecomesSeveralStringsOfOneRecord) {
  const std::string text(600, 'q');
  const auto encoded = encode_update({7, "z.test", {ReplaceTxt{"a.z.test", 60, text}}});
  ASSERT_TRUE(encoded);
  // The add RR's RDATA closes the message: 255 + 255 + 90 octets, each with its length octet.
  const DnsBytes& m = *encoded;
  ASSERT_GT(m.size(), 603u);
  const std::size_t rdata = m.size() - 603;
  EXPECT_EQ((m[rdata - 2] << 8) | m[rdata - 1], 603);
  EXPECT_EQ(m[rdata], 255);
  EXPECT_EQ(m[rdata + 256], 255);
  EXPECT_EQ(m[rdata + 512], 90);
}

TEST(Tsig, RequestMacInput_IsMessageThenVariables) {
  const DnsBytes message = *encode_update({0x0102, "z.test", {DeleteTxt{"a.z.test"}}});
  TsigParameters params{"K.Test", TsigAlgorithm::hmac_sha256, 0x0000010203040506ull, 300, 0, {}};
  const auto input = tsig_request_mac_input(message, params);
  ASSERT_TRUE(input);
  DnsBytes expected = message;
  const DnsBytes variables = {1,    'k',  4,   't',  'e',  's',  't',  0,  // key name, lowercase
                              0,    255,  0,   0,    0,    0,              // class ANY, TTL 0
                              11,   'h',  'm', 'a',  'c',  '-',  's',  'h',  'a',  '2',
                              '5',  '6',  0,   0x01, 0x02, 0x03, 0x04, 0x05, 0x06,  // time signed
                              0x01, 0x2c,                                           // fudge 300
                              0,    0,    0,   0};  // error, other len
  expected.insert(expected.end(), variables.begin(), variables.end());
  EXPECT_EQ(*input, expected);
  params.key_name = "k.test.";
  EXPECT_EQ(*tsig_request_mac_input(message, params), expected);
}

TEST(Tsig, RejectsBadParameters) {
  const DnsBytes message = *encode_update({1, "z.test", {DeleteTxt{"a.z.test"}}});
  TsigParameters params{"k", TsigAlgorithm::hmac_sha256, kMaxTsigTime + 1, 300, 0, {}};
  EXPECT_FALSE(tsig_request_mac_input(message, params));
  EXPECT_FALSE(append_tsig(message, params, DnsBytes(32)));
  params.time_signed = kMaxTsigTime;
  EXPECT_TRUE(tsig_request_mac_input(message, params));
  params.key_name = "bad key";
  EXPECT_FALSE(tsig_request_mac_input(message, params));
  params.key_name = "k";
  EXPECT_FALSE(tsig_request_mac_input(DnsBytes(11), params));
  EXPECT_FALSE(append_tsig(DnsBytes(11), params, DnsBytes(32)));
}

}  // namespace
}  // namespace mtasts::core

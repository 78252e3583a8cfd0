// TSIG keys from configuration and key files, and the HMAC against independent results.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "mtasts/core/dns_update/dns_update.hpp"
#include "mtasts/net/dns_update/dns_updater.hpp"

namespace mtasts::net {
namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string secret_0_to_31() {
  std::string secret;
  for (int i = 0; i < 32; ++i) {
    secret.push_back(static_cast<char>(i));
  }
  return secret;
}

// `response` parses, and its MAC is the HMAC of its MAC input under secret_0_to_31().
void expect_signed_with_test_secret(const std::vector<std::uint8_t>& response,
                                    std::string_view key_name, core::TsigAlgorithm algorithm,
                                    const std::vector<std::uint8_t>& request_mac) {
  const auto parsed = core::parse_update_response(response);
  ASSERT_TRUE(parsed);
  const auto check = core::response_mac_check(response, *parsed, key_name, algorithm, request_mac);
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_EQ(*tsig_hmac(algorithm, secret_0_to_31(), check->mac_input), check->mac);
}

// RFC 4231 §4.2, test case 1.
TEST(TsigHmac, MatchesRfc4231) {
  const std::string key(20, '\x0b');
  const std::string_view data = "Hi There";
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(data.data()),
                                            data.size());
  EXPECT_EQ(*tsig_hmac(core::TsigAlgorithm::hmac_sha256, key, bytes),
            from_hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  EXPECT_EQ(*tsig_hmac(core::TsigAlgorithm::hmac_sha512, key, bytes),
            from_hex("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                     "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"));
  EXPECT_EQ(tsig_hmac(core::TsigAlgorithm::hmac_sha1, key, bytes)->size(), 20u);
}

// Row "replace-sha256" of tests/testdata/golden/dns_update.jsonl (made by dnspython): the MAC
// of our request MAC input and of our response MAC input is the one dnspython computed.
TEST(TsigHmac, RequestAndResponseMacsMatchDnspython) {
  const auto request = from_hex(
      "2a5c28000001000000020000037374730870726f766964657204746573740000060001076578616d706c6503"
      "636f6d037374730870726f7669646572047465737400001000ff000000000000076578616d706c6503636f6d"
      "037374730870726f7669646572047465737400001000010000012c001c1b763d53545376313b2069643d3230"
      "32343031303154303030303030");
  const auto request_mac =
      from_hex("4605b208efe3afc8a0494b188dee630d6bfead024a6a0b9237aa9d505c29080d");
  const core::TsigParameters params{
      "mtasts-key", core::TsigAlgorithm::hmac_sha256, 1700000000, 300, 0, {}};
  const auto input = core::tsig_request_mac_input(request, params);
  ASSERT_TRUE(input);
  EXPECT_EQ(*tsig_hmac(params.algorithm, secret_0_to_31(), *input), request_mac);

  const auto response = from_hex(
      "2a5ca8000001000000000001037374730870726f7669646572047465737400000600010a6d74617374732d6b"
      "65790000fa00ff00000000003d0b686d61632d7368613235360000006553f101012c00200ef2dac75237a793"
      "ca330fb193ede9765a1c3ed84892d5dbb4c3524586740db82a5c00000000");
  expect_signed_with_test_secret(response, "mtasts-key", core::TsigAlgorithm::hmac_sha256,
                                 request_mac);
}

// Row "replace-long-sha512-refused": a response signed with hmac-sha512 by key "provider.key".
TEST(TsigHmac, Sha512ResponseMatchesDnspython) {
  const auto request_mac = from_hex(
      "6bc38d64ef5dbb29498b8fc2ba2ac8a87c4d0f997f0c6a74faa317b3cabd04e365347bba2f4841f8471d9d0d"
      "d185abead80e5d691a26702cbcc0550ba577ff8f");
  const auto response = from_hex(
      "ffffa8050001000000000001037374730870726f7669646572047465737400000600010870726f7669646572"
      "036b65790000fa00ff00000000005d0b686d61632d7368613531320000006610524f012c0040971c35ecae1e"
      "0bf0986fe652ac407c638dc2733484317717ec13b8da982e1bb8e4b7c77488e3480c8fe7d9143ec83b3403d8"
      "cb7faa6d142bab0f6b6125785cb2ffff00000000");
  expect_signed_with_test_secret(response, "Provider.Key.", core::TsigAlgorithm::hmac_sha512,
                                 request_mac);
}

TEST(ParseTsigKey, DecodesBase64) {
  const auto key =
      parse_tsig_key("k", "HMAC-SHA512", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->name, "k");
  EXPECT_EQ(key->algorithm, "hmac-sha512");
  EXPECT_EQ(key->secret, secret_0_to_31().substr(0, 31));
  EXPECT_EQ(parse_tsig_key("k", "hmac-sha256", "YWJj\n ZA==")->secret, "abcd");
  EXPECT_EQ(parse_tsig_key("k", "hmac-sha256", "YWI=")->secret, "ab");
  for (const std::string_view bad : {"", "YWJ", "YW=j", "YWJj!A==", "===="}) {
    EXPECT_FALSE(parse_tsig_key("k", "hmac-sha256", bad)) << bad;
  }
  EXPECT_FALSE(parse_tsig_key("bad name", "hmac-sha256", "YWJj"));
  EXPECT_FALSE(parse_tsig_key("k", "hmac-md5", "YWJj"));
}

TEST(ParseTsigKeyText, ReadsKnotBindAndOneLineForms) {
  const std::string knot =
      "# hmac-sha256:mtasts-update:YWJjZA==\n"
      "key:\n"
      "  - id: mtasts-update\n"
      "    algorithm: hmac-sha256\n"
      "    secret: YWJjZA==\n";
  const std::string bind =
      "key \"mtasts-update\" {\n"
      "\talgorithm hmac-sha512;\n"
      "\tsecret \"YWJjZA==\";\n"
      "};\n";
  const auto from_knot = parse_tsig_key_text(knot);
  ASSERT_TRUE(from_knot) << from_knot.error().message;
  EXPECT_EQ(from_knot->name, "mtasts-update");
  EXPECT_EQ(from_knot->algorithm, "hmac-sha256");
  EXPECT_EQ(from_knot->secret, "abcd");
  const auto from_bind = parse_tsig_key_text(bind);
  ASSERT_TRUE(from_bind) << from_bind.error().message;
  EXPECT_EQ(from_bind->name, "mtasts-update");
  EXPECT_EQ(from_bind->algorithm, "hmac-sha512");
  EXPECT_EQ(from_bind->secret, "abcd");
  const auto line = parse_tsig_key_text("hmac-sha1:legacy:YWJjZA==\n");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->name, "legacy");
  EXPECT_EQ(line->algorithm, "hmac-sha1");
  EXPECT_EQ(parse_tsig_key_text("plain:YWJjZA==")->algorithm, "hmac-sha256");

  EXPECT_FALSE(parse_tsig_key_text(""));
  EXPECT_FALSE(
      parse_tsig_key_text("key:\n  - id: a\n    secret: YQ==\n  - id: b\n    secret: Yg==\n"));
  EXPECT_FALSE(parse_tsig_key_text("key:\n  - id: a\n"));
  EXPECT_FALSE(parse_tsig_key_text("key \"a\" { algorithm hmac-sha256; secret \"YQ==; };"));
}

TEST(ReadTsigKeyFile, ReadsAndNamesTheFile) {
  const std::string path = ::testing::TempDir() + "/mtasts-tsig-test.key";
  {
    std::ofstream out(path);
    out << "key:\n  - id: k\n    algorithm: hmac-sha256\n    secret: YWJjZA==\n";
  }
  const auto key = read_tsig_key_file(path);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->secret, "abcd");
  std::remove(path.c_str());
  const auto missing = read_tsig_key_file(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(path), std::string::npos);
}

}  // namespace
}  // namespace mtasts::net

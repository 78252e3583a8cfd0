#include "mtasts/net/hosting/certificate_set.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pem_test_util.hpp"

namespace mtasts::net {
namespace {

using testing::leaf_for;
using testing::served;
using testing::TestPki;

TEST(CertificateSet, ValidCertificate_IsServedCaseInsensitively) {
  CertificateSet set;
  auto credential = leaf_for({"mta-sts.example.com"});
  ASSERT_TRUE(set.put(served("MTA-STS.Example.com", credential)));
  EXPECT_TRUE(set.has("mta-sts.example.com"));
  EXPECT_TRUE(set.has("mta-sts.EXAMPLE.com."));
  EXPECT_FALSE(set.has("mta-sts.example.org"));
  EXPECT_EQ(set.size(), 1U);
  set.remove("mta-sts.example.com");
  EXPECT_FALSE(set.has("mta-sts.example.com"));
  EXPECT_EQ(set.size(), 0U);
}

TEST(CertificateSet, BadInput_IsRefusedWithAReason) {
  CertificateSet set;
  auto good = leaf_for({"mta-sts.example.com"});
  auto other = leaf_for({"mta-sts.example.com"});
  const auto cn_only = TestPki::instance().issue({"mta-sts.example.com", {}});
  struct Case {
    const char* what;
    ServedCertificate certificate;
    const char* reason;
  };
  const Case cases[] = {
      {"key of another certificate",
       {"mta-sts.example.com", served("x", good).chain_pem, served("x", other).key_pem},
       "does not match"},
      {"name not in the SAN", served("mta-sts.example.org", good), "not valid for"},
      {"CN only: no fallback", served("mta-sts.example.com", cn_only), "not valid for"},
      {"no certificate",
       {"mta-sts.example.com", "garbage", served("x", good).key_pem},
       "no certificate"},
      {"no key", {"mta-sts.example.com", served("x", good).chain_pem, "garbage"}, "private key"},
      {"invalid name", served("bad name!", good), "invalid name"},
  };
  for (const Case& c : cases) {
    auto result = set.put(c.certificate);
    ASSERT_FALSE(result) << c.what;
    EXPECT_EQ(result.error().code, core::Errc::invalid_value) << c.what;
    EXPECT_NE(result.error().message.find(c.reason), std::string::npos)
        << c.what << ": " << result.error().message;
  }
  EXPECT_EQ(set.size(), 0U);
}

TEST(CertificateSet, ChainWithIntermediates_IsKeptAndAnUnreadableOneRefused) {
  CertificateSet set;
  auto leaf = served("mta-sts.example.com", leaf_for({"mta-sts.example.com"}));
  const std::string intermediate = served("x", leaf_for({"intermediate.test"})).chain_pem;
  ServedCertificate chained = leaf;
  chained.chain_pem += intermediate;
  EXPECT_TRUE(set.put(chained));
  ServedCertificate broken = leaf;
  broken.chain_pem += intermediate.substr(0, 40) + "!!!!" + intermediate.substr(44);
  auto refused = set.put(broken);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("certificate 2"), std::string::npos)
      << refused.error().message;
}

TEST(CertificateSet, Wildcard_CoversOneLabel) {
  CertificateSet set;
  auto wildcard = leaf_for({"*.example.com"});
  EXPECT_TRUE(set.put(served("mta-sts.example.com", wildcard)));
  EXPECT_FALSE(set.put(served("a.mta-sts.example.com", wildcard)));
}

TEST(CertificateSet, MultiSanCertificate_ServesEachNameAndIsParsedOnce) {
  CertificateSet set;
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) {
    names.push_back("mta-sts.d" + std::to_string(i) + ".test");
  }
  auto credential = leaf_for(names);
  for (const std::string& name : names) {
    ASSERT_TRUE(set.put(served(name, credential))) << name;
  }
  EXPECT_EQ(set.size(), names.size());
  EXPECT_FALSE(set.put(served("mta-sts.other.test", credential)));
}

TEST(CertificateSet, AlpnChallenge_NeedsAMakerOrPems) {
  CertificateSet plain;
  EXPECT_FALSE(plain.put_alpn_challenge("mta-sts.example.com", "token.thumbprint"));
  auto challenge = leaf_for({"mta-sts.example.com"});
  std::string seen;
  CertificateSet with_maker(
      [&](std::string_view name,
          std::string_view key_authorization) -> core::Result<std::pair<std::string, std::string>> {
        seen = std::string(name) + " " + std::string(key_authorization);
        auto pems = served(std::string(name), challenge);
        return std::make_pair(pems.chain_pem, pems.key_pem);
      });
  ASSERT_TRUE(with_maker.put_alpn_challenge("mta-sts.example.com", "token.thumbprint"));
  EXPECT_EQ(seen, "mta-sts.example.com token.thumbprint");
  EXPECT_TRUE(with_maker.has_alpn_challenge("mta-sts.example.com"));
  EXPECT_FALSE(with_maker.has("mta-sts.example.com")) << "a challenge is not a served certificate";
  with_maker.remove_alpn_challenge("mta-sts.example.com");
  EXPECT_FALSE(with_maker.has_alpn_challenge("mta-sts.example.com"));
  auto pems = served("mta-sts.example.com", challenge);
  EXPECT_TRUE(
      plain.put_alpn_challenge_certificate("mta-sts.example.com", pems.chain_pem, pems.key_pem));
  EXPECT_FALSE(
      plain.put_alpn_challenge_certificate("mta-sts.example.org", pems.chain_pem, pems.key_pem));
}

TEST(CertificateSet, ConcurrentReadersAndWriters_StayConsistent) {
  CertificateSet set;
  auto a = served("mta-sts.a.test", leaf_for({"mta-sts.a.test"}));
  auto b = served("mta-sts.a.test", leaf_for({"mta-sts.a.test"}));
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::thread reader([&] {
    while (!stop) {
      (void)set.has("mta-sts.a.test");
      ++reads;
    }
  });
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(set.put(i % 2 == 0 ? a : b));
    if (i % 10 == 0) {
      set.remove("mta-sts.a.test");
    }
  }
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_TRUE(set.has("mta-sts.a.test"));
}

}  // namespace
}  // namespace mtasts::net

// The ACME client against an in-process CA (fake_acme_ca.hpp) that verifies every JWS and
// misbehaves on request: accounts, badNonce retries, problem documents with Retry-After,
// orders end to end, refused and stuck challenges, unusable answers, and the crypto helpers.
// The real CA (pebble) is in tests/integration/test_acme.py.

#include "mtasts/net/acme/acme_client.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>

#include "fake_acme_ca.hpp"
#include "fake_resolver.hpp"
#include "test_https_server.hpp"
#include "test_loop.hpp"
#include "test_pki.hpp"

namespace mtasts::net::testing {
namespace {

using namespace std::chrono_literals;

std::string sha256(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

class RecordingPublisher final : public ChallengePublisher {
 public:
  std::vector<PendingChallenge> published, withdrawn;
  bool fail = false;

  boost::asio::awaitable<core::Result<void>> publish(PendingChallenge challenge) override {
    if (fail) {
      co_return core::fail(core::Errc::invalid_value, "store unavailable");
    }
    published.push_back(std::move(challenge));
    co_return core::Result<void>();
  }

  boost::asio::awaitable<void> withdraw(PendingChallenge challenge) override {
    withdrawn.push_back(std::move(challenge));
    co_return;
  }
};

class AcmeClientTest : public ::testing::Test {
 protected:
  void SetUp() override { resolver_.set_address("acme.test", {"127.0.0.1"}); }

  FakeAcmeCa& ca(FakeAcmeScript script = {}) {
    ca_ = std::make_unique<FakeAcmeCa>(io_, std::move(script));
    return *ca_;
  }

  std::unique_ptr<AcmeClient> client(std::chrono::seconds order_timeout = 20s) {
    AcmeOptions options;
    options.directory_url = ca_->directory_url();
    options.ca_file = TestPki::instance().ca_file();
    options.contact = {"mailto:hostmaster@example.test"};
    options.timeout = 5s;
    options.order_timeout = order_timeout;
    auto made = AcmeClient::create(io_.get_executor(), resolver_, options);
    EXPECT_TRUE(made) << made.error().message;
    return std::move(*made);
  }

  AcmeResult<AcmeAccount> account(AcmeClient& c, std::optional<AcmeAccount> known = {}) {
    return run_until_done(io_, c.ensure_account(std::move(known))).value();
  }

  AcmeResult<IssuedCertificate> order(AcmeClient& c, const AcmeAccount& a,
                                      std::vector<std::string> names) {
    return run_until_done(io_, c.order(a, std::move(names), publisher_)).value();
  }

  boost::asio::io_context io_;
  FakeResolver resolver_;
  std::unique_ptr<FakeAcmeCa> ca_;
  RecordingPublisher publisher_;
};

TEST_F(AcmeClientTest, NewAccount_ThenTheKnownOneIsReused) {
  ca();
  auto c = client();
  const auto created = account(*c);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->url, "https://acme.test:" + std::to_string(ca_->port()) + "/acct/1");
  EXPECT_NE(created->key_pem.find("PRIVATE KEY"), std::string::npos);
  const auto reused = account(*c, *created);
  ASSERT_TRUE(reused) << reused.error().message;
  EXPECT_EQ(reused->url, created->url);
  EXPECT_EQ(reused->key_pem, created->key_pem);
  EXPECT_EQ(ca_->log().new_accounts, 1);
  EXPECT_EQ(ca_->log().account_lookups, 1);
  EXPECT_EQ(ca_->log().jws_rejected, 0) << ca_->log().jws_errors.front();
}

TEST_F(AcmeClientTest, ForgottenAccount_IsRegisteredAgainWithItsKey) {
  ca();
  auto c = client();
  const auto created = account(*c);
  ASSERT_TRUE(created);
  ca_->forget_accounts();
  const auto again = account(*c, *created);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->key_pem, created->key_pem);
  EXPECT_EQ(ca_->log().new_accounts, 2);
}

TEST_F(AcmeClientTest, BadNonce_IsRetriedWithAFreshNonce) {
  FakeAcmeScript script;
  script.bad_nonces = 3;
  ca(script);
  auto c = client();
  const auto created = account(*c);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(ca_->log().bad_nonce_answers, 3);
  EXPECT_EQ(ca_->log().jws_rejected, 0);
}

TEST_F(AcmeClientTest, BadNonceForever_EndsInTheProblemAfterAFewTries) {
  FakeAcmeScript script;
  script.always_bad_nonce = true;
  ca(script);
  auto c = client();
  const auto created = account(*c);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, AcmeErrc::problem);
  EXPECT_EQ(created.error().problem_type, "urn:ietf:params:acme:error:badNonce");
  EXPECT_GE(ca_->log().posts, 3);
  EXPECT_LE(ca_->log().posts, 10);
}

TEST_F(AcmeClientTest, RateLimited_CarriesTheProblemTypeAndRetryAfter) {
  FakeAcmeScript script;
  script.new_account_problem =
      R"({"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many new accounts",)"
      R"("status":429,"subproblems":[{"type":"urn:ietf:params:acme:error:rateLimited"}]})";
  script.new_account_retry_after = "120";
  ca(script);
  auto c = client();
  const auto created = account(*c);
  ASSERT_FALSE(created);
  const AcmeError& error = created.error();
  EXPECT_EQ(error.code, AcmeErrc::problem);
  EXPECT_EQ(error.problem_type, "urn:ietf:params:acme:error:rateLimited");
  EXPECT_EQ(error.retry_after, std::chrono::seconds(120));
  EXPECT_EQ(error.http_status, 429U);
  ASSERT_TRUE(error.problem);
  EXPECT_EQ(error.problem->subproblems.size(), 1U);
  EXPECT_NE(error.message.find("too many new accounts"), std::string::npos);
  // It passes on as a core::Result where the ACME details do not matter.
  const core::Result<AcmeAccount> plain = created;
  EXPECT_EQ(plain.error().message, error.message);
}

TEST_F(AcmeClientTest, UnusableDirectory_IsAProtocolError) {
  FakeAcmeScript script;
  script.directory_body = R"({"newNonce": 1})";
  ca(script);
  auto c = client();
  const auto created = account(*c);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, AcmeErrc::protocol);
  EXPECT_NE(created.error().message.find("newNonce"), std::string::npos);
}

TEST_F(AcmeClientTest, NewNonceWithoutReplayNonce_IsAProtocolError) {
  FakeAcmeScript script;
  script.nonce_header = false;
  ca(script);
  auto c = client();
  const auto created = account(*c);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, AcmeErrc::protocol);
}

TEST_F(AcmeClientTest, UnreachableCa_IsATransportErrorAtOnce) {
  ca();
  AcmeOptions options;
  options.directory_url = "https://acme.test:" + std::to_string(unused_port(io_)) + "/dir";
  options.ca_file = TestPki::instance().ca_file();
  options.timeout = 5s;
  auto c = AcmeClient::create(io_.get_executor(), resolver_, options).value();
  const auto started = std::chrono::steady_clock::now();
  const auto created = account(*c);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, AcmeErrc::transport);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s + 5s);
}

TEST_F(AcmeClientTest, Order_IssuesTheChainForAFreshKey) {
  ca();
  auto c = client();
  const auto a = account(*c).value();
  const auto issued = order(*c, a, {"a.example.test", "B.Example.Test", "a.example.test"});
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_NE(issued->chain_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(issued->key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(issued->key_pem, a.key_pem);
  EXPECT_LT(issued->not_before, issued->not_after);
  const auto& log = ca_->log();
  EXPECT_EQ(log.csr_names, (std::vector<std::string>{"a.example.test", "b.example.test"}));
  EXPECT_EQ(log.last_accept, "application/pem-certificate-chain");
  EXPECT_EQ(log.challenge_responses, 2);
  EXPECT_EQ(log.jws_rejected, 0) << log.jws_errors.front();
  // RFC 8555 §8.1: token "." base64url(SHA-256(thumbprint input)), for the CA's own view of
  // the account key.
  ASSERT_EQ(publisher_.published.size(), 2U);
  for (const auto& p : publisher_.published) {
    EXPECT_EQ(p.type, ChallengeType::http01);
    EXPECT_EQ(p.token, log.tokens.at(p.name));
    EXPECT_EQ(p.key_authorization,
              p.token + "." + core::base64url_encode(sha256(ca_->account_thumbprint_input())));
    EXPECT_EQ(acme_key_authorization(a.key_pem, p.token).value(), p.key_authorization);
  }
  EXPECT_EQ(publisher_.withdrawn.size(), 2U);
}

TEST_F(AcmeClientTest, RefusedChallenge_EndsWithItsProblemTypeAndIsWithdrawn) {
  FakeAcmeScript script;
  script.authz = AuthzOutcome::invalid;
  ca(script);
  auto c = client();
  const auto a = account(*c).value();
  const auto issued = order(*c, a, {"a.example.test"});
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error().code, AcmeErrc::invalid);
  EXPECT_EQ(issued.error().problem_type, "urn:ietf:params:acme:error:incorrectResponse");
  EXPECT_NE(issued.error().message.find("a.example.test"), std::string::npos);
  EXPECT_EQ(publisher_.withdrawn.size(), 1U);
}

TEST_F(AcmeClientTest, StuckValidation_EndsAtTheOrderDeadline) {
  FakeAcmeScript script;
  script.authz = AuthzOutcome::pending_forever;
  ca(script);
  auto c = client(3s);
  const auto a = account(*c).value();
  const auto started = std::chrono::steady_clock::now();
  const auto issued = order(*c, a, {"a.example.test"});
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error().code, AcmeErrc::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s + 5s);
  EXPECT_GE(ca_->log().authz_polls, 3);
  EXPECT_EQ(publisher_.withdrawn.size(), 1U);
}

TEST_F(AcmeClientTest, NoChallengeOfTheConfiguredType_IsUnsupported) {
  FakeAcmeScript script;
  script.challenge_types = {"dns-01"};
  ca(script);
  auto c = client();
  const auto a = account(*c).value();
  const auto issued = order(*c, a, {"a.example.test"});
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error().code, AcmeErrc::unsupported);
  EXPECT_NE(issued.error().message.find("dns-01"), std::string::npos);
  EXPECT_TRUE(publisher_.published.empty());
}

TEST_F(AcmeClientTest, CertificateForAnotherKey_IsRefused) {
  FakeAcmeScript script;
  script.wrong_certificate_key = true;
  ca(script);
  auto c = client();
  const auto a = account(*c).value();
  const auto issued = order(*c, a, {"a.example.test"});
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error().code, AcmeErrc::protocol);
}

TEST_F(AcmeClientTest, PublisherFailure_AnswersNoChallenge) {
  ca();
  auto c = client();
  const auto a = account(*c).value();
  publisher_.fail = true;
  const auto issued = order(*c, a, {"a.example.test"});
  ASSERT_FALSE(issued);
  EXPECT_EQ(issued.error().code, AcmeErrc::publisher);
  EXPECT_NE(issued.error().message.find("store unavailable"), std::string::npos);
  EXPECT_EQ(ca_->log().challenge_responses, 0);
}

TEST_F(AcmeClientTest, BadNamesOrKey_AreRefusedBeforeAnyRequest) {
  ca();
  auto c = client();
  const auto a = account(*c).value();
  const int posts = ca_->log().posts;
  EXPECT_EQ(order(*c, a, {}).error().code, AcmeErrc::local);
  EXPECT_EQ(order(*c, a, {"not a name"}).error().code, AcmeErrc::local);
  EXPECT_EQ(order(*c, AcmeAccount{"junk", a.url}, {"a.test"}).error().code, AcmeErrc::local);
  EXPECT_EQ(ca_->log().posts, posts);
}

TEST(AcmeClientCreate, NonHttpsDirectoryOrMissingCaFile_AreRefused) {
  boost::asio::io_context io;
  FakeResolver resolver;
  AcmeOptions options;
  options.directory_url = "http://acme.test/dir";
  EXPECT_FALSE(AcmeClient::create(io.get_executor(), resolver, options));
  options.directory_url = "https://acme.test/dir";
  options.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(AcmeClient::create(io.get_executor(), resolver, options));
}

TEST(AcmeCrypto, TlsAlpnCertificate_FollowsRfc8737) {
  const std::string authorization = "token.thumbprint";
  const auto made = make_tls_alpn_challenge_certificate("mta-sts.example.test", authorization);
  ASSERT_TRUE(made) << made.error().message;
  BIO* bio = BIO_new_mem_buf(made->first.data(), static_cast<int>(made->first.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "mta-sts.example.test", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
                            nullptr),
            1);
  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
  const int index = X509_get_ext_by_OBJ(cert, oid, -1);
  ASN1_OBJECT_free(oid);
  ASSERT_GE(index, 0);
  X509_EXTENSION* extension = X509_get_ext(cert, index);
  EXPECT_EQ(X509_EXTENSION_get_critical(extension), 1);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
  const std::string der(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                        static_cast<std::size_t>(ASN1_STRING_length(value)));
  EXPECT_EQ(der, std::string("\x04\x20", 2) + sha256(authorization));
  EXPECT_EQ(X509_check_issued(cert, cert), X509_V_OK);  // self-signed
  X509_free(cert);
  EXPECT_NE(made->second.find("PRIVATE KEY"), std::string::npos);
  EXPECT_FALSE(make_tls_alpn_challenge_certificate("bad name", authorization));
}

TEST(AcmeCrypto, AccountKey_IsP256AndGivesKeyAuthorizations) {
  const auto key = generate_account_key();
  ASSERT_TRUE(key);
  const auto authorization = acme_key_authorization(*key, "tok");
  ASSERT_TRUE(authorization);
  EXPECT_EQ(authorization->rfind("tok.", 0), 0U);
  EXPECT_EQ(authorization->size(), 4U + 43U);  // base64url of 32 bytes
  EXPECT_FALSE(acme_key_authorization("not a key", "tok"));
}

}  // namespace
}  // namespace mtasts::net::testing

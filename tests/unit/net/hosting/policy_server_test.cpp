// The policy server as a sender and an ACME validator meet it: real TLS clients on loopback.

#include <gtest/gtest.h>

#include <atomic>

#include "fake_resolver.hpp"
#include "mtasts/net/fetch/https_fetcher.hpp"
#include "policy_server_fixture.hpp"
#include "test_loop.hpp"

namespace mtasts::net::testing {
namespace {

TEST_F(PolicyServerTest, Policy_IsServedWithItsHeaders) {
  start();
  for (const int version : {TLS1_2_VERSION, 0}) {
    auto conn = tls("mta-sts.a.test", {"http/1.1"}, version);
    EXPECT_EQ(conn->alpn(), "http/1.1");
    ASSERT_TRUE(conn->send(http_get(kPolicyPath, "mta-sts.a.test")));
    auto reply = conn->read_response();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200U);
    EXPECT_EQ(reply->body, kPolicyBody);
    EXPECT_EQ(reply->headers["content-type"], "text/plain; charset=utf-8");
    EXPECT_EQ(reply->headers["cache-control"], "no-store");
    EXPECT_EQ(reply->headers["content-length"], std::to_string(std::string(kPolicyBody).size()));
    EXPECT_EQ(reply->headers.count("date"), 1U);
    EXPECT_EQ(reply->headers.count("server"), 0U);
    EXPECT_EQ(reply->headers.count("location"), 0U);
  }
  EXPECT_TRUE(eventually([](const PolicyServerStats& s) {
    return s.https.handshakes == 2 && s.https.responses.at(200) == 2;
  }));
}

TEST_F(PolicyServerTest, TheSendersFetcherOfThisProject_TakesThePolicy) {
  start();
  boost::asio::io_context io;
  FakeResolver resolver;
  resolver.set_address("mta-sts.a.test", {"127.0.0.1"});
  FetchOptions options;
  options.ca_file = TestPki::instance().ca_file();
  options.port = https_port_;
  options.timeout = std::chrono::seconds(5);
  auto fetcher = make_https_fetcher(io.get_executor(), resolver, options);
  ASSERT_TRUE(fetcher);
  auto result = run_until_done(io, (*fetcher)->fetch("a.test"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->detail, FetchDetail::ok) << result->message;
  EXPECT_EQ(result->body, kPolicyBody);
}

TEST_F(PolicyServerTest, PolicyHostName_IsCaseInsensitiveInHostAndSni) {
  start();
  auto reply = fetch("MTA-STS.A.Test", http_get(kPolicyPath, "Mta-Sts.A.TEST:443"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200U);
  EXPECT_EQ(reply->body, kPolicyBody);
}

TEST_F(PolicyServerTest, Head_HasTheHeadersOfGetAndNoBody) {
  start();
  auto conn = tls("mta-sts.a.test");
  ASSERT_TRUE(conn->send(http_get(kPolicyPath, "mta-sts.a.test", "HEAD")));
  auto head = conn->read_response(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200U);
  EXPECT_EQ(head->headers["content-length"], std::to_string(std::string(kPolicyBody).size()));
  EXPECT_EQ(head->headers["content-type"], "text/plain; charset=utf-8");
  // Had the server sent a body after the HEAD response, it would precede the next status line.
  ASSERT_TRUE(conn->send(http_get(kPolicyPath, "mta-sts.a.test")));
  auto get = conn->read_response();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200U);
  EXPECT_EQ(get->body, kPolicyBody);
}

TEST_F(PolicyServerTest, OtherResources_AreNotFoundAndNeverRedirected) {
  start();
  struct Case {
    const char* sni;
    std::string request;
  };
  const Case cases[] = {
      {"mta-sts.a.test", http_get("/", "mta-sts.a.test")},
      {"mta-sts.a.test", http_get("/.well-known/mta-sts.txt?x=1", "mta-sts.a.test")},
      {"mta-sts.a.test", http_get("/.well-known/mta-sts.txt/", "mta-sts.a.test")},
      {"mta-sts.a.test", http_get("/.well-known/MTA-STS.txt", "mta-sts.a.test")},
      {"mta-sts.a.test",
       http_get("https://mta-sts.a.test/.well-known/mta-sts.txt", "mta-sts.a.test")},
      {"mta-sts.c.test", http_get(kPolicyPath, "mta-sts.c.test")},  // certificate, no policy
      {"mta-sts.a.test", "GET /.well-known/mta-sts.txt HTTP/1.0\r\n\r\n"},  // no Host
      {"mta-sts.a.test", http_get(kPolicyPath, "a.test")},
      {"mta-sts.a.test", http_get("/.well-known/acme-challenge/x", "mta-sts.a.test")},
  };
  for (const Case& c : cases) {
    auto reply = fetch(c.sni, c.request);
    ASSERT_TRUE(reply) << c.request;
    EXPECT_EQ(reply->status, 404U) << c.request;
    EXPECT_EQ(reply->headers.count("location"), 0U);
  }
}

TEST_F(PolicyServerTest, HostOtherThanSni_IsNotFound) {
  start();
  // Both names are served, each with its own certificate: the policy of the name the client
  // verified is the only one it may get on this connection.
  auto reply = fetch("mta-sts.a.test", http_get(kPolicyPath, "mta-sts.b.test"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404U);
  auto own = fetch("mta-sts.b.test", http_get(kPolicyPath, "mta-sts.b.test"));
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200U);
}

TEST_F(PolicyServerTest, OtherMethodsOnThePolicy_Get405WithAllow) {
  start();
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get"}) {
    auto reply = fetch("mta-sts.a.test", http_get(kPolicyPath, "mta-sts.a.test", method));
    ASSERT_TRUE(reply) << method;
    EXPECT_EQ(reply->status, 405U) << method;
    EXPECT_EQ(reply->headers["allow"], "GET, HEAD") << method;
  }
  auto elsewhere = fetch("mta-sts.a.test", http_get("/other", "mta-sts.a.test", "POST"));
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->status, 404U);
}

TEST_F(PolicyServerTest, NoSni_GetsUnrecognizedNameAlert) {
  start();
  TestConnection conn(https_port_);
  EXPECT_FALSE(conn.start_tls({"", {"http/1.1"}, "", 0}));
  EXPECT_EQ(conn.alert(), SSL_AD_UNRECOGNIZED_NAME);
  EXPECT_TRUE(eventually([](const PolicyServerStats& s) {
    return failures(s, HandshakeFailure::no_sni) == 1 && s.https.handshakes == 0;
  }));
}

TEST_F(PolicyServerTest, UnknownSni_GetsUnrecognizedNameAlertNotACertificate) {
  start();
  for (const int version : {TLS1_2_VERSION, 0}) {
    TestConnection conn(https_port_);
    EXPECT_FALSE(conn.start_tls({"mta-sts.unknown.test", {"http/1.1"}, "", version}));
    EXPECT_EQ(conn.alert(), SSL_AD_UNRECOGNIZED_NAME);
    EXPECT_EQ(conn.peer_certificate(), nullptr);
  }
  EXPECT_TRUE(eventually(
      [](const PolicyServerStats& s) { return failures(s, HandshakeFailure::unknown_name) == 2; }));
}

TEST_F(PolicyServerTest, HotSwap_NewHandshakesGetTheNewCertificateAtOnce) {
  start();
  auto old_conn = tls("mta-sts.a.test");
  const auto old_cert = old_conn->peer_certificate();
  ASSERT_TRUE(old_conn->send(http_get(kPolicyPath, "mta-sts.a.test")));
  ASSERT_TRUE(old_conn->read_response());

  // Handshakes run on another thread while the certificate changes under them.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::thread background([&] {
    while (!stop) {
      TestConnection conn(https_port_);
      (conn.start_tls({"mta-sts.a.test", {}, "mta-sts.a.test", 0}) ? ok : failed)++;
    }
  });
  Credential latest;
  for (int i = 0; i < 5; ++i) {
    latest = leaf_for({"mta-sts.a.test"});
    ASSERT_TRUE(certificates_.put(served("mta-sts.a.test", latest)));
    auto conn = tls("mta-sts.a.test");
    ASSERT_NE(conn->peer_certificate(), nullptr);
    EXPECT_EQ(X509_cmp(conn->peer_certificate().get(), latest.cert.get()), 0) << "swap " << i;
  }
  stop = true;
  background.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_NE(X509_cmp(old_cert.get(), latest.cert.get()), 0);
  // The connection made before keeps its certificate and is still served.
  ASSERT_TRUE(old_conn->send(http_get(kPolicyPath, "mta-sts.a.test")));
  auto reply = old_conn->read_response();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200U);
}

TEST_F(PolicyServerTest, Intermediates_AreSentAfterTheLeaf) {
  auto chained = served("mta-sts.a.test", leaf_for({"mta-sts.a.test"}));
  const auto intermediate = leaf_for({"intermediate.test"});
  chained.chain_pem += cert_pem(intermediate.cert.get());
  ASSERT_TRUE(certificates_.put(chained));
  start();
  auto conn = tls("mta-sts.a.test");
  ASSERT_EQ(conn->peer_chain_length(), 2);
}

TEST_F(PolicyServerTest, RemovedName_GetsTheAlert) {
  start();
  ASSERT_TRUE(fetch("mta-sts.b.test", http_get(kPolicyPath, "mta-sts.b.test")));
  certificates_.remove("mta-sts.b.test");
  TestConnection conn(https_port_);
  EXPECT_FALSE(conn.start_tls({"mta-sts.b.test", {"http/1.1"}, "", 0}));
  EXPECT_EQ(conn.alert(), SSL_AD_UNRECOGNIZED_NAME);
}

TEST_F(PolicyServerTest, AcmeTlsAlpn_GetsTheChallengeCertificateAndNoHttp) {
  // RFC 8737 §3: the challenge certificate, ALPN acme-tls/1, then nothing but the close.
  const Credential challenge = TestPki::instance().self_signed({"", {"mta-sts.a.test"}});
  const auto pems = served("mta-sts.a.test", challenge);
  ASSERT_TRUE(
      certificates_.put_alpn_challenge_certificate("mta-sts.a.test", pems.chain_pem, pems.key_pem));
  start();
  for (const int version : {TLS1_2_VERSION, 0}) {
    TestConnection conn(https_port_);
    ASSERT_TRUE(conn.start_tls({"mta-sts.a.test", {"acme-tls/1"}, "", version}))
        << "alert " << conn.alert();
    EXPECT_EQ(conn.alpn(), "acme-tls/1");
    ASSERT_NE(conn.peer_certificate(), nullptr);
    EXPECT_EQ(X509_cmp(conn.peer_certificate().get(), challenge.cert.get()), 0);
    EXPECT_TRUE(conn.wait_closed()) << "the server closes after the handshake";
  }
  // Without acme-tls/1 the same name still gets its ordinary certificate.
  auto ordinary = tls("mta-sts.a.test");
  EXPECT_NE(X509_cmp(ordinary->peer_certificate().get(), challenge.cert.get()), 0);
  EXPECT_TRUE(eventually([](const PolicyServerStats& s) { return s.https.alpn_challenges == 2; }));
}

TEST_F(PolicyServerTest, AcmeTlsAlpn_WithoutAChallenge_GetsNoApplicationProtocol) {
  start();
  TestConnection conn(https_port_);
  EXPECT_FALSE(conn.start_tls({"mta-sts.b.test", {"acme-tls/1"}, "", 0}));
  EXPECT_EQ(conn.alert(), SSL_AD_NO_APPLICATION_PROTOCOL);
  EXPECT_TRUE(eventually(
      [](const PolicyServerStats& s) { return failures(s, HandshakeFailure::no_challenge) == 1; }));
}

TEST_F(PolicyServerTest, ChallengeOnlyName_IsServedToValidatorsOnly) {
  const Credential challenge = TestPki::instance().self_signed({"", {"mta-sts.new.test"}});
  const auto pems = served("mta-sts.new.test", challenge);
  ASSERT_TRUE(certificates_.put_alpn_challenge_certificate("mta-sts.new.test", pems.chain_pem,
                                                           pems.key_pem));
  start();
  TestConnection validator(https_port_);
  ASSERT_TRUE(validator.start_tls({"mta-sts.new.test", {"acme-tls/1"}, "", 0}));
  EXPECT_EQ(X509_cmp(validator.peer_certificate().get(), challenge.cert.get()), 0);
  for (const std::vector<std::string>& alpn :
       {std::vector<std::string>{"http/1.1"}, std::vector<std::string>{}}) {
    TestConnection browser(https_port_);
    EXPECT_FALSE(browser.start_tls({"mta-sts.new.test", alpn, "", 0}));
    EXPECT_EQ(browser.peer_certificate(), nullptr);
  }
  certificates_.remove_alpn_challenge("mta-sts.new.test");
  TestConnection late(https_port_);
  EXPECT_FALSE(late.start_tls({"mta-sts.new.test", {"acme-tls/1"}, "", 0}));
  EXPECT_EQ(late.alert(), SSL_AD_UNRECOGNIZED_NAME);
}

TEST_F(PolicyServerTest, Port80_AnswersChallengesAndNothingElse) {
  source_.set_token("tok-EN_123", "tok-EN_123.thumbprint");
  start();
  const auto ask = [&](const std::string& request) {
    TestConnection conn(http_port_);
    EXPECT_TRUE(conn.send(request));
    return conn.read_response();
  };
  auto answer = ask(http_get("/.well-known/acme-challenge/tok-EN_123", "mta-sts.a.test"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200U);
  EXPECT_EQ(answer->body, "tok-EN_123.thumbprint");
  EXPECT_EQ(answer->headers["content-type"], "text/plain");
  for (const std::string& request :
       {http_get("/.well-known/acme-challenge/unknown", "mta-sts.a.test"),
        http_get("/.well-known/acme-challenge/tok-EN_123", "x", "POST"),
        http_get("/.well-known/acme-challenge/tok-EN_123/", "x"),
        http_get("/.well-known/acme-challenge/../x", "x"),
        http_get("/.well-known/acme-challenge/", "x"), http_get(kPolicyPath, "mta-sts.a.test"),
        http_get("/", "mta-sts.a.test")}) {
    auto reply = ask(request);
    ASSERT_TRUE(reply) << request;
    EXPECT_EQ(reply->status, 404U) << request;
    EXPECT_EQ(reply->headers.count("location"), 0U) << request;
  }
}

TEST_F(PolicyServerTest, SeveralThreads_ShareThePorts) {
  start({}, 2);
  for (int i = 0; i < 20; ++i) {
    auto reply = fetch("mta-sts.a.test", http_get(kPolicyPath, "mta-sts.a.test"));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200U);
  }
  EXPECT_TRUE(eventually([](const PolicyServerStats& s) { return s.https.handshakes == 20; }));
  const std::string metrics = policy_server_metrics_text(server_->stats());
  EXPECT_NE(metrics.find("mtasts_host_responses_total{listener=\"https\",status=\"200\"} 20"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("mtasts_host_tls_handshakes_total 20"), std::string::npos);
}

TEST_F(PolicyServerTest, Stop_ClosesIdleConnectionsWithinTheDrain) {
  start();
  auto conn = tls("mta-sts.a.test");
  ASSERT_TRUE(conn->send(http_get(kPolicyPath, "mta-sts.a.test")));
  ASSERT_TRUE(conn->read_response());
  const auto begin = std::chrono::steady_clock::now();
  server_->stop(std::chrono::seconds(3));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(3));
  EXPECT_TRUE(conn->wait_closed());
}

}  // namespace
}  // namespace mtasts::net::testing

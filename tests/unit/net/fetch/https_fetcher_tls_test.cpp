// Fault injection against the HTTPS policy fetcher, TLS side: certificate validation (RFC 8461
// §3.3, CONFORMANCE 028, 029, 062, C23), handshake failures, trust store choice, and proxies.

#include <openssl/ssl.h>

#include <cstdlib>
#include <fstream>

#include "fetcher_fixture.hpp"
#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net::testing {
namespace {

using namespace std::chrono_literals;

ServerScript policy_script() {
  ServerScript script;
  script.body = kPolicy;
  return script;
}

struct CertCase {
  const char* what;
  LeafSpec spec;
  bool trusted;
  FetchDetail detail;
};

TEST_F(FetcherTest, Certificates_AreValidatedAsRfc8461Requires) {
  const std::string host = "mta-sts.example.com";
  const CertCase cases[] = {
      {"SAN matches", {host, {host}}, true, FetchDetail::ok},
      {"SAN matches, CN differs",
       {"something.else", {"other.example", host}},
       true,
       FetchDetail::ok},
      {"wildcard left-most label", {"", {"*.example.com"}}, true, FetchDetail::ok},
      {"expired", {host, {host}, -730, -365}, true, FetchDetail::cert_expired},
      {"not yet valid", {host, {host}, 30, 3650}, true, FetchDetail::cert_not_yet_valid},
      {"wrong name",
       {"mta-sts.other.example", {"mta-sts.other.example"}},
       true,
       FetchDetail::cert_name_mismatch},
      {"delegated host only (062)",
       {"", {"mta-sts.provider.example"}},
       true,
       FetchDetail::cert_name_mismatch},
      {"CN only, no SAN (C23)", {host, {}}, true, FetchDetail::cert_name_mismatch},
      {"partial wildcard", {"", {"mta-*.example.com"}}, true, FetchDetail::cert_name_mismatch},
      {"wildcard two levels up", {"", {"*.com"}}, true, FetchDetail::cert_name_mismatch},
      {"wildcard for a sub-zone",
       {"", {"*.sub.example.com"}},
       true,
       FetchDetail::cert_name_mismatch},
      {"untrusted CA", {host, {host}}, false, FetchDetail::cert_untrusted},
  };
  for (const CertCase& c : cases) {
    TestHttpsServer& server = serve(policy_script(), pki().issue(c.spec, c.trusted));
    const FetchResult r = fetch(server.port());
    EXPECT_EQ(r.detail, c.detail) << c.what << ": " << r.message;
    if (c.detail != FetchDetail::ok) {
      EXPECT_EQ(to_result_type(r.detail), ResultType::sts_webpki_invalid) << c.what;
      EXPECT_EQ(server.log().requests, 0) << c.what;  // no request over an invalid channel
      EXPECT_NE(r.exchange.verify_result, 0) << c.what;
    }
    EXPECT_TRUE(r.exchange.certificate.has_value()) << c.what;  // shown even when rejected
  }
}

TEST_F(FetcherTest, SelfSignedCertificate_IsUntrusted) {
  const Credential self = pki().self_signed({"mta-sts.example.com", {"mta-sts.example.com"}});
  const FetchResult r = fetch(serve(policy_script(), self).port());
  EXPECT_EQ(r.detail, FetchDetail::cert_untrusted) << r.message;
}

TEST_F(FetcherTest, AlertDuringHandshake_IsATlsFailure) {
  ServerScript script = policy_script();
  script.alert_in_handshake = true;
  TestHttpsServer& server = serve(script);
  const FetchResult r = fetch(server.port());
  EXPECT_EQ(r.detail, FetchDetail::tls_handshake) << r.message;
  EXPECT_EQ(r.exchange.verify_result, 0);
  EXPECT_EQ(server.log().sni, "mta-sts.example.com");
  EXPECT_EQ(to_result_type(r.detail), ResultType::sts_webpki_invalid);
}

TEST_F(FetcherTest, TlsVersions_12AndLaterOnly) {
  struct Case {
    int max_version;
    FetchDetail detail;
    const char* negotiated;
  };
  for (const Case& c : {Case{TLS1_1_VERSION, FetchDetail::tls_handshake, ""},
                        Case{TLS1_2_VERSION, FetchDetail::ok, "TLSv1.2"},
                        Case{TLS1_3_VERSION, FetchDetail::ok, "TLSv1.3"}}) {
    ServerScript script = policy_script();
    script.max_tls_version = c.max_version;
    const FetchResult r = fetch(serve(script).port());
    EXPECT_EQ(r.detail, c.detail) << c.max_version << ": " << r.message;
    EXPECT_EQ(r.exchange.tls_version, c.negotiated);  // CONFORMANCE 059
  }
}

TEST_F(FetcherTest, SystemStore_DoesNotTrustTheTestCa) {
  ::unsetenv("SSL_CERT_FILE");
  FetchOptions options;
  options.port = serve(policy_script()).port();
  const FetchResult r = fetch_with(options);
  EXPECT_EQ(r.detail, FetchDetail::cert_untrusted) << r.message;
}

TEST_F(FetcherTest, SslCertFileEnvironment_IsHonoured) {
  ::setenv("SSL_CERT_FILE", pki().ca_file().c_str(), 1);
  FetchOptions options;
  options.port = serve(policy_script()).port();
  const FetchResult r = fetch_with(options);
  ::unsetenv("SSL_CERT_FILE");
  EXPECT_EQ(r.detail, FetchDetail::ok) << r.message;
}

TEST_F(FetcherTest, UnusableCaFile_IsAConfigurationError) {
  const std::string empty = pki().ca_file() + ".empty";
  std::ofstream(empty) << "not a certificate\n";
  for (const std::string& path : {std::string("/nonexistent/ca.pem"), empty}) {
    FetchOptions options;
    options.ca_file = path;
    auto fetcher = make_https_fetcher(io_.get_executor(), resolver_, options);
    ASSERT_FALSE(fetcher) << path;
    EXPECT_EQ(fetcher.error().code, Errc::io);
    EXPECT_NE(fetcher.error().message.find(path), std::string::npos);
  }
  std::remove(empty.c_str());
}

TEST_F(FetcherTest, Proxy_TunnelsWithConnect) {
  TestHttpsServer& server = serve(policy_script());
  TestConnectProxy proxy(io_, server.port(), false);
  const FetchResult r = fetch(server.port(), 5s, ProxyConfig{"127.0.0.1", proxy.port(), {}});
  ASSERT_EQ(r.detail, FetchDetail::ok) << r.message;
  EXPECT_EQ(r.body, kPolicy);
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(proxy.requests()[0],
            "CONNECT mta-sts.example.com:" + std::to_string(server.port()) + " HTTP/1.1");
  EXPECT_EQ(r.exchange.proxy, "127.0.0.1:" + std::to_string(proxy.port()));
  EXPECT_EQ(server.log().sni, "mta-sts.example.com");  // TLS is end to end
}

TEST_F(FetcherTest, ProxyRefusal_IsAProxyError) {
  TestHttpsServer& server = serve(policy_script());
  TestConnectProxy proxy(io_, server.port(), true);
  const FetchResult r = fetch(server.port(), 5s, ProxyConfig{"127.0.0.1", proxy.port(), {}});
  EXPECT_EQ(r.detail, FetchDetail::proxy) << r.message;
  EXPECT_EQ(server.log().connections, 0);
}

TEST_F(FetcherTest, NoProxyEntry_GoesDirect) {
  TestHttpsServer& server = serve(policy_script());
  TestConnectProxy proxy(io_, server.port(), true);
  const FetchResult r =
      fetch(server.port(), 5s, ProxyConfig{"127.0.0.1", proxy.port(), {"example.com"}});
  EXPECT_EQ(r.detail, FetchDetail::ok) << r.message;
  EXPECT_TRUE(proxy.requests().empty());
}

}  // namespace
}  // namespace mtasts::net::testing

#include <gtest/gtest.h>

#include <cstdlib>

#include "mtasts/net/dns/ares_resolver.hpp"
#include "mtasts/net/fetch/https_fetcher.hpp"

namespace mtasts::net {
namespace {

TEST(DnsServerOption, HostAndPortForms_Parse) {
  struct Case {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  for (const Case& c :
       {Case{"127.0.0.1", "127.0.0.1", 53}, Case{"127.0.0.1:5353", "127.0.0.1", 5353},
        Case{"[::1]", "::1", 53}, Case{"[::1]:5300", "::1", 5300},
        Case{"2001:db8::53", "2001:db8::53", 53}, Case{"dns.example:853", "dns.example", 853}}) {
    auto server = parse_dns_server(c.text);
    ASSERT_TRUE(server) << c.text;
    EXPECT_EQ(server->host, c.host) << c.text;
    EXPECT_EQ(server->port, c.port) << c.text;
  }
}

TEST(DnsServerOption, MalformedForms_AreRefused) {
  for (const char* text : {"", ":53", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:x", "[::1",
                           "[::1]53", "[]:53", "1.2.3.4:53x"}) {
    auto server = parse_dns_server(text);
    EXPECT_FALSE(server) << text;
    if (!server) {
      EXPECT_EQ(server.error().code, core::Errc::invalid_value);
    }
  }
}

TEST(ProxyOption, HttpUrlsAndBareHosts_Parse) {
  struct Case {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  for (const Case& c : {Case{"http://proxy.example:8080", "proxy.example", 8080},
                        Case{"http://proxy.example:8080/", "proxy.example", 8080},
                        Case{"HTTP://10.0.0.1", "10.0.0.1", 3128},
                        Case{"proxy.example:3129", "proxy.example", 3129},
                        Case{"http://[2001:db8::1]:8080", "2001:db8::1", 8080}}) {
    auto proxy = parse_proxy_url(c.text);
    ASSERT_TRUE(proxy) << c.text;
    EXPECT_EQ(proxy->host, c.host);
    EXPECT_EQ(proxy->port, c.port);
  }
  for (const char* text :
       {"https://proxy.example", "socks5://p:1080", "http://u:p@proxy:8080", "http://proxy/path",
        "http://:8080", "http://proxy:0", "http://::1:3128"}) {
    EXPECT_FALSE(parse_proxy_url(text)) << text;
  }
}

TEST(ProxyOption, NoProxySuffixes_BypassTheProxy) {
  ProxyConfig proxy{"proxy", 3128, {"example.com", ".corp.example", "10.0.0.1"}};
  EXPECT_FALSE(use_proxy_for(proxy, "example.com"));
  EXPECT_FALSE(use_proxy_for(proxy, "mta-sts.example.com"));
  EXPECT_FALSE(use_proxy_for(proxy, "MTA-STS.Corp.Example"));
  EXPECT_TRUE(use_proxy_for(proxy, "mta-sts.notexample.com"));
  EXPECT_TRUE(use_proxy_for(proxy, "mta-sts.example.org"));
  proxy.no_proxy = {"*"};
  EXPECT_FALSE(use_proxy_for(proxy, "mta-sts.example.org"));
}

TEST(ProxyOption, Environment_HttpsProxyAndNoProxy) {
  ::unsetenv("HTTPS_PROXY");
  ::unsetenv("NO_PROXY");
  ::setenv("https_proxy", "http://127.0.0.1:8888", 1);
  ::setenv("no_proxy", " example.com , .test ", 1);
  auto proxy = proxy_from_environment();
  ASSERT_TRUE(proxy);
  ASSERT_TRUE(proxy->has_value());
  EXPECT_EQ((*proxy)->host, "127.0.0.1");
  EXPECT_EQ((*proxy)->port, 8888);
  EXPECT_EQ((*proxy)->no_proxy, (std::vector<std::string>{"example.com", ".test"}));
  ::setenv("https_proxy", "ftp://nope", 1);
  EXPECT_FALSE(proxy_from_environment());
  ::unsetenv("https_proxy");
  ::unsetenv("no_proxy");
  auto none = proxy_from_environment();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST(UserAgent, NamesTheProgramVersionAndPurpose) {
  const std::string_view agent = user_agent();
  EXPECT_TRUE(agent.starts_with("mtasts/"));
  EXPECT_TRUE(agent.ends_with(" (+MTA-STS policy fetcher)"));
}

}  // namespace
}  // namespace mtasts::net

#include "mtasts/net/fetch/discovery.hpp"

#include <gtest/gtest.h>

#include "fake_fetcher.hpp"
#include "fake_resolver.hpp"
#include "test_loop.hpp"

namespace mtasts::net {
namespace {

using testing::FakeFetcher;
using testing::FakeResolver;
using testing::txt_answer;

constexpr char kRecordName[] = "_mta-sts.example.com";
constexpr char kValidPolicy[] =
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.backup.example\r\n"
    "max_age: 604800\r\n";

class DiscoveryTest : public ::testing::Test {
 protected:
  DiscoveryTest() {
    resolver_.txt[kRecordName] = txt_answer({{"v=STSv1; id=20240101"}});
    fetcher_.bodies["example.com"] = kValidPolicy;
  }

  DiscoveryReport discover_domain(std::string destination = "example.com") {
    return *testing::run_until_done(io_, discover(resolver_, fetcher_, std::move(destination)));
  }

  boost::asio::io_context io_;
  FakeResolver resolver_;
  FakeFetcher fetcher_;
};

TEST_F(DiscoveryTest, ValidRecordAndPolicy_IsOk) {
  const DiscoveryReport r = discover_domain();
  EXPECT_EQ(r.detail, FetchDetail::ok) << r.message;
  EXPECT_EQ(r.result(), ResultType::ok);
  ASSERT_NE(r.record(), nullptr);
  EXPECT_EQ(r.record()->id, "20240101");
  ASSERT_NE(r.policy(), nullptr);
  EXPECT_EQ(r.policy()->mode, core::PolicyMode::enforce);
  EXPECT_EQ(r.policy()->mx.size(), 2u);
  EXPECT_EQ(fetcher_.fetched, std::vector<std::string>{"example.com"});
}

TEST_F(DiscoveryTest, ModeNone_IsStillAPolicy) {
  fetcher_.bodies["example.com"] = "version: STSv1\nmode: none\nmax_age: 86400\n";
  const DiscoveryReport r = discover_domain();
  EXPECT_EQ(r.result(), ResultType::ok);
  ASSERT_NE(r.policy(), nullptr);
  EXPECT_EQ(r.policy()->mode, core::PolicyMode::none);
}

TEST_F(DiscoveryTest, Destination_IsNormalisedBeforeTheLookup) {
  const DiscoveryReport r = discover_domain("Example.COM.");
  EXPECT_EQ(r.domain, "example.com");
  EXPECT_EQ(resolver_.asked, std::vector<std::string>{"TXT _mta-sts.example.com"});
  EXPECT_EQ(r.result(), ResultType::ok);
}

TEST_F(DiscoveryTest, CnameDelegatedRecord_StillFetchesFromThePolicyDomain) {
  TxtAnswer delegated = txt_answer({{"v=STSv1; id=7"}});
  delegated.meta.cname_chain = {"_mta-sts.provider.example"};
  resolver_.txt[kRecordName] = delegated;
  const DiscoveryReport r = discover_domain();
  EXPECT_EQ(r.result(), ResultType::ok);
  EXPECT_EQ(fetcher_.fetched, std::vector<std::string>{"example.com"});  // CONFORMANCE 014 T3
}

struct NoPolicyCase {
  const char* what;
  std::vector<core::TxtStrings> records;
  FetchDetail detail;
};

TEST_F(DiscoveryTest, UnusableRecords_MeanNoPolicyAndNoFetch) {
  const NoPolicyCase cases[] = {
      {"no RR", {}, FetchDetail::no_record},
      {"only other TXT", {{"google-site-verification=x"}, {"v=spf1 -all"}}, FetchDetail::no_record},
      {"two STS RRs (C10)", {{"v=STSv1; id=1"}, {"v=STSv1; id=2"}}, FetchDetail::multiple_records},
      {"bad id", {{"v=STSv1; id=bad-id!"}}, FetchDetail::invalid_record},
  };
  for (const NoPolicyCase& c : cases) {
    resolver_.txt[kRecordName] = txt_answer(c.records);
    fetcher_.fetched.clear();
    const DiscoveryReport r = discover_domain();
    EXPECT_EQ(r.detail, c.detail) << c.what << ": " << r.message;
    EXPECT_EQ(r.result(), ResultType::no_policy) << c.what;
    EXPECT_EQ(r.record(), nullptr) << c.what;
    EXPECT_EQ(r.policy(), nullptr) << c.what;
    EXPECT_TRUE(fetcher_.fetched.empty()) << c.what;
  }
}

TEST_F(DiscoveryTest, MultiStringRecord_IsJoinedWithoutSpaces) {
  resolver_.txt[kRecordName] = txt_answer({{"v=STSv1; i", "d=123"}});
  const DiscoveryReport r = discover_domain();
  ASSERT_NE(r.record(), nullptr) << r.message;
  EXPECT_EQ(r.record()->id, "123");
}

TEST_F(DiscoveryTest, DnsFailures_AreToldApart) {
  struct Case {
    DnsStatus status;
    FetchDetail detail;
  };
  for (const Case& c : {Case{DnsStatus::nxdomain, FetchDetail::no_record},
                        Case{DnsStatus::nodata, FetchDetail::no_record},
                        Case{DnsStatus::servfail, FetchDetail::dns_servfail},
                        Case{DnsStatus::timeout, FetchDetail::dns_timeout},
                        Case{DnsStatus::error, FetchDetail::dns_error},
                        Case{DnsStatus::cname_loop, FetchDetail::cname_loop}}) {
    TxtAnswer answer;
    answer.meta.status = c.status;
    resolver_.txt[kRecordName] = answer;
    fetcher_.fetched.clear();
    const DiscoveryReport r = discover_domain();
    EXPECT_EQ(r.detail, c.detail) << dns_status_name(c.status);
    EXPECT_TRUE(fetcher_.fetched.empty());
  }
  EXPECT_EQ(to_result_type(FetchDetail::dns_servfail), ResultType::sts_policy_fetch_error);
}

TEST_F(DiscoveryTest, FetchFailure_KeepsTheRecordAndTheDetail) {
  fetcher_.failures["example.com"] = FetchDetail::cert_name_mismatch;
  const DiscoveryReport r = discover_domain();
  EXPECT_EQ(r.detail, FetchDetail::cert_name_mismatch);
  EXPECT_EQ(r.result(), ResultType::sts_webpki_invalid);
  EXPECT_NE(r.record(), nullptr);
  EXPECT_EQ(r.policy(), nullptr);
  EXPECT_FALSE(r.policy_report.has_value());
}

TEST_F(DiscoveryTest, InvalidPolicyBody_IsPolicyInvalid) {
  fetcher_.bodies["example.com"] = "version: STSv1\nmode: enforce\nmax_age: 86400\n";  // no mx
  const DiscoveryReport r = discover_domain();
  EXPECT_EQ(r.detail, FetchDetail::parse) << r.message;
  EXPECT_EQ(r.result(), ResultType::sts_policy_invalid);
  EXPECT_EQ(r.policy(), nullptr);
  ASSERT_TRUE(r.policy_report.has_value());
  EXPECT_FALSE(r.policy_report->findings.ok());
}

TEST_F(DiscoveryTest, AddressLiteralsAndNonDomains_MakeNoQuery) {
  for (const char* literal : {"[192.0.2.1]", "192.0.2.1", "[IPv6:2001:db8::1]"}) {
    const DiscoveryReport r = discover_domain(literal);
    EXPECT_EQ(r.detail, FetchDetail::address_literal) << literal;
    EXPECT_EQ(r.result(), ResultType::no_policy);
  }
  const DiscoveryReport bad = discover_domain("no spaces.example");
  EXPECT_EQ(bad.detail, FetchDetail::invalid_domain);
  EXPECT_TRUE(resolver_.asked.empty());
}

}  // namespace
}  // namespace mtasts::net

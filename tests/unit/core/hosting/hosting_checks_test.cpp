// The monitor's rules for hosted domains.

#include "mtasts/core/hosting/hosting_checks.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace mtasts::core {
namespace {

using std::chrono::seconds;

constexpr std::int64_t kNow = 1741064767;  // 2025-03-04T05:06:07Z
constexpr std::int64_t kDay = 86400;
const std::string kId = "20250304050607";

const ServiceIdentity kService{"mta-sts.provider.example",
                               {"192.0.2.10", "2001:db8::10"},
                               "sts.provider.example",
                               300,
                               true,
                               {}};

HostedDomain hosted(RecordMode records) {
  return new_hosted_domain("example.com",
                           HostedPolicy{PolicyMode::enforce, {"mx.example.com"}, 604800}, records,
                           HostTime{seconds{kNow}});
}

// Everything in order for a self domain.
HostedObservation healthy() {
  HostedObservation o;
  o.sts_records = std::vector<std::string>{"v=STSv1; id=" + kId};
  o.policy_host_cname_chain = {"mta-sts.provider.example"};
  o.policy_host_addresses = {"192.0.2.10"};
  o.certificate_not_after = kNow + 60 * kDay;
  return o;
}

std::vector<std::string> codes(const std::vector<CheckFinding>& findings) {
  std::vector<std::string> out;
  for (const CheckFinding& f : findings) {
    out.push_back(f.code);
  }
  return out;
}

struct Case {
  std::string name;
  RecordMode records;
  std::function<void(HostedObservation&)> change;
  std::vector<std::string> want;
};

TEST(HostingChecks, HostedFindings_Table_Codes) {
  const auto delegated_ok = [](HostedObservation& o) {
    o.sts_cname_chain = {"example.com.sts.provider.example"};
  };
  const std::vector<Case> cases = {
      {"healthy self", RecordMode::self, [](HostedObservation&) {}, {}},
      {"self record behind a CNAME of the customer's",
       RecordMode::self,
       [](HostedObservation& o) { o.sts_cname_chain = {"sts.customer.example"}; },
       {}},
      {"TXT lookup failed",
       RecordMode::self,
       [](HostedObservation& o) { o.sts_records.reset(); },
       {"sts-record-lookup-failed"}},
      {"no TXT",
       RecordMode::self,
       [](HostedObservation& o) { o.sts_records->clear(); },
       {"hosted-record-missing"}},
      {"only unrelated TXT",
       RecordMode::self,
       [](HostedObservation& o) {
         *o.sts_records = {"v=spf1 -all", "site-verification=x"};
       },
       {"hosted-record-missing"}},
      {"two records",
       RecordMode::self,
       [](HostedObservation& o) { o.sts_records->push_back("v=STSv1; id=1"); },
       {"hosted-record-multiple"}},
      {"record does not parse",
       RecordMode::self,
       [](HostedObservation& o) { *o.sts_records = {"v=STSv1; id=not-valid!"}; },
       {"sts-record-invalid"}},
      {"older id",
       RecordMode::self,
       [](HostedObservation& o) { *o.sts_records = {"v=STSv1; id=20240101000000"}; },
       {"hosted-id-stale"}},
      {"healthy delegated", RecordMode::delegated, delegated_ok, {}},
      {"delegated, chain with trailing dot and capitals",
       RecordMode::delegated,
       [](HostedObservation& o) { o.sts_cname_chain = {"Example.COM.sts.provider.example."}; },
       {}},
      {"delegated, no CNAME",
       RecordMode::delegated,
       [](HostedObservation&) {},
       {"hosted-delegation-broken"}},
      {"delegated, CNAME elsewhere and old id",
       RecordMode::delegated,
       [](HostedObservation& o) {
         o.sts_cname_chain = {"_mta-sts.other.example"};
         *o.sts_records = {"v=STSv1; id=1"};
       },
       {"hosted-delegation-broken", "hosted-id-stale"}},
      {"delegated, our record missing",
       RecordMode::delegated,
       [&delegated_ok](HostedObservation& o) {
         delegated_ok(o);
         o.sts_records->clear();
       },
       {"hosted-record-missing"}},
      {"delegated, lookup failed: chain not judged",
       RecordMode::delegated,
       [](HostedObservation& o) { o.sts_records.reset(); },
       {"sts-record-lookup-failed"}},
      {"policy host lookup failed",
       RecordMode::self,
       [](HostedObservation& o) { o.policy_host_lookup_failed = true; },
       {"hosted-policy-host-elsewhere"}},
      {"policy host does not exist",
       RecordMode::self,
       [](HostedObservation& o) {
         o.policy_host_cname_chain.clear();
         o.policy_host_addresses.clear();
       },
       {"hosted-policy-host-elsewhere"}},
      {"policy host CNAME elsewhere",
       RecordMode::self,
       [](HostedObservation& o) {
         o.policy_host_cname_chain = {"www.example.com"};
         o.policy_host_addresses = {"198.51.100.1"};
       },
       {"hosted-policy-host-elsewhere"}},
      {"policy host by our addresses",
       RecordMode::self,
       [](HostedObservation& o) {
         o.policy_host_cname_chain.clear();
         o.policy_host_addresses = {"192.0.2.10", "2001:DB8:0::10"};
       },
       {}},
      {"policy host with one foreign address",
       RecordMode::self,
       [](HostedObservation& o) {
         o.policy_host_cname_chain.clear();
         o.policy_host_addresses = {"192.0.2.10", "192.0.2.11"};
       },
       {"hosted-policy-host-elsewhere"}},
      {"no certificate",
       RecordMode::self,
       [](HostedObservation& o) { o.certificate_not_after.reset(); },
       {"hosted-cert-missing"}},
      {"certificate expired",
       RecordMode::self,
       [](HostedObservation& o) { o.certificate_not_after = kNow - 1; },
       {"hosted-cert-expired"}},
      {"certificate ends now: still valid",
       RecordMode::self,
       [](HostedObservation& o) { o.certificate_not_after = kNow; },
       {"hosted-cert-expiring"}},
      {"certificate 13 days left",
       RecordMode::self,
       [](HostedObservation& o) { o.certificate_not_after = kNow + 14 * kDay - 1; },
       {"hosted-cert-expiring"}},
      {"certificate 14 days left",
       RecordMode::self,
       [](HostedObservation& o) { o.certificate_not_after = kNow + 14 * kDay; },
       {}},
      {"everything wrong",
       RecordMode::delegated,
       [](HostedObservation& o) {
         o.sts_records->clear();
         o.policy_host_addresses = {"198.51.100.1"};
         o.policy_host_cname_chain.clear();
         o.certificate_not_after.reset();
       },
       {"hosted-delegation-broken", "hosted-record-missing", "hosted-policy-host-elsewhere",
        "hosted-cert-missing"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HostedObservation observed = healthy();
    c.change(observed);
    const std::vector<CheckFinding> got =
        hosted_findings(hosted(c.records), kService, observed, kNow);
    EXPECT_EQ(codes(got), c.want);
    for (const CheckFinding& f : got) {
      const CheckCodeInfo& info = check_code_info(f.id);
      EXPECT_EQ(f.code, info.code);
      EXPECT_EQ(f.severity, info.severity);
      EXPECT_EQ(f.area, info.area);
      EXPECT_FALSE(f.message.empty());
      EXPECT_TRUE(f.subject == "_mta-sts.example.com" || f.subject == "mta-sts.example.com")
          << f.subject;
      if (f.code.starts_with("hosted-")) {
        EXPECT_EQ(f.area, CheckArea::hosting);
      }
    }
  }
}

TEST(HostingChecks, HostedFindings_StaleId_MessageNamesBothIds) {
  HostedObservation observed = healthy();
  *observed.sts_records = {"v=STSv1; id=20240101000000"};
  const auto got = hosted_findings(hosted(RecordMode::self), kService, observed, kNow);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, CheckCode::hosted_id_stale);
  EXPECT_EQ(got[0].severity, CheckSeverity::error);
  EXPECT_EQ(got[0].subject, "_mta-sts.example.com");
  EXPECT_NE(got[0].message.find("20240101000000"), std::string::npos) << got[0].message;
  EXPECT_NE(got[0].message.find(kId), std::string::npos) << got[0].message;
}

TEST(HostingChecks, HostedFindings_Severities_AsCatalogued) {
  struct Want {
    CheckCode code;
    CheckSeverity severity;
  };
  const std::vector<Want> wants = {
      {CheckCode::hosted_record_missing, CheckSeverity::error},
      {CheckCode::hosted_record_multiple, CheckSeverity::error},
      {CheckCode::hosted_id_stale, CheckSeverity::error},
      {CheckCode::hosted_delegation_broken, CheckSeverity::error},
      {CheckCode::hosted_policy_host_elsewhere, CheckSeverity::error},
      {CheckCode::hosted_cert_missing, CheckSeverity::error},
      {CheckCode::hosted_cert_expiring, CheckSeverity::warning},
      {CheckCode::hosted_cert_expired, CheckSeverity::error},
  };
  for (const Want& w : wants) {
    EXPECT_EQ(check_code_info(w.code).severity, w.severity) << check_code_info(w.code).code;
    EXPECT_EQ(check_code_info(w.code).area, CheckArea::hosting);
  }
  EXPECT_EQ(check_area_title(CheckArea::hosting), "hosted domain");
}

TEST(HostingChecks, HostedFindings_Messages_SayWhatToPublish) {
  HostedObservation observed = healthy();
  observed.sts_records->clear();
  observed.policy_host_cname_chain.clear();
  observed.policy_host_addresses.clear();
  const auto got = hosted_findings(hosted(RecordMode::delegated), kService, observed, kNow);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_NE(got[0].message.find("CNAME example.com.sts.provider.example"), std::string::npos)
      << got[0].message;
  EXPECT_NE(got[1].message.find("v=STSv1; id=" + kId), std::string::npos) << got[1].message;
  EXPECT_NE(got[2].message.find("CNAME mta-sts.provider.example"), std::string::npos)
      << got[2].message;
}

TEST(HostingChecks, HostedFindings_Removing_ChecksUntilServeUntilThenNothing) {
  const HostedDomain removed =
      *begin_hosted_removal(hosted(RecordMode::self), HostTime{seconds{kNow}});
  HostedObservation observed = healthy();  // still the old id
  const auto during = hosted_findings(removed, kService, observed, kNow + 10);
  EXPECT_EQ(codes(during), std::vector<std::string>{"hosted-id-stale"});
  const HostedObservation broken;  // nothing found at all
  EXPECT_TRUE(hosted_findings(removed, kService, broken, kNow + 604800).empty());
}

TEST(HostingChecks, PolicyHostPointsAtService_Table) {
  struct PointCase {
    std::string name;
    ServiceIdentity service;
    std::vector<std::string> chain;
    std::vector<std::string> addresses;
    bool want;
  };
  const ServiceIdentity name_only{"mta-sts.provider.example", {}, "", 300, true, {}};
  const ServiceIdentity addresses_only{"", {"192.0.2.10", "2001:db8::10"}, "", 300, true, {}};
  const std::vector<PointCase> cases = {
      {"CNAME to the host name", kService, {"mta-sts.provider.example"}, {"203.0.113.9"}, true},
      {"host name mid-chain", name_only, {"mta-sts.provider.example.", "lb.cdn.example"}, {}, true},
      {"host name in capitals", name_only, {"MTA-STS.Provider.Example"}, {}, true},
      {"CNAME elsewhere", name_only, {"mta-sts.other.example"}, {"192.0.2.10"}, false},
      {"nothing", kService, {}, {}, false},
      {"our IPv4", addresses_only, {}, {"192.0.2.10"}, true},
      {"our IPv6 in another spelling", addresses_only, {}, {"2001:0DB8:0000::0010"}, true},
      {"our IPv6 with an IPv4 tail",
       ServiceIdentity{"", {"::ffff:192.0.2.10"}, "", 300, true, {}},
       {},
       {"::ffff:c000:20a"},
       true},
      {"both ours", addresses_only, {}, {"192.0.2.10", "2001:db8::10"}, true},
      {"one foreign", addresses_only, {}, {"192.0.2.10", "2001:db8::11"}, false},
      {"another IPv4 that starts alike", addresses_only, {}, {"192.0.2.100"}, false},
      {"not an address, no host name", addresses_only, {"mta-sts.provider.example"}, {}, false},
      {"service without addresses", name_only, {}, {"192.0.2.10"}, false},
      {"malformed address", addresses_only, {}, {"2001:db8:::10"}, false},
  };
  for (const PointCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(policy_host_points_at_service(c.service, c.chain, c.addresses), c.want);
  }
}

}  // namespace
}  // namespace mtasts::core

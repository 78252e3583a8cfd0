// The classification of DNS statuses (net/dns/dns_resolver.hpp) every caller shares.

#include "mtasts/net/dns/dns_resolver.hpp"

#include <gtest/gtest.h>

#include <utility>

namespace mtasts::net {
namespace {

TEST(DnsClass, EveryStatus_HasOneClass) {
  const std::pair<DnsStatus, DnsClass> table[] = {
      {DnsStatus::ok, DnsClass::found},           {DnsStatus::nxdomain, DnsClass::none},
      {DnsStatus::nodata, DnsClass::none},        {DnsStatus::cname_loop, DnsClass::broken},
      {DnsStatus::servfail, DnsClass::temporary}, {DnsStatus::timeout, DnsClass::temporary},
      {DnsStatus::error, DnsClass::temporary},
  };
  for (const auto& [status, cls] : table) {
    EXPECT_EQ(dns_class(status), cls) << dns_status_name(status);
    EXPECT_EQ(dns_lookup_failed(status), cls == DnsClass::broken || cls == DnsClass::temporary)
        << dns_status_name(status);
  }
}

}  // namespace
}  // namespace mtasts::net

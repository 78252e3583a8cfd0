#include "host/host_output.hpp"

#include <gtest/gtest.h>

#include "mtasts/hosting/host_admin_http.hpp"

namespace mtasts::app {
namespace {

TEST(HostOutput, ApiErrorText_ReadsTheAdminApisErrorShape) {
  const net::HttpResponse response = hosting::error_response(400, "mx[1]", "not a pattern");
  EXPECT_EQ(api_error_text(400, response.body), "HTTP 400: mx[1]: not a pattern");
  EXPECT_EQ(api_error_text(502, "<html>"), "HTTP 502");
}

TEST(HostOutput, ZoneLines) {
  EXPECT_EQ(zone_line({{"owner", "mta-sts.example.com"},
                       {"type", "CNAME"},
                       {"value", "mta-sts.provider.example"},
                       {"ttl", 300}}),
            "mta-sts.example.com. 300 IN CNAME mta-sts.provider.example.");
  EXPECT_EQ(zone_line({{"owner", "_mta-sts.example.com"},
                       {"type", "TXT"},
                       {"value", "v=STSv1; id=20250101000000"},
                       {"ttl", 300}}),
            "_mta-sts.example.com. 300 IN TXT \"v=STSv1; id=20250101000000\"");
  EXPECT_EQ(zone_line({{"owner", "mta-sts.example.com"},
                       {"type", "AAAA"},
                       {"value", "2001:db8::1"},
                       {"ttl", 60}}),
            "mta-sts.example.com. 60 IN AAAA 2001:db8::1");
}

TEST(HostOutput, DomainText_ListsTheRecordsToPublish) {
  const nlohmann::json domain = {{"domain", "example.com"},
                                 {"state", "active"},
                                 {"id", "1"},
                                 {"mode", "testing"},
                                 {"max_age", 604800},
                                 {"mx", {"mx1.example.com"}},
                                 {"records_mode", "delegated"},
                                 {"records",
                                  {{{"owner", "mta-sts.example.com"},
                                    {"type", "CNAME"},
                                    {"value", "h.example"},
                                    {"ttl", 300},
                                    {"managed_by_service", false}},
                                   {{"owner", "example.com.sts.example"},
                                    {"type", "TXT"},
                                    {"value", "v=STSv1; id=1"},
                                    {"ttl", 300},
                                    {"managed_by_service", true}}}}};
  const std::string text = domain_text(domain, "added");
  EXPECT_NE(text.find("example.com: added"), std::string::npos) << text;
  EXPECT_NE(text.find("Publish these DNS records (zone file lines):\n  mta-sts.example.com. 300 "
                      "IN CNAME h.example.\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Kept current by the service (dynamic update of its zone):\n  "
                      "example.com.sts.example. 300 IN TXT \"v=STSv1; id=1\"\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace mtasts::app

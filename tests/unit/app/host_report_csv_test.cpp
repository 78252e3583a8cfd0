#include "host/host_report_csv.hpp"

#include <gtest/gtest.h>

namespace mtasts::app {
namespace {

TEST(HostReportCsv, Field_QuotedAndGuarded) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\r\nlines"), "\"two\r\nlines\"");
  EXPECT_EQ(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field("+1"), "'+1");
  EXPECT_EQ(csv_field(""), "");
}

TEST(HostReportCsv, Summary_OneLinePerGroupAndResult) {
  const nlohmann::json summary = {
      {"by_day",
       {{{"day", "2026-11-02"},
         {"successful", 70},
         {"failed", 2},
         {"failures", {{"validation-failure", 2}}}}}},
      {"by_reporter",
       {{{"reporter", "Big, Mail"}, {"successful", 70}, {"failed", 0}, {"failures", {}}}}},
      {"by_mx", nlohmann::json::array()}};
  EXPECT_EQ(report_summary_csv(summary),
            "group,key,result,sessions\r\n"
            "day,2026-11-02,success,70\r\n"
            "day,2026-11-02,validation-failure,2\r\n"
            "reporter,\"Big, Mail\",success,70\r\n");
}

TEST(HostReportCsv, Lists_ColumnsInOrder_MissingEmpty) {
  const nlohmann::json list = {{"reports",
                                {{{"id", 7},
                                  {"domain", "a.example"},
                                  {"reporter", "=evil"},
                                  {"report_id", "r1"},
                                  {"start", "2026-11-02T00:00:00Z"},
                                  {"end", "2026-11-02T23:59:59Z"},
                                  {"received_at", "2026-11-03T01:00:00Z"},
                                  {"channel", "mail"},
                                  {"successful", 70},
                                  {"failed", 2}}}}};
  EXPECT_EQ(report_list_csv(list),
            "id,domain,reporter,report_id,start,end,received_at,channel,source,successful,failed"
            "\r\n7,a.example,'=evil,r1,2026-11-02T00:00:00Z,2026-11-02T23:59:59Z,"
            "2026-11-03T01:00:00Z,mail,,70,2\r\n");
  EXPECT_EQ(kept_apart_csv({{"reports", nlohmann::json::array()}}),
            "id,received_at,channel,reason,detail,domain,reporter,report_id,source\r\n");
}

}  // namespace
}  // namespace mtasts::app

#include "mtasts/core/base/prometheus_text.hpp"

#include <gtest/gtest.h>

namespace mtasts::core {
namespace {

TEST(PrometheusText, Family_WritesHelpThenType) {
  std::string out;
  append_metric_family(out, "mtasts_x_total", "counter", "Things counted.");
  EXPECT_EQ(out, "# HELP mtasts_x_total Things counted.\n# TYPE mtasts_x_total counter\n");
}

TEST(PrometheusText, Sample_WithoutLabels_HasNoBraces) {
  std::string out;
  append_metric_sample(out, "mtasts_up", "", 1);
  EXPECT_EQ(out, "mtasts_up 1\n");
}

TEST(PrometheusText, Sample_WithLabels_BracesThem) {
  std::string out;
  append_metric_sample(out, "mtasts_x_total",
                       metric_label("a", "1") + "," + metric_label("b", "two"),
                       18446744073709551615ULL);
  EXPECT_EQ(out, "mtasts_x_total{a=\"1\",b=\"two\"} 18446744073709551615\n");
}

TEST(PrometheusText, Metric_FamilyThenOneUnlabelledSample) {
  std::string out;
  append_metric(out, "mtasts_up", "gauge", "Up.", 1);
  EXPECT_EQ(out, "# HELP mtasts_up Up.\n# TYPE mtasts_up gauge\nmtasts_up 1\n");
}

TEST(PrometheusText, LabelledMetric_OneSamplePerLabelValueInOrder) {
  std::string out;
  append_labelled_metric(out, "mtasts_x_total", "counter", "Xs.", "outcome",
                         {{"sent", 3}, {"fa\"iled", 0}});
  EXPECT_EQ(out,
            "# HELP mtasts_x_total Xs.\n# TYPE mtasts_x_total counter\n"
            "mtasts_x_total{outcome=\"sent\"} 3\nmtasts_x_total{outcome=\"fa\\\"iled\"} 0\n");
}

TEST(PrometheusText, Label_EscapesQuoteBackslashAndNewline) {
  EXPECT_EQ(metric_label("instance", "a\"b\\c\nd"), "instance=\"a\\\"b\\\\c\\nd\"");
  EXPECT_EQ(metric_label("empty", ""), "empty=\"\"");
}

}  // namespace
}  // namespace mtasts::core

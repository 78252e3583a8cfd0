#pragma once

// The Prometheus text exposition format (version 0.0.4), the few pieces every /metrics page of
// mtasts writes: a family's HELP and TYPE lines, one sample line, one escaped label.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace mtasts::core {

// "# HELP name help\n# TYPE name type\n"
void append_metric_family(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help);

// "name value\n", or "name{labels} value\n" when labels (comma-joined metric_label()s) is
// not empty.
void append_metric_sample(std::string& out, std::string_view name, std::string_view labels,
                          std::uint64_t value);

// A family of one sample without labels: append_metric_family() then append_metric_sample().
void append_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, std::uint64_t value);

// One sample of a family split by one label: the label's value and the sample's.
struct LabelledSample {
  std::string_view label_value;
  std::uint64_t value = 0;
};

// A family with one sample per value of `label`, in the order given.
void append_labelled_metric(std::string& out, std::string_view name, std::string_view type,
                            std::string_view help, std::string_view label,
                            std::initializer_list<LabelledSample> samples);

// key="value", with backslash, double quote and line feed escaped as the format requires.
[[nodiscard]] std::string metric_label(std::string_view key, std::string_view value);

}  // namespace mtasts::core

#pragma once

// The Prometheus text exposition format (version 0.0.4), the few pieces every /metrics page of
// mtasts writes: a family's HELP and TYPE lines, one sample line, one escaped label.

#include <cstdint>
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

// key="value", with backslash, double quote and line feed escaped as the format requires.
[[nodiscard]] std::string metric_label(std::string_view key, std::string_view value);

}  // namespace mtasts::core

#include "mtasts/core/base/prometheus_text.hpp"

namespace mtasts::core {

void append_metric_family(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_metric_sample(std::string& out, std::string_view name, std::string_view labels,
                          std::uint64_t value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

void append_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, std::uint64_t value) {
  append_metric_family(out, name, type, help);
  append_metric_sample(out, name, "", value);
}

void append_labelled_metric(std::string& out, std::string_view name, std::string_view type,
                            std::string_view help, std::string_view label,
                            std::initializer_list<LabelledSample> samples) {
  append_metric_family(out, name, type, help);
  for (const LabelledSample& sample : samples) {
    append_metric_sample(out, name, metric_label(label, sample.label_value), sample.value);
  }
}

std::string metric_label(std::string_view key, std::string_view value) {
  std::string out(key);
  out += "=\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace mtasts::core

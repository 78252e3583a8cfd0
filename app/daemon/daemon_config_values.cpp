#include "daemon/daemon_config_values.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "mtasts/core/base/text.hpp"

namespace mtasts::app {
namespace {

constexpr std::string_view kYamlTagPrefix = "tag:yaml.org,2002:";
// Beyond this many seconds a duration is surely a mistake, and milliseconds still fit easily.
constexpr double kMaxSeconds = 1e9;
constexpr std::size_t kMaxOptionText = 64 * 1024;
constexpr int kMaxOptionDepth = 32;

bool is_plain(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return tag == "?" || tag == std::string(kYamlTagPrefix) + "bool" ||
         tag == std::string(kYamlTagPrefix) + "int" || tag == std::string(kYamlTagPrefix) + "float";
}

// yaml-cpp marks plain scalars "?", quoted and block scalars "!"; PyYAML's safe_load refuses
// tags outside the YAML 1.1 core set, and so does mtasts.
bool known_tag(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return tag.empty() || tag == "?" || tag == "!" || tag.starts_with(kYamlTagPrefix);
}

std::string shown(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      break;
  }
  constexpr std::size_t kShown = 60;
  std::string out = known_tag(node) ? "\"" : node.Tag() + " \"";
  const std::string& text = node.Scalar();
  for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += core::hex_byte(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += text.size() > kShown ? "\"..." : "\"";
  return out;
}

}  // namespace

tl::unexpected<core::Error> value_error(const YAML::Node& node, std::string_view path,
                                        std::string what) {
  std::string message = std::string(path) + ": " + std::move(what);
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null() && mark.line >= 0) {
    message += " (line " + std::to_string(mark.line + 1) + ")";
  }
  return core::fail(core::Errc::invalid_value, std::move(message));
}

std::string expected(std::string_view what, const YAML::Node& node) {
  return "expected " + std::string(what) + ", got " + shown(node);
}

core::Result<bool> ConfigReader::boolean(const YAML::Node& node, std::string_view path) {
  if (node.IsScalar() && is_plain(node)) {
    if (const auto value = yaml11_bool(node.Scalar())) {
      return *value;
    }
    if (const auto number = yaml11_int(node.Scalar()); number == 0 || number == 1) {
      return number == 1;
    }
  }
  std::string what = expected("true or false", node);
  if (node.IsScalar() && !is_plain(node) && yaml11_bool(node.Scalar())) {
    // PyYAML reads a quoted "false" as a non-empty string, which the peer takes as true.
    what += " (quoted: write it without quotes)";
  }
  return value_error(node, path, std::move(what));
}

core::Result<std::chrono::milliseconds> ConfigReader::seconds(const YAML::Node& node,
                                                              std::string_view path, Zero zero) {
  const std::string_view what =
      zero == Zero::allowed ? "a number of seconds, 0 or more" : "a positive number of seconds";
  std::optional<double> value;
  if (node.IsScalar() && known_tag(node)) {
    value = yaml11_number(node.Scalar());
  }
  if (!value || !std::isfinite(*value) || *value < 0 || (*value == 0 && zero == Zero::rejected)) {
    return value_error(node, path, expected(what, node));
  }
  if (*value > kMaxSeconds) {
    return value_error(node, path, expected("at most 1000000000 seconds", node));
  }
  auto millis = std::chrono::milliseconds(std::llround(*value * 1000));
  if (*value > 0 && millis.count() == 0) {
    millis = std::chrono::milliseconds(1);
  }
  return millis;
}

core::Result<std::int64_t> ConfigReader::integer(const YAML::Node& node, std::string_view path,
                                                 std::int64_t min, std::int64_t max) {
  std::optional<std::int64_t> value;
  if (node.IsScalar() && known_tag(node)) {
    value = yaml11_int(node.Scalar());
  }
  if (!value || *value < min || *value > max) {
    return value_error(
        node, path,
        expected("an integer from " + std::to_string(min) + " to " + std::to_string(max), node));
  }
  return *value;
}

core::Result<double> ConfigReader::positive_number(const YAML::Node& node, std::string_view path) {
  std::optional<double> value;
  if (node.IsScalar() && known_tag(node)) {
    value = yaml11_number(node.Scalar());
  }
  if (!value || !std::isfinite(*value) || *value <= 0) {
    return value_error(node, path, expected("a positive number", node));
  }
  return *value;
}

core::Result<std::string> ConfigReader::string(const YAML::Node& node, std::string_view path,
                                               Empty empty) {
  if (!node.IsScalar() || !known_tag(node)) {
    return value_error(node, path, expected("a string", node));
  }
  if (empty == Empty::rejected && node.Scalar().empty()) {
    return value_error(node, path, expected("a non-empty string", node));
  }
  if (node.Scalar().find('\0') != std::string::npos) {
    return value_error(node, path, expected("a string without NUL", node));
  }
  return node.Scalar();
}

core::Result<std::vector<std::string>> ConfigReader::string_list(const YAML::Node& node,
                                                                 std::string_view path) {
  if (!node.IsSequence()) {
    auto one = string(node, path, Empty::rejected);
    if (!one) {
      return tl::unexpected(one.error());
    }
    return std::vector<std::string>{std::move(*one)};
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto item = string(node[i], std::string(path) + "[" + std::to_string(i) + "]", Empty::rejected);
    if (!item) {
      return tl::unexpected(item.error());
    }
    out.push_back(std::move(*item));
  }
  return out;
}

core::Result<std::uint32_t> ConfigReader::file_mode(const YAML::Node& node, std::string_view path) {
  constexpr std::int64_t kMaxMode = 07777;
  std::optional<std::int64_t> value;
  if (node.IsScalar() && known_tag(node)) {
    std::string_view text = node.Scalar();
    const bool octal_prefix = text.starts_with("0o") || text.starts_with("0O");
    if (is_plain(node) && !octal_prefix) {
      value = yaml11_int(text);
      const bool octal_digits_only = text.size() >= 3 && text[0] != '0' && octal_value(text);
      if (value && octal_digits_only && *value <= kMaxMode) {
        warn(std::string(path) + ": " + std::string(text) + " is read as a decimal number, as " +
             "the peer reads it (" + octal_text(*value) + " octal); write 0" + std::string(text) +
             " for the octal mode");
      }
    } else {
      // mtasts also takes the octal text the peer cannot (it would pass a string to chmod).
      if (octal_prefix) {
        text.remove_prefix(2);
      }
      const auto digits = octal_value(text);
      if (digits && *digits <= static_cast<std::uint64_t>(kMaxMode)) {
        value = static_cast<std::int64_t>(*digits);
      }
    }
  }
  if (!value || *value < 0 || *value > kMaxMode) {
    return value_error(node, path, expected("a file mode from 0 to 07777, such as 0660", node));
  }
  return static_cast<std::uint32_t>(*value);
}

core::Result<std::uint16_t> ConfigReader::port(const YAML::Node& node, std::string_view path,
                                               PortZero zero) {
  const std::int64_t min = zero == PortZero::allowed ? 0 : 1;
  std::optional<std::int64_t> value;
  if (node.IsScalar() && known_tag(node)) {
    value = yaml11_int(node.Scalar());
  }
  if (!value || *value < min || *value > 65535) {
    return value_error(node, path,
                       expected("a port number from " + std::to_string(min) + " to 65535", node));
  }
  return static_cast<std::uint16_t>(*value);
}

namespace {

bool append_flow(const YAML::Node& node, int depth, std::string& out) {
  if (depth > kMaxOptionDepth || out.size() > kMaxOptionText) {
    return false;
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out += "null";
      return true;
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (is_plain(node) && yaml11_bool(text)) {
        out += *yaml11_bool(text) ? "true" : "false";
      } else if (is_plain(node) && yaml11_int(text)) {
        out += std::to_string(*yaml11_int(text));
      } else {
        out += '"';
        for (const char c : text) {
          const auto byte = static_cast<unsigned char>(c);
          if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
          } else if (byte < 0x20) {
            out += "\\u00";
            out += core::hex_byte(byte);
          } else {
            out += c;
          }
        }
        out += '"';
      }
      return true;
    }
    case YAML::NodeType::Sequence: {
      out += '[';
      bool first = true;
      for (const YAML::Node& item : node) {
        out += first ? "" : ", ";
        first = false;
        if (!append_flow(item, depth + 1, out)) {
          return false;
        }
      }
      out += ']';
      return true;
    }
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (auto it = node.begin(); it != node.end(); ++it) {
        out += first ? "" : ", ";
        first = false;
        if (!append_flow(it->first, depth + 1, out)) {
          return false;
        }
        out += ": ";
        if (!append_flow(it->second, depth + 1, out)) {
          return false;
        }
      }
      out += '}';
      return true;
    }
  }
  return false;
}

}  // namespace

core::Result<std::string> ConfigReader::option_text(const YAML::Node& node, std::string_view path) {
  if (node.IsNull()) {
    return std::string();
  }
  if (node.IsScalar() && is_plain(node)) {
    // The store reads decimal text; PyYAML would have given the peer these as ints.
    if (const auto number = yaml11_int(node.Scalar())) {
      return std::to_string(*number);
    }
  }
  if (node.IsScalar()) {
    return string(node, path, Empty::allowed);
  }
  std::string out;
  if (!append_flow(node, 0, out) || out.size() > kMaxOptionText) {
    return value_error(node, path, "too large or too deeply nested");
  }
  return out;
}

}  // namespace mtasts::app

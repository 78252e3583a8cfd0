#pragma once

// Private to the daemon config loader: YAML 1.1 scalar resolution as PyYAML does it (the peer
// reads its file with yaml.safe_load, yaml-cpp resolves nothing), and a reader that turns
// yaml-cpp nodes into typed values, errors that name the key path, and warnings.
// daemon_config_scalars.cpp has the text functions, daemon_config_mapping.cpp the mappings
// (merge keys, unknown keys), daemon_config_values.cpp the typed reads.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"

namespace mtasts::app {

// PyYAML's implicit bool: yes/no, true/false, on/off in lower, Capitalised or UPPER case.
[[nodiscard]] std::optional<bool> yaml11_bool(std::string_view text);
// PyYAML's implicit int: [-+] then 0b..., 0x..., 0 followed by octal digits, decimal, or
// base 60 (1:30 = 90); `_` anywhere after the prefix is ignored. nullopt when not an int or
// out of the int64 range.
[[nodiscard]] std::optional<std::int64_t> yaml11_int(std::string_view text);
// A number: a yaml11_int, or a decimal float (`_` ignored, optional exponent, `.inf`, `.nan`).
[[nodiscard]] std::optional<double> yaml11_number(std::string_view text);

// One or more octal digits and nothing else (no sign, prefix or `_`); nullopt otherwise.
[[nodiscard]] std::optional<std::uint64_t> octal_value(std::string_view text);
// 0755 for 493: a leading 0, then octal digits.
[[nodiscard]] std::string octal_text(std::int64_t value);

// "a.b" from "a" and "b"; "b" when the parent is empty.
[[nodiscard]] std::string key_path(std::string_view parent, std::string_view key);

// The known entries of one mapping, merge keys (`<<`) applied and duplicates resolved as
// PyYAML does: explicit keys override merged ones, and the last duplicate wins.
using Entries = std::map<std::string, YAML::Node, std::less<>>;

// The node of `key` in `entries`, or nullopt when absent or null (a null value means "not
// given" throughout the loader, except for `host`).
[[nodiscard]] std::optional<YAML::Node> given(const Entries& entries, std::string_view key);

// Whether `key` is present, null or not.
[[nodiscard]] bool present(const Entries& entries, std::string_view key);

enum class Zero { allowed, rejected };
enum class Empty { allowed, rejected };
enum class PortZero { allowed, rejected };

// Reads typed values out of nodes. Each read either returns the value or an Errc::invalid_value
// error "<path>: expected <what>, got <value> (line L)". Warnings collect in the reader.
// Throws only what yaml-cpp throws on a corrupt node graph, which parse_daemon_config catches.
class ConfigReader {
 public:
  // The entries of a mapping (null: none). Keys outside `known` give an "unknown key" warning
  // and are dropped; an empty `known` keeps every key.
  [[nodiscard]] core::Result<Entries> mapping(const YAML::Node& node, std::string_view path,
                                              std::span<const std::string_view> known);

  // true/false, yes/no, on/off as PyYAML reads them, and the integers 0 and 1.
  [[nodiscard]] core::Result<bool> boolean(const YAML::Node& node, std::string_view path);
  // A number of seconds (int or float, finite, at most ~31 years) as milliseconds, rounded;
  // zero allowed or not; a positive value never rounds to zero.
  [[nodiscard]] core::Result<std::chrono::milliseconds> seconds(const YAML::Node& node,
                                                                std::string_view path, Zero zero);
  [[nodiscard]] core::Result<std::int64_t> integer(const YAML::Node& node, std::string_view path,
                                                   std::int64_t min, std::int64_t max);
  // A finite number above zero.
  [[nodiscard]] core::Result<double> positive_number(const YAML::Node& node, std::string_view path);
  // Any scalar's text (PyYAML would give 1 for `1`; the text is what a path or name needs).
  [[nodiscard]] core::Result<std::string> string(const YAML::Node& node, std::string_view path,
                                                 Empty empty);
  // A list of strings; a single scalar is a list of one.
  [[nodiscard]] core::Result<std::vector<std::string>> string_list(const YAML::Node& node,
                                                                   std::string_view path);
  // The UNIX socket mode as the peer reads it: a YAML 1.1 int, so `0666` is octal and `666`
  // decimal (warned about); a quoted string or `0o666` is read as octal. At most 07777.
  [[nodiscard]] core::Result<std::uint32_t> file_mode(const YAML::Node& node,
                                                      std::string_view path);
  // The port of `host`: 0..65535 (0 only when allowed).
  [[nodiscard]] core::Result<std::uint16_t> port(const YAML::Node& node, std::string_view path,
                                                 PortZero zero);
  // A value as text for cache.options: a scalar as written, a list or mapping as flow text
  // (["a", 1]), null as "". Bounded in depth and size.
  [[nodiscard]] core::Result<std::string> option_text(const YAML::Node& node,
                                                      std::string_view path);

  void warn(std::string message) { warnings_.push_back(std::move(message)); }
  [[nodiscard]] std::vector<std::string> take_warnings() { return std::move(warnings_); }

 private:
  std::vector<std::string> warnings_;
};

// An Errc::invalid_value error "<path>: <what> (line L)", the line taken from `node`.
[[nodiscard]] tl::unexpected<core::Error> value_error(const YAML::Node& node, std::string_view path,
                                                      std::string what);

// "expected <what>, got <shown value>".
[[nodiscard]] std::string expected(std::string_view what, const YAML::Node& node);

}  // namespace mtasts::app

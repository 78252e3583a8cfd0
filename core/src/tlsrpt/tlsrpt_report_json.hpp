#pragma once

// The JSON layer of the TLS-RPT report reader: nlohmann's parser with a nesting limit checked
// before parsing and duplicate keys detected while parsing (nlohmann itself keeps the last value
// of a repeated key silently; here the first wins).

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

// The implicit noexcept move only moves a json and a vector, whose moves do not throw;
// clang-tidy cannot see through nlohmann's move constructor.
struct BoundedJson {  // NOLINT(bugprone-exception-escape)
  nlohmann::json value;
  std::vector<std::string> duplicate_key_paths;  // JSON pointers of the later occurrences
};

// Parses `text` as one JSON value. Errors: too_large when it nests deeper than max_depth,
// invalid_syntax when it is not JSON. No exception escapes.
[[nodiscard]] Result<BoundedJson> parse_bounded_json(std::string_view text, std::size_t max_depth);

// "/" + key with "~" and "/" escaped as RFC 6901 §3 says.
[[nodiscard]] std::string json_pointer_segment(std::string_view key);

}  // namespace mtasts::core

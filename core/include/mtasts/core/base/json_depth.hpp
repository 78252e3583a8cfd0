#pragma once

// How deeply a JSON text nests, measured before it is parsed, so untrusted input cannot make a
// parser (or a later walk of its tree) grow with the nesting.

#include <cstddef>
#include <string_view>

namespace mtasts::core {

// The deepest nesting of arrays and objects in `text` (strings skipped), counting up to
// `limit` + 1 at most, so a caller can compare with its limit without scanning further.
[[nodiscard]] std::size_t json_nesting_depth(std::string_view text, std::size_t limit);

}  // namespace mtasts::core

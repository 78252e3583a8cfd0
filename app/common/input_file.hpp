#pragma once

// Reading a command's input file without slurping an oversized one.

#include <cstddef>
#include <optional>
#include <string>

namespace mtasts::app {

// The bytes of `path` ("-": standard input), at most `cap` + 1 of them, so a caller can tell an
// input over its limit from one at it. nullopt when the file cannot be opened.
[[nodiscard]] std::optional<std::string> read_capped_input(const std::string& path,
                                                           std::size_t cap);

}  // namespace mtasts::app

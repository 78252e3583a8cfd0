#pragma once

// Diagnostics produced by the parsers: every problem found in a record or a policy, with a
// stable code, a 1-based line where one applies, and a message a person can act on.
//
// Codes are part of the command-line and JSON interface: never rename or reuse one.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtasts::core {

enum class Severity { error, warning };

struct Finding {
  std::string code;                 // stable, kebab-case, e.g. "policy-mode-missing"
  std::string message;              // what is wrong and what to do about it
  std::optional<std::size_t> line;  // 1-based line of a policy file; none for records
};

// Errors make the input unusable for a conforming sender; warnings do not.
struct Findings {
  std::vector<Finding> errors;
  std::vector<Finding> warnings;

  [[nodiscard]] bool ok() const { return errors.empty(); }
  void error(std::string_view code, std::string message,
             std::optional<std::size_t> line = std::nullopt);
  void warn(std::string_view code, std::string message,
            std::optional<std::size_t> line = std::nullopt);
  // The message of the first error, for callers that want one line.
  [[nodiscard]] std::string first_error() const;
};

}  // namespace mtasts::core

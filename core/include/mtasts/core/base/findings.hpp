#pragma once

// Diagnostics produced by the parsers: every problem found in a record or a policy, with a
// stable code, a 1-based line where one applies, and a message a person can act on.
//
// Every code comes from the catalogue (lint_catalogue.hpp), which also fixes its severity.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/lint_catalogue.hpp"

namespace mtasts::core {

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
  // Adds a finding with the catalogue name of `code` to `errors` or `warnings`, as the
  // catalogue's severity for it says.
  void add(LintCode code, std::string message, std::optional<std::size_t> line = std::nullopt);
  // The message of the first error, for callers that want one line.
  [[nodiscard]] std::string first_error() const;
};

}  // namespace mtasts::core

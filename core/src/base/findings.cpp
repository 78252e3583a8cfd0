#include "mtasts/core/base/findings.hpp"

namespace mtasts::core {

void Findings::error(std::string_view code, std::string message, std::optional<std::size_t> line) {
  errors.push_back(Finding{std::string(code), std::move(message), line});
}

void Findings::warn(std::string_view code, std::string message, std::optional<std::size_t> line) {
  warnings.push_back(Finding{std::string(code), std::move(message), line});
}

std::string Findings::first_error() const {
  if (errors.empty()) {
    return {};
  }
  const Finding& f = errors.front();
  if (f.line) {
    return "line " + std::to_string(*f.line) + ": " + f.message;
  }
  return f.message;
}

}  // namespace mtasts::core

#include "mtasts/core/base/findings.hpp"

namespace mtasts::core {

void Findings::add(LintCode code, std::string message, std::optional<std::size_t> line) {
  const LintCodeInfo& info = lint_code_info(code);
  Finding finding{std::string(info.code), std::move(message), line};
  switch (info.severity) {
    case Severity::error:
      errors.push_back(std::move(finding));
      return;
    case Severity::warning:
      warnings.push_back(std::move(finding));
      return;
  }
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

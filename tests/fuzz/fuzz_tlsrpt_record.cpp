// Fuzz target: the _smtp._tls TLSRPT record parser.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mtasts/core/tlsrpt/tlsrpt_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto report = mtasts::core::lint_tlsrpt_record(text);
  if (report.record.has_value() != report.findings.ok()) {
    std::abort();
  }
  if (report.record && report.record->endpoints.empty()) {
    std::abort();  // a valid record always has somewhere to send reports
  }
  const auto selection = mtasts::core::select_tlsrpt_record({{std::string(text)}});
  (void)selection;
  return 0;
}

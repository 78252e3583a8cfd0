// Fuzz target: the _mta-sts TXT record parser and RR selection.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mtasts/core/sts/sts_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto report = mtasts::core::lint_sts_record(text);
  // Invariants: a record exactly when there are no errors; a valid id is 1-32 alphanumerics.
  if (report.record.has_value() != report.findings.ok()) {
    std::abort();
  }
  if (report.record && (report.record->id.empty() || report.record->id.size() > 32)) {
    std::abort();
  }
  // Split the input into two character-strings at a data-dependent point.
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  const auto selection = mtasts::core::select_sts_record(
      {{std::string(text.substr(0, cut)), std::string(text.substr(cut))}, {std::string(text)}});
  if (selection.choice == mtasts::core::RecordChoice::ok && !selection.report.record) {
    std::abort();
  }
  return 0;
}

// Fuzz target: the TLS-RPT report body decoder (gzip, zip or JSON, with a bomb limit).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mtasts/hosting/report_payload.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  mtasts::hosting::PayloadLimits limits;
  limits.max_output = 256 * 1024;
  const auto payload = mtasts::hosting::decode_report_payload(bytes, limits);
  if (!payload) {
    if (payload.error().message.empty()) {
      std::abort();
    }
    return 0;
  }
  if (payload->json.size() > limits.max_output) {
    std::abort();  // the bomb limit holds for every format
  }
  if (payload->format == mtasts::hosting::PayloadFormat::json && payload->json != bytes) {
    std::abort();
  }
  return 0;
}

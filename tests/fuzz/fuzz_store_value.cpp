// Fuzz target: the stored-policy value decoder of the Redis and memory stores. What it
// accepts is a valid policy whose encoding is the input itself (the format is canonical).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mtasts/store/value_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  const auto decoded = mtasts::store::decode_policy_value("example.com", value);
  if (!decoded) {
    if (decoded.error().code != mtasts::store::Errc::corrupt) {
      std::abort();
    }
    return 0;
  }
  if (!mtasts::store::validate(*decoded) || decoded->domain != "example.com") {
    std::abort();
  }
  if (mtasts::store::encode_policy_value(*decoded) != value) {
    std::abort();
  }
  return 0;
}

#include "mtasts/store/store_error.hpp"

namespace mtasts::store {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_config:
      return "invalid_config";
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::unavailable:
      return "unavailable";
    case Errc::corrupt:
      return "corrupt";
    case Errc::write_failed:
      return "write_failed";
    case Errc::incompatible:
      return "incompatible";
    case Errc::backend_error:
      return "backend_error";
  }
  return "unknown";
}

}  // namespace mtasts::store

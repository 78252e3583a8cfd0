#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_syntax:
      return "invalid_syntax";
    case Errc::invalid_value:
      return "invalid_value";
    case Errc::not_a_host_name:
      return "not_a_host_name";
    case Errc::too_large:
      return "too_large";
    case Errc::no_record:
      return "no_record";
    case Errc::multiple_records:
      return "multiple_records";
  }
  return "unknown";  // unreachable: the switch is exhaustive
}

std::string_view core_code_name(int value) {
  return errc_name(static_cast<Errc>(value));
}

}  // namespace mtasts::core

#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::io:
      return "io";
    case Errc::system:
      return "system";
    case Errc::connect:
      return "connect";
    case Errc::tls:
      return "tls";
    case Errc::protocol:
      return "protocol";
    case Errc::refused:
      return "refused";
    case Errc::timeout:
      return "timeout";
    case Errc::internal:
      return "internal";
  }
  return "unknown";  // unreachable: the switch is exhaustive
}

std::string_view net_code_name(int value) {
  return errc_name(static_cast<Errc>(value));
}

}  // namespace mtasts::net

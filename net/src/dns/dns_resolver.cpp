#include "mtasts/net/dns/dns_resolver.hpp"

namespace mtasts::net {

std::string_view dns_status_name(DnsStatus status) {
  switch (status) {
    case DnsStatus::ok:
      return "ok";
    case DnsStatus::nxdomain:
      return "nxdomain";
    case DnsStatus::nodata:
      return "nodata";
    case DnsStatus::servfail:
      return "servfail";
    case DnsStatus::timeout:
      return "timeout";
    case DnsStatus::cname_loop:
      return "cname-loop";
    case DnsStatus::error:
      return "error";
  }
  return "unknown";  // unreachable: the switch is exhaustive
}

DnsClass dns_class(DnsStatus status) {
  switch (status) {
    case DnsStatus::ok:
      return DnsClass::found;
    case DnsStatus::nxdomain:
    case DnsStatus::nodata:
      return DnsClass::none;
    case DnsStatus::cname_loop:
      return DnsClass::broken;
    case DnsStatus::servfail:
    case DnsStatus::timeout:
    case DnsStatus::error:
      return DnsClass::temporary;
  }
  return DnsClass::temporary;  // unreachable: the switch is exhaustive
}

}  // namespace mtasts::net

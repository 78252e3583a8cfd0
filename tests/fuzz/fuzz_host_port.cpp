// Fuzzes the HOST:PORT reader under every set of rules: no crash, no exception, and every
// accepted input gives a host without brackets or spaces, a port in 1..65535 (or the default),
// and text that format_host_port writes back to the same value. Aborts on a violated invariant.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mtasts/core/base/host_port.hpp"

namespace {

using namespace mtasts::core;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void fuzz_rules(std::string_view text, HostPortRules rules) {
  const auto parsed = parse_host_port(text, rules);
  if (!parsed) {
    check(parsed.error().code == Errc::invalid_value && !parsed.error().message.empty());
    return;
  }
  check(parsed->host.find_first_of("[] \t\r\n") == std::string_view::npos);
  check(!parsed->host.empty() || rules.wildcard == Wildcard::allowed);
  check(parsed->port != 0 || rules.default_port == 0);
  if (parsed->port != 0) {
    const HostPortRules strict{PortRule::required, 0, Wildcard::allowed, BareIpv6::refused};
    const auto again = parse_host_port(format_host_port(parsed->host, parsed->port), strict);
    check(again && *again == *parsed);
  }
  if (rules.port == PortRule::optional) {
    return;
  }
  // What the required rule accepts the optional rule accepts the same way.
  auto optional = rules;
  optional.port = PortRule::optional;
  const auto loose = parse_host_port(text, optional);
  check(loose && *loose == *parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const PortRule port : {PortRule::required, PortRule::optional}) {
    for (const Wildcard wildcard : {Wildcard::refused, Wildcard::allowed}) {
      for (const BareIpv6 bare : {BareIpv6::refused, BareIpv6::allowed}) {
        fuzz_rules(text, HostPortRules{port, 0, wildcard, bare});
        fuzz_rules(text, HostPortRules{port, 53, wildcard, bare});
      }
    }
  }
  return 0;
}

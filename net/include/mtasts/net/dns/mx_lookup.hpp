#pragma once

// A one-shot MX lookup for command-line tools that have no event loop of their own.

#include <string>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/dns/ares_resolver.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"

namespace mtasts::net {

// Looks up the MX records of `domain` on a private event loop and returns the answer, whatever
// its DnsStatus (the caller decides what NXDOMAIN or a timeout means). Errors only when the
// resolver cannot be set up (bad server address, c-ares failure).
[[nodiscard]] core::Result<MxAnswer> lookup_mx(std::string domain, const DnsOptions& options);

}  // namespace mtasts::net

#include "mtasts/hosting/host_settings.hpp"

#include <string>

#include "mtasts/core/base/host_port.hpp"

namespace mtasts::hosting {

std::string endpoint_text(const HostEndpoint& endpoint) {
  return core::format_host_port(endpoint.host, endpoint.port);
}

}  // namespace mtasts::hosting

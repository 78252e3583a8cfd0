#include "mtasts/hosting/host_settings.hpp"

#include <string>

namespace mtasts::hosting {

std::string endpoint_text(const HostEndpoint& endpoint) {
  if (endpoint.host.empty()) {
    return "*:" + std::to_string(endpoint.port);
  }
  if (endpoint.host.find(':') != std::string::npos) {
    return "[" + endpoint.host + "]:" + std::to_string(endpoint.port);
  }
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

}  // namespace mtasts::hosting

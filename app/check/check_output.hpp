#pragma once

// What `mtasts check` prints: the JSON contract and the text for a person.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mtasts/net/check/deployment_check.hpp"

namespace mtasts::app {

// {"domains": [{"domain", "findings": [{"code","severity","subject","message","rfc","fix"}]}]}
[[nodiscard]] nlohmann::json check_json(const std::vector<net::DomainCheck>& checks);

enum class Colour { off, on };

// Findings grouped by area, then one verdict line per domain.
[[nodiscard]] std::string check_text(const std::vector<net::DomainCheck>& checks, Colour colour);

}  // namespace mtasts::app

#pragma once

// Output of `mtasts resolve`: the JSON object of the CLI contract, and the explanation a
// person reads.

#include <nlohmann/json.hpp>
#include <string>

#include "mtasts/net/fetch/discovery.hpp"

namespace mtasts::app {

// {"domain", "result", "detail", "record": {"v","id","extensions"} | null,
//  "policy": {"mode","mx","max_age","id"} | null}; policy is non-null exactly when result
// is "ok".
nlohmann::json resolve_json(const net::DiscoveryReport& report);

// Every step (TXT records and the one that counts, the HTTPS exchange, parse diagnostics) and
// the decision, as lines of text.
std::string resolve_text(const net::DiscoveryReport& report);

}  // namespace mtasts::app

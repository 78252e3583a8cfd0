#pragma once

// What `mtasts host domain ...` and `mtasts host status` print for people, from the admin
// API's JSON (`--json` prints that JSON instead): the domain's policy, its certificate and
// monitor state, and the DNS records to publish as zone-file lines.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mtasts::app {

// One record as a zone-file line: "_mta-sts.example.com. 300 IN TXT \"v=STSv1; id=1\"".
[[nodiscard]] std::string zone_line(const nlohmann::json& record);

// A domain (POST, GET, PATCH or DELETE answer). `headline` starts the text, e.g. "added".
[[nodiscard]] std::string domain_text(const nlohmann::json& domain, std::string_view headline);

// GET /v1/domains.
[[nodiscard]] std::string domain_list_text(const nlohmann::json& list);

// GET /v1/status.
[[nodiscard]] std::string status_text(const nlohmann::json& status);

// An error answer: "HTTP 400: mx[1]: <message>" (the body's error, else the status alone).
[[nodiscard]] std::string api_error_text(unsigned status, const std::string& body);

}  // namespace mtasts::app

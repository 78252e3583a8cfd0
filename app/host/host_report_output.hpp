#pragma once

// What `mtasts host report ...` prints for people, from the admin API's JSON (`--json` prints
// that JSON instead) and from the import's outcomes.

#include <nlohmann/json.hpp>
#include <string>

namespace mtasts::app {

// GET /v1/domains/{d}/reports: totals, by day, by reporter, by MX, findings, readiness.
[[nodiscard]] std::string report_summary_text(const nlohmann::json& summary);

// GET /v1/reports: one line per report.
[[nodiscard]] std::string report_list_text(const nlohmann::json& list);

// GET /v1/reports/apart: one line per report kept apart.
[[nodiscard]] std::string kept_apart_text(const nlohmann::json& list);

// GET /v1/reports/{id}: the report's facts, findings and JSON.
[[nodiscard]] std::string report_detail_text(const nlohmann::json& report);

}  // namespace mtasts::app

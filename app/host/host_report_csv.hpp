#pragma once

// `mtasts host report show|list|apart --csv`: the admin API's JSON as CSV (RFC 4180: CRLF line
// ends, a header line, fields with a comma, quote or line end quoted), for spreadsheets and
// scripts. A field that a spreadsheet would take for a formula (starting with =, +, -, @, tab
// or CR: reporters choose their organization-name) gets a leading apostrophe.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mtasts::app {

// One CSV field, quoted and guarded as above.
[[nodiscard]] std::string csv_field(std::string_view text);

// GET /v1/domains/{d}/reports as "group,key,result,sessions": one line per day, reporter and
// receiving MX and result ("success" or a failure type); group is day, reporter or mx.
[[nodiscard]] std::string report_summary_csv(const nlohmann::json& summary);

// GET /v1/reports: one line per report.
[[nodiscard]] std::string report_list_csv(const nlohmann::json& list);

// GET /v1/reports/apart: one line per report kept apart.
[[nodiscard]] std::string kept_apart_csv(const nlohmann::json& list);

}  // namespace mtasts::app

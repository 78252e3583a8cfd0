#pragma once

// `mtasts lint tlsrpt-report FILE`: reads one RFC 8460 §4 report (JSON) and shows what it says
// and every deviation the reader found.

#include <nlohmann/json.hpp>
#include <string>

#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"

namespace mtasts::app {

// The report as the JSON of the CLI contract: every field read, null where unknown.
nlohmann::json tlsrpt_report_json(const core::TlsrptReport& report);

// Runs the command on FILE ("-": standard input). Exit code: 0 a report (findings or not),
// 1 not a report (not JSON, too large or too deep, gzip-compressed), 2 unreadable file.
int lint_tlsrpt_report(const std::string& path, bool json);

}  // namespace mtasts::app

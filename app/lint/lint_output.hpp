#pragma once

// Output of `mtasts lint`: the JSON object of the CLI contract, and the text a person reads.

#include <nlohmann/json.hpp>
#include <string>

#include "mtasts/core/base/findings.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/sts/sts_record.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_record.hpp"

namespace mtasts::app {

nlohmann::json findings_json(const core::Findings& findings);
nlohmann::json policy_json(const core::Policy& policy);
nlohmann::json sts_record_json(const core::StsRecord& record);
nlohmann::json tlsrpt_record_json(const core::TlsrptRecord& record);

// {"valid", "errors", "warnings", <object_key>: parsed | null}
nlohmann::json lint_json(const core::Findings& findings, const char* object_key,
                         nlohmann::json parsed);

// "<subject>: valid (summary)" or "<subject>: INVALID", then one line per finding.
std::string lint_text(const std::string& subject, const core::Findings& findings,
                      const std::string& summary);

}  // namespace mtasts::app

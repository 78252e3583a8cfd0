#pragma once

// What the TLS-RPT reports of one hosted domain say over a period (docs/tlsrpt-intake.md
// "Analysis rules"), as the admin API answers it and `mtasts host report show` prints it:
// sessions by day, reporter, result and receiving MX; reporters that stopped sending;
// findings that tie failures to what this service published (its policy host, the live
// policy's mx list); and the enforce-readiness verdict with the command that applies it.

#include <nlohmann/json.hpp>
#include <string_view>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/store/hosting_store.hpp"

namespace mtasts::hosting {

struct SummaryPeriod {
  unsigned days = 30;  // ending at `now`, whole UTC days
};

// The summary of `domain` (hosted, or it answers not_found) at `now`.
// Errors: store errors; invalid_argument when the domain is not hosted.
[[nodiscard]] store::Result<nlohmann::json> report_summary(store::HostingStore& store,
                                                           std::string_view domain,
                                                           core::HostTime now,
                                                           SummaryPeriod period);

// The report `id` with its raw JSON and findings parsed back, or null JSON when absent.
[[nodiscard]] store::Result<nlohmann::json> report_detail(store::HostingStore& store,
                                                          std::int64_t id);

// [{report without raw}], newest first.
[[nodiscard]] nlohmann::json report_list_json(const std::vector<store::StoredReport>& reports);

// [{kept-apart report without raw}], newest first.
[[nodiscard]] nlohmann::json kept_apart_json(const std::vector<store::KeptApartReport>& reports);

}  // namespace mtasts::hosting

#pragma once

// How the hosting store's rows are laid out in SQL: the columns each SELECT reads (in the
// order the decoders take them), the parameters each write binds, and the text of enums and
// mx lists. Enums are stored by their core names, which protocols fix rather than display:
// the RFC 8461 mode tokens (core::mode_name) and the admin API's values
// (core::hosted_state_name, core::record_mode_name). A value that does not decode is
// Errc::corrupt.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/store/hosting_store.hpp"
#include "sql_database.hpp"

// Column lists (macros so they join the statements' literals at compile time).
#define MTASTS_HOST_DOMAIN_COLUMNS                                           \
  "name, state, records, current_id, mode, mx, max_age, version_created_at," \
  " longest_max_age, created_at, updated_at, serve_until, published_id, published_at"
#define MTASTS_HOST_VERSION_COLUMNS "id, mode, mx, max_age, created_at"
#define MTASTS_HOST_CERTIFICATE_COLUMNS                                               \
  "name, chain_pem, key_pem, not_before, not_after, issued_at, failures, last_error," \
  " retry_at"
#define MTASTS_HOST_ACCOUNT_COLUMNS "directory_url, key_pem, account_url, created_at"
#define MTASTS_HOST_CHALLENGE_COLUMNS "token, name, key_authorization, expires_at"
#define MTASTS_HOST_MONITOR_COLUMNS "domain, checked_at, passing, findings"
#define MTASTS_HOST_INSTANCE_COLUMNS \
  "name, version, started_at, last_seen, sync_interval, listeners"
#define MTASTS_HOST_AUDIT_COLUMNS "seq, at, actor, domain, action, detail"

namespace mtasts::store {

[[nodiscard]] std::int64_t seconds_of(HostTime t);
[[nodiscard]] SqlValue optional_seconds(const std::optional<HostTime>& t);

// mx patterns one per line. Patterns are never empty and never hold a line break
// (check_domain_row refuses those), so the encoding is one-to-one.
[[nodiscard]] std::string join_lines(const std::vector<std::string>& lines);

// invalid_argument unless the row can be stored and read back as it is: a name, a current id,
// mx patterns that are neither empty nor hold a line break.
[[nodiscard]] Result<void> check_domain_row(const DomainRow& row);

// The 14 parameters of a domain row, in MTASTS_HOST_DOMAIN_COLUMNS order. Holds the encoded
// mx text the parameters point into, so it neither moves nor copies.
class DomainParams {
 public:
  explicit DomainParams(const DomainRow& row);
  DomainParams(const DomainParams&) = delete;
  DomainParams& operator=(const DomainParams&) = delete;
  const std::array<SqlValue, 14>& values() const { return values_; }

 private:
  std::string mx_;
  std::array<SqlValue, 14> values_;
};

// Decoders of one row each; `describe` names the database in the error.
[[nodiscard]] Result<DomainRow> decode_domain(const SqlRow& row, const std::string& describe);
[[nodiscard]] Result<core::PolicyVersion> decode_version(const SqlRow& row,
                                                         const std::string& describe);
[[nodiscard]] Result<CertificateRow> decode_certificate(const SqlRow& row,
                                                        const std::string& describe);
[[nodiscard]] Result<AcmeAccountRow> decode_account(const SqlRow& row, const std::string& describe);
[[nodiscard]] Result<ChallengeRow> decode_challenge(const SqlRow& row, const std::string& describe);
[[nodiscard]] Result<MonitorRow> decode_monitor(const SqlRow& row, const std::string& describe);
[[nodiscard]] Result<InstanceRow> decode_instance(const SqlRow& row, const std::string& describe);
[[nodiscard]] Result<AuditEntry> decode_audit(const SqlRow& row, const std::string& describe);

}  // namespace mtasts::store

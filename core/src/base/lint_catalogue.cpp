#include "mtasts/core/base/lint_catalogue.hpp"

namespace mtasts::core {
namespace {

using enum Severity;
using L = LintCode;
using S = LintSubject;

}  // namespace

// clang-format off
const std::array<LintCodeInfo, kLintCodeCount> kLintCatalogue = {{
  {L::sts_non_ascii, "sts-non-ascii", error, S::sts_record,
   "a byte outside printable US-ASCII (RFC 8461 §3.1)"},
  {L::sts_version_missing, "sts-version-missing", error, S::sts_record,
   "the record does not begin with `v=STSv1;` (case-sensitive, no leading space)"},
  {L::sts_empty_field, "sts-empty-field", error, S::sts_record, "`;;`"},
  {L::sts_field_syntax, "sts-field-syntax", error, S::sts_record,
   "a field that is not `name=value`"},
  {L::sts_field_name_invalid, "sts-field-name-invalid", error, S::sts_record,
   "a field name that is not 1-32 letters, digits, `_`, `-`, `.`"},
  {L::sts_id_missing, "sts-id-missing", error, S::sts_record, "no `id=` field"},
  {L::sts_id_invalid, "sts-id-invalid", error, S::sts_record,
   "an id that is not 1-32 letters and digits"},
  {L::sts_extension_invalid, "sts-extension-invalid", error, S::sts_record,
   "an extension value that is empty or has spaces, `=` or `;`"},
  {L::sts_trailing_whitespace, "sts-trailing-whitespace", warning, S::sts_record,
   "whitespace at the end without a final `;`"},
  {L::sts_id_duplicate, "sts-id-duplicate", warning, S::sts_record,
   "more than one id; the first counts"},
  {L::sts_field_case, "sts-field-case", warning, S::sts_record,
   "`ID=` or `V=`: names are case-sensitive, so it is an ignored extension"},
  {L::tlsrpt_non_ascii, "tlsrpt-non-ascii", error, S::tlsrpt_record,
   "as for the STS record, with `v=TLSRPTv1;`"},
  {L::tlsrpt_version_missing, "tlsrpt-version-missing", error, S::tlsrpt_record,
   "as for the STS record, with `v=TLSRPTv1;`"},
  {L::tlsrpt_empty_field, "tlsrpt-empty-field", error, S::tlsrpt_record,
   "as for the STS record, with `v=TLSRPTv1;`"},
  {L::tlsrpt_field_syntax, "tlsrpt-field-syntax", error, S::tlsrpt_record,
   "as for the STS record, with `v=TLSRPTv1;`"},
  {L::tlsrpt_field_name_invalid, "tlsrpt-field-name-invalid", error, S::tlsrpt_record,
   "as for the STS record, with `v=TLSRPTv1;`"},
  {L::tlsrpt_extension_invalid, "tlsrpt-extension-invalid", error, S::tlsrpt_record,
   "as for the STS record, with `v=TLSRPTv1;`"},
  {L::tlsrpt_trailing_whitespace, "tlsrpt-trailing-whitespace", warning, S::tlsrpt_record,
   "as for the STS record, with `v=TLSRPTv1;`"},
  {L::tlsrpt_rua_missing, "tlsrpt-rua-missing", error, S::tlsrpt_record, "no `rua=` field"},
  {L::tlsrpt_rua_invalid, "tlsrpt-rua-invalid", error, S::tlsrpt_record,
   "an rua entry that is not a URI, a mailto: without a valid address, an https: without a host, an empty entry"},
  {L::tlsrpt_rua_unusable, "tlsrpt-rua-unusable", error, S::tlsrpt_record,
   "no rua URI a reporter can use"},
  {L::tlsrpt_rua_exclamation, "tlsrpt-rua-exclamation", warning, S::tlsrpt_record,
   "an unencoded `!` (a DMARC size suffix): that URI is ignored"},
  {L::tlsrpt_rua_scheme, "tlsrpt-rua-scheme", warning, S::tlsrpt_record,
   "a scheme other than mailto: and https:: that URI is ignored"},
  {L::tlsrpt_field_case, "tlsrpt-field-case", warning, S::tlsrpt_record,
   "`RUA=`: names are case-sensitive"},
  {L::policy_too_large, "policy-too-large", error, S::policy, "more than 65536 bytes"},
  {L::policy_empty, "policy-empty", error, S::policy, "no content"},
  {L::policy_control_character, "policy-control-character", error, S::policy,
   "a control character (bare CR, NUL, ...) in a line"},
  {L::policy_encoding, "policy-encoding", error, S::policy, "a line that is not UTF-8"},
  {L::policy_line_syntax, "policy-line-syntax", error, S::policy, "a line without `:`"},
  {L::policy_key_whitespace, "policy-key-whitespace", error, S::policy,
   "whitespace before the key or before `:`"},
  {L::policy_key_invalid, "policy-key-invalid", error, S::policy,
   "a key that is not 1-32 letters, digits, `_`, `-`, `.`"},
  {L::policy_version_missing, "policy-version-missing", error, S::policy,
   "no `version: STSv1`, or another value"},
  {L::policy_version_invalid, "policy-version-invalid", error, S::policy,
   "no `version: STSv1`, or another value"},
  {L::policy_mode_missing, "policy-mode-missing", error, S::policy,
   "no mode, or not `enforce`/`testing`/`none` (lowercase)"},
  {L::policy_mode_invalid, "policy-mode-invalid", error, S::policy,
   "no mode, or not `enforce`/`testing`/`none` (lowercase)"},
  {L::policy_max_age_missing, "policy-max-age-missing", error, S::policy,
   "no max_age, not 1-10 digits, above 31557600"},
  {L::policy_max_age_invalid, "policy-max-age-invalid", error, S::policy,
   "no max_age, not 1-10 digits, above 31557600"},
  {L::policy_max_age_too_large, "policy-max-age-too-large", error, S::policy,
   "no max_age, not 1-10 digits, above 31557600"},
  {L::policy_mx_missing, "policy-mx-missing", error, S::policy,
   "mode enforce or testing without an mx line"},
  {L::policy_mx_invalid, "policy-mx-invalid", error, S::policy,
   "an mx value that is not one host name or `*.` host name"},
  {L::policy_mx_u_label, "policy-mx-u-label", error, S::policy,
   "an mx value with Unicode labels; the message gives the A-label form"},
  {L::policy_extension_invalid, "policy-extension-invalid", error, S::policy,
   "an unknown key with an empty value, a tab or a control character"},
  {L::policy_bom, "policy-bom", warning, S::policy, "a leading UTF-8 byte order mark"},
  {L::policy_blank_line, "policy-blank-line", warning, S::policy, "an empty line"},
  {L::policy_duplicate_field, "policy-duplicate-field", warning, S::policy,
   "a second version, mode or max_age: ignored"},
  {L::policy_key_case, "policy-key-case", warning, S::policy,
   "`Mode:`, `MX:`...: case-sensitive, so ignored"},
  {L::policy_unknown_key, "policy-unknown-key", warning, S::policy,
   "a key senders ignore (a typo such as `nmx:`?)"},
  {L::policy_mx_trailing_dot, "policy-mx-trailing-dot", warning, S::policy,
   "one trailing dot, stripped"},
  {L::policy_mx_duplicate, "policy-mx-duplicate", warning, S::policy, "the same pattern twice"},
  {L::policy_mx_ip_address, "policy-mx-ip-address", warning, S::policy,
   "an IP address: matches no MX host name"},
  {L::policy_mode_testing, "policy-mode-testing", warning, S::policy,
   "testing mode: failures are reported, mail still delivered"},
  {L::policy_max_age_short, "policy-max-age-short", warning, S::policy, "max_age under one day"},
  {L::policy_mx_not_covered, "policy-mx-not-covered", warning, S::policy_mx,
   "an MX host of D that no pattern matches"},
  {L::policy_pattern_stale, "policy-pattern-stale", warning, S::policy_mx,
   "a pattern that matches no MX host of D"},
  {L::policy_pattern_wide, "policy-pattern-wide", warning, S::policy_mx,
   "a wildcard that matches a single MX host"},
  {L::policy_pattern_domain_wildcard, "policy-pattern-domain-wildcard", warning, S::policy_mx,
   "`*.D`: any host in the domain qualifies (RFC 8461 §10.4)"},
  {L::policy_mx_lookup_failed, "policy-mx-lookup-failed", warning, S::policy_mx,
   "the MX lookup of D failed: coverage was not checked"},
}};
// clang-format on

const LintCodeInfo& lint_code_info(LintCode code) {
  return kLintCatalogue[static_cast<std::size_t>(code)];
}

std::optional<LintCode> lint_code_from_name(std::string_view name) {
  for (const LintCodeInfo& info : kLintCatalogue) {
    if (info.code == name) {
      return info.id;
    }
  }
  return std::nullopt;
}

}  // namespace mtasts::core

#include "mtasts/core/check/check_findings.hpp"

#include <charconv>

#include "mtasts/core/base/civil_date.hpp"

namespace mtasts::core {
namespace {

using enum CheckSeverity;
using A = CheckArea;
using C = CheckCode;

constexpr std::string_view k8461_31 = "RFC 8461 §3.1";
constexpr std::string_view k8461_32 = "RFC 8461 §3.2";
constexpr std::string_view k8461_33 = "RFC 8461 §3.3";
constexpr std::string_view k8461_41 = "RFC 8461 §4.1";
constexpr std::string_view k8461_42 = "RFC 8461 §4.2";
constexpr std::string_view k8461_82 = "RFC 8461 §8.2";
constexpr std::string_view k8460_3 = "RFC 8460 §3";

}  // namespace

// clang-format off
const std::array<CheckCodeInfo, kCheckCodeCount> kCheckCatalogue = {{
  {C::sts_record_missing, "sts-record-missing", error, A::sts_record, k8461_31,
   "publish one TXT record \"v=STSv1; id=<1-32 letters or digits>;\" at _mta-sts.<domain>"},
  {C::sts_record_multiple, "sts-record-multiple", error, A::sts_record, k8461_31,
   "delete all but one v=STSv1 TXT record: senders ignore the domain when there are several"},
  {C::sts_record_invalid, "sts-record-invalid", error, A::sts_record, k8461_31,
   "rewrite the record as \"v=STSv1; id=<1-32 letters or digits>;\" (see mtasts lint record)"},
  {C::sts_record_lookup_failed, "sts-record-lookup-failed", error, A::sts_record, k8461_31,
   "make the authoritative servers answer the TXT query (no SERVFAIL, no timeout)"},
  {C::sts_record_cname, "sts-record-cname", info, A::sts_record, k8461_31,
   "nothing: a CNAME to the record is followed; keep the target's id in step with the policy"},
  {C::sts_record_warning, "sts-record-warning", warning, A::sts_record, k8461_31,
   "clean up the record as the message says (see mtasts lint record)"},
  {C::policy_host_unresolvable, "policy-host-unresolvable", error, A::policy_host, k8461_33,
   "publish an A or AAAA record for mta-sts.<domain>"},
  {C::policy_host_unreachable, "policy-host-unreachable", error, A::policy_host, k8461_33,
   "make mta-sts.<domain> accept HTTPS connections on port 443"},
  {C::policy_fetch_timeout, "policy-fetch-timeout", error, A::policy_host, k8461_33,
   "make the policy host answer the whole request well within a minute"},
  {C::policy_fetch_failed, "policy-fetch-failed", error, A::policy_host, k8461_33,
   "make the policy host send one complete, valid HTTP/1.1 response"},
  {C::policy_tls_handshake, "policy-tls-handshake", error, A::policy_host, "RFC 8461 §7.2",
   "offer TLS 1.2 or later with a certificate on mta-sts.<domain>"},
  {C::policy_cert_expired, "policy-cert-expired", error, A::policy_host, k8461_33,
   "renew the certificate of mta-sts.<domain> and reload the web server"},
  {C::policy_cert_not_yet_valid, "policy-cert-not-yet-valid", error, A::policy_host, k8461_33,
   "install a certificate whose validity has begun (check the server clock)"},
  {C::policy_cert_name_mismatch, "policy-cert-name-mismatch", error, A::policy_host, k8461_33,
   "use a certificate with subjectAltName DNS:mta-sts.<domain> (or *.<domain>); CN is ignored"},
  {C::policy_cert_untrusted, "policy-cert-untrusted", error, A::policy_host, k8461_33,
   "use a certificate from a public CA and send the intermediate certificates too"},
  {C::policy_cert_invalid, "policy-cert-invalid", error, A::policy_host, k8461_33,
   "replace the certificate of mta-sts.<domain> with a valid server certificate"},
  {C::policy_cert_expiring, "policy-cert-expiring", warning, A::policy_host, k8461_33,
   "renew the certificate of mta-sts.<domain> now (check that automatic renewal works)"},
  {C::policy_http_status, "policy-http-status", error, A::policy_host, k8461_33,
   "serve the policy at /.well-known/mta-sts.txt with status 200"},
  {C::policy_redirect, "policy-redirect", error, A::policy_host, k8461_33,
   "serve the policy directly with status 200: senders never follow redirects"},
  {C::policy_content_type, "policy-content-type", error, A::policy_host, k8461_32,
   "serve the policy with Content-Type: text/plain"},
  {C::policy_too_large, "policy-too-large", error, A::policy_host, k8461_33,
   "keep the policy under 64 KiB"},
  {C::policy_invalid, "policy-invalid", error, A::policy, k8461_32,
   "correct the policy file (see mtasts lint policy)"},
  {C::policy_syntax_warning, "policy-syntax-warning", warning, A::policy, k8461_32,
   "clean up the policy file as the message says (see mtasts lint policy)"},
  {C::policy_bom, "policy-bom", warning, A::policy, k8461_32,
   "save the policy without a byte order mark"},
  {C::policy_line_endings, "policy-line-endings", info, A::policy, k8461_32,
   "nothing required: senders accept LF (erratum 6253); CRLF is the RFC's form"},
  {C::policy_max_age_short, "policy-max-age-short", warning, A::policy, k8461_32,
   "once the policy works, raise max_age to weeks (604800 or more)"},
  {C::policy_mode_testing, "policy-mode-testing", warning, A::policy, k8461_32,
   "once TLS reports show no failures, switch to mode: enforce and change the record id"},
  {C::policy_mode_none, "policy-mode-none", info, A::policy, "RFC 8461 §8.3",
   "nothing, if opting out is intended; otherwise use mode: testing, then enforce"},
  {C::policy_fetched, "policy-fetched", info, A::policy_host, k8461_33,
   "nothing"},
  {C::mx_lookup_failed, "mx-lookup-failed", error, A::mx_coverage, k8461_41,
   "make the authoritative servers answer the MX query"},
  {C::mx_null, "mx-null", info, A::mx_coverage, "RFC 7505",
   "nothing: the domain accepts no mail; an MTA-STS policy is not needed"},
  {C::mx_not_covered, "mx-not-covered", error, A::mx_coverage, k8461_41,
   "add an mx: line matching this host (a wildcard covers one label only) and change the id"},
  {C::policy_pattern_stale, "policy-pattern-stale", warning, A::mx_coverage, k8461_41,
   "remove the mx: line if the host is retired, and change the record id"},
  {C::policy_pattern_ip_address, "policy-pattern-ip-address", warning, A::mx_coverage,
   k8461_41, "replace the address with the MX host name: patterns match names only"},
  {C::policy_pattern_wide, "policy-pattern-wide", info, A::mx_coverage, k8461_41,
   "consider naming the single MX host instead of a wildcard"},
  {C::policy_pattern_domain_wildcard, "policy-pattern-domain-wildcard", warning,
   A::mx_coverage, "RFC 8461 §10.4",
   "name the MX hosts: *.<domain> lets any host in the domain receive mail"},
  {C::mx_host_unresolvable, "mx-host-unresolvable", error, A::mx_host, "RFC 5321 §5.1",
   "publish an A or AAAA record for the MX host, or remove the MX record"},
  {C::mx_unreachable, "mx-unreachable", error, A::mx_host, "RFC 5321 §5.1",
   "make the MX host accept SMTP connections on port 25"},
  {C::mx_starttls_missing, "mx-starttls-missing", error, A::mx_host, k8461_41,
   "enable STARTTLS on the MX host (e.g. Postfix smtpd_tls_security_level = may)"},
  {C::mx_tls_handshake, "mx-tls-handshake", error, A::mx_host, k8461_41,
   "fix the MX host's TLS setup: STARTTLS must lead to a completed TLS handshake"},
  {C::mx_tls_version, "mx-tls-version", error, A::mx_host, "RFC 8461 §7.2",
   "enable TLS 1.2 or later on the MX host"},
  {C::mx_cert_untrusted, "mx-cert-untrusted", error, A::mx_host, k8461_42,
   "use a certificate from a public CA and send the intermediate certificates too"},
  {C::mx_cert_expired, "mx-cert-expired", error, A::mx_host, k8461_42,
   "renew the MX host's certificate and reload the mail server"},
  {C::mx_cert_not_yet_valid, "mx-cert-not-yet-valid", error, A::mx_host, k8461_42,
   "install a certificate whose validity has begun (check the server clock)"},
  {C::mx_cert_name_mismatch, "mx-cert-name-mismatch", error, A::mx_host, k8461_42,
   "use a certificate with a subjectAltName DNS-ID for the MX host name; CN is ignored"},
  {C::mx_cert_invalid, "mx-cert-invalid", error, A::mx_host, k8461_42,
   "replace the MX host's certificate with a valid server certificate"},
  {C::mx_cert_expiring, "mx-cert-expiring", warning, A::mx_host, k8461_42,
   "renew the MX host's certificate now (check that automatic renewal works)"},
  {C::mx_tls_ok, "mx-tls-ok", info, A::mx_host, k8461_42,
   "nothing"},
  {C::tlsrpt_record_missing, "tlsrpt-record-missing", warning, A::tlsrpt, k8460_3,
   "publish \"v=TLSRPTv1; rua=mailto:tlsrpt@<domain>\" at _smtp._tls.<domain> to hear of failures"},
  {C::tlsrpt_record_multiple, "tlsrpt-record-multiple", warning, A::tlsrpt, k8460_3,
   "keep exactly one v=TLSRPTv1 record: with several, reporters send nothing"},
  {C::tlsrpt_record_invalid, "tlsrpt-record-invalid", warning, A::tlsrpt, k8460_3,
   "correct the record (see mtasts lint tlsrpt-record)"},
  {C::tlsrpt_record_warning, "tlsrpt-record-warning", warning, A::tlsrpt, k8460_3,
   "clean up the record as the message says (see mtasts lint tlsrpt-record)"},
  {C::tlsrpt_lookup_failed, "tlsrpt-lookup-failed", warning, A::tlsrpt, k8460_3,
   "make the authoritative servers answer the TXT query at _smtp._tls.<domain>"},
  {C::hosted_record_missing, "hosted-record-missing", error, A::hosting, k8461_31,
   "publish the _mta-sts records the service shows for the domain (mtasts host domain show)"},
  {C::hosted_record_multiple, "hosted-record-multiple", error, A::hosting, k8461_31,
   "keep only the v=STSv1 TXT record the service shows: with several, senders see no policy"},
  {C::hosted_id_stale, "hosted-id-stale", error, A::hosting, k8461_31,
   "replace the TXT record with the one the service shows: senders refetch only on a new id"},
  {C::hosted_delegation_broken, "hosted-delegation-broken", error, A::hosting, k8461_82,
   "publish _mta-sts.<domain> CNAME <domain>.<delegation zone> as shown, and no TXT beside it"},
  {C::hosted_policy_host_elsewhere, "hosted-policy-host-elsewhere", error, A::hosting,
   k8461_82, "point mta-sts.<domain> at the service (CNAME to its host name, or its addresses)"},
  {C::hosted_cert_missing, "hosted-cert-missing", error, A::hosting, k8461_33,
   "point mta-sts.<domain> at the service so it can order the certificate; see its last error"},
  {C::hosted_cert_expiring, "hosted-cert-expiring", warning, A::hosting, k8461_33,
   "check the service's renewals: the certificate's last error and the ACME CA's status"},
  {C::hosted_cert_expired, "hosted-cert-expired", error, A::hosting, k8461_33,
   "make renewal work (mta-sts.<domain> pointing at the service, the ACME CA reachable)"},
  {C::sts_record_ignored, "sts-record-ignored", error, A::sts_record, k8461_31,
   "rewrite the record as the message says: senders discard a record that does not begin "
   "with \"v=STSv1;\" exactly"},
}};
// clang-format on

std::string_view check_severity_name(CheckSeverity severity) {
  switch (severity) {
    case CheckSeverity::error:
      return "error";
    case CheckSeverity::warning:
      return "warning";
    case CheckSeverity::info:
      return "info";
  }
  return "error";
}

std::string_view check_area_title(CheckArea area) {
  switch (area) {
    case CheckArea::sts_record:
      return "_mta-sts record";
    case CheckArea::policy_host:
      return "policy host";
    case CheckArea::policy:
      return "policy";
    case CheckArea::mx_coverage:
      return "policy vs MX";
    case CheckArea::mx_host:
      return "MX hosts";
    case CheckArea::tlsrpt:
      return "TLSRPT record";
    case CheckArea::hosting:
      return "hosted domain";
  }
  return "";
}

const CheckCodeInfo& check_code_info(CheckCode code) {
  return kCheckCatalogue.at(static_cast<std::size_t>(code));
}

std::optional<CheckCode> check_code_from_name(std::string_view name) {
  for (const CheckCodeInfo& info : kCheckCatalogue) {
    if (info.code == name) {
      return info.id;
    }
  }
  return std::nullopt;
}

CheckFinding make_check_finding(CheckCode code, std::string subject, std::string message) {
  const CheckCodeInfo& info = check_code_info(code);
  return CheckFinding{code,
                      std::string(info.code),
                      info.severity,
                      info.area,
                      std::move(subject),
                      std::move(message),
                      std::string(info.rfc),
                      std::string(info.fix)};
}

namespace {

std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t count) {
  int value = 0;
  const char* first = text.data() + pos;
  const auto [end, ec] = std::from_chars(first, first + count, value);
  if (ec != std::errc() || end != first + count) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<std::int64_t> days_until(std::string_view not_after, std::int64_t now_unix) {
  // "YYYY-MM-DDTHH:MM:SSZ"
  if (not_after.size() != 20 || not_after[4] != '-' || not_after[7] != '-' ||
      not_after[10] != 'T' || not_after[13] != ':' || not_after[16] != ':' ||
      not_after[19] != 'Z') {
    return std::nullopt;
  }
  const auto year = digits(not_after, 0, 4);
  const auto month = digits(not_after, 5, 2);
  const auto day = digits(not_after, 8, 2);
  const auto hour = digits(not_after, 11, 2);
  const auto minute = digits(not_after, 14, 2);
  const auto second = digits(not_after, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12 ||
      *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const std::int64_t at = days_from_civil(CivilDate{*year, static_cast<unsigned>(*month),
                                                    static_cast<unsigned>(*day)}) *
                              86400 +
                          *hour * 3600 + *minute * 60 + *second;
  const std::int64_t diff = at - now_unix;
  return diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400);
}

}  // namespace mtasts::core

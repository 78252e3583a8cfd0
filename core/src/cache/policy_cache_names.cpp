// Stable names of the policy cache's enums: part of logs, metrics, --explain and JSON output,
// so a name is never renamed or reused.

#include "mtasts/core/cache/policy_cache.hpp"

namespace mtasts::core {

TlsrptResultType tlsrpt_result_type(FetchFailure failure) {
  // RFC 8460 §4.3.2.2 result types for policy failures.
  switch (failure) {
    case FetchFailure::fetch_error:
      return TlsrptResultType::sts_policy_fetch_error;
    case FetchFailure::policy_invalid:
      return TlsrptResultType::sts_policy_invalid;
    case FetchFailure::webpki_invalid:
      return TlsrptResultType::sts_webpki_invalid;
  }
  return TlsrptResultType::sts_policy_fetch_error;  // unreachable: the switch is exhaustive
}

std::string_view reason_name(Reason reason) {
  switch (reason) {
    case Reason::hit:
      return "hit";
    case Reason::miss:
      return "miss";
    case Reason::expired:
      return "expired";
    case Reason::negative_hit:
      return "negative_hit";
    case Reason::temp_failure_hold:
      return "temp_failure_hold";
    case Reason::backoff:
      return "backoff";
    case Reason::recheck:
      return "recheck";
    case Reason::refresh_due:
      return "refresh_due";
    case Reason::unchanged:
      return "unchanged";
    case Reason::id_changed:
      return "id_changed";
    case Reason::discovered:
      return "discovered";
    case Reason::no_record_kept:
      return "no_record_kept";
    case Reason::unusable_kept:
      return "unusable_kept";
    case Reason::temp_failure_kept:
      return "temp_failure_kept";
    case Reason::no_record:
      return "no_record";
    case Reason::unusable:
      return "unusable";
    case Reason::temp_failure:
      return "temp_failure";
    case Reason::fetched:
      return "fetched";
    case Reason::fetched_uncached:
      return "fetched_uncached";
    case Reason::fetch_failed_kept:
      return "fetch_failed_kept";
    case Reason::fetch_failed_none:
      return "fetch_failed_none";
  }
  return "unknown";
}

std::string_view step_name(Step step) {
  switch (step) {
    case Step::none:
      return "none";
    case Step::check_record:
      return "check_record";
    case Step::fetch_policy:
      return "fetch_policy";
  }
  return "none";
}

std::string_view urgency_name(Urgency urgency) {
  switch (urgency) {
    case Urgency::wait:
      return "wait";
    case Urgency::background:
      return "background";
  }
  return "background";
}

}  // namespace mtasts::core

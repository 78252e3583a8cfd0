#include "mtasts/core/dane/dane_state.hpp"

#include <algorithm>

#include "mtasts/core/socketmap/postfix_reply.hpp"

namespace mtasts::core {

bool tlsa_usable(const TlsaRecord& record) {
  // Usages 0 and 1 (PKIX-TA, PKIX-EE) are not for SMTP (RFC 7672 §3.1.3).
  if (record.usage != 2 && record.usage != 3) {
    return false;
  }
  if (record.selector > 1) {
    return false;
  }
  switch (record.matching) {
    case 0:
      return record.data_size > 0;  // the full certificate or public key
    case 1:
      return record.data_size == 32;  // SHA2-256
    case 2:
      return record.data_size == 64;  // SHA2-512
    default:
      return false;
  }
}

HostDane classify_host(const DaneHostFacts& host) {
  if (host.addresses.fact != DnsFact::found) {
    return HostDane::unreachable;
  }
  // RFC 7672 §2.2.2: TLSA records count only for a host whose addresses are secure.
  if (!host.addresses.secure) {
    return HostDane::none;
  }
  switch (host.tlsa.fact) {
    case DnsFact::failed:
      return HostDane::unknown;
    case DnsFact::none:
      return HostDane::none;
    case DnsFact::found:
      break;
  }
  if (!host.tlsa.secure) {
    return HostDane::none;
  }
  const bool usable = std::any_of(host.records.begin(), host.records.end(), tlsa_usable);
  return usable ? HostDane::usable : HostDane::none;
}

DaneVerdict decide_dane(const DaneMxFacts& mx, const std::vector<DaneHostFacts>& hosts) {
  if (mx.mx.fact == DnsFact::failed) {
    return {DaneLevel::temp, DaneReason::mx_lookup_failed, {}};
  }
  if (mx.null_mx) {
    return {DaneLevel::none, DaneReason::null_mx, {}};
  }
  if (!mx.mx.secure) {
    return {DaneLevel::none, DaneReason::mx_insecure, {}};
  }
  std::size_t reachable = 0;
  std::size_t usable = 0;
  const DaneHostFacts* unknown = nullptr;
  for (const DaneHostFacts& host : hosts) {
    switch (classify_host(host)) {
      case HostDane::usable:
        ++usable;
        ++reachable;
        break;
      case HostDane::unknown:
        unknown = unknown != nullptr ? unknown : &host;
        ++reachable;
        break;
      case HostDane::none:
        ++reachable;
        break;
      case HostDane::unreachable:
        break;
    }
  }
  if (reachable == 0) {
    return {DaneLevel::none, DaneReason::no_reachable_host, {}};
  }
  if (usable == reachable) {
    return {DaneLevel::dane_only, DaneReason::all_hosts_tlsa, {}};
  }
  if (usable > 0) {
    // A host whose TLSA lookup failed is one Postfix's own DANE lookup defers; hosts without
    // TLSA get opportunistic TLS, as the domain's partial DANE deployment asks (RFC 8461 §2).
    return {DaneLevel::dane, DaneReason::some_hosts_tlsa, {}};
  }
  if (unknown != nullptr) {
    return {DaneLevel::temp, DaneReason::tlsa_lookup_failed, unknown->name};
  }
  return {DaneLevel::none, DaneReason::no_usable_tlsa, {}};
}

std::string_view dane_level_name(DaneLevel level) {
  switch (level) {
    case DaneLevel::none:
      return "none";
    case DaneLevel::dane:
      return "dane";
    case DaneLevel::dane_only:
      return "dane-only";
    case DaneLevel::temp:
      return "temp";
  }
  return "none";
}

std::string_view dane_reason_name(DaneReason reason) {
  switch (reason) {
    case DaneReason::all_hosts_tlsa:
      return "all-hosts-tlsa";
    case DaneReason::some_hosts_tlsa:
      return "some-hosts-tlsa";
    case DaneReason::mx_insecure:
      return "mx-insecure";
    case DaneReason::null_mx:
      return "null-mx";
    case DaneReason::no_reachable_host:
      return "no-reachable-host";
    case DaneReason::no_usable_tlsa:
      return "no-usable-tlsa";
    case DaneReason::mx_lookup_failed:
      return "mx-lookup-failed";
    case DaneReason::tlsa_lookup_failed:
      return "tlsa-lookup-failed";
    case DaneReason::lookup_timed_out:
      return "lookup-timed-out";
  }
  return "no-usable-tlsa";
}

std::string render_dane_reply(const DaneVerdict& verdict, std::string_view domain) {
  switch (verdict.level) {
    case DaneLevel::dane_only:
      return "OK dane-only";
    case DaneLevel::dane:
      return "OK dane";
    case DaneLevel::none:
    case DaneLevel::temp:
      break;
  }
  std::string reason = "DANE: ";
  switch (verdict.reason) {
    case DaneReason::mx_lookup_failed:
      reason.append("the MX lookup of ").append(domain).append(" failed");
      break;
    case DaneReason::tlsa_lookup_failed:
      reason.append("the TLSA lookup of MX host ").append(verdict.host).append(" failed");
      break;
    default:
      reason.append("the DNSSEC state of ").append(domain).append(" is not known yet");
      break;
  }
  return render_temp(reason);
}

}  // namespace mtasts::core

#pragma once

// DANE first (RFC 7672, RFC 8461 §2): what a destination's DNSSEC facts say about the TLS policy
// Postfix must apply, before MTA-STS is considered. Sans-I/O: the daemon gathers the facts
// (MX RRset, each MX host's addresses and TLSA records, each with the resolver's AD bit) and
// decide_dane() turns them into a level and a reason.
//
// Glossary
//   secure      the validating resolver set the AD bit: the answer (records, or their absence)
//               is DNSSEC-authenticated
//   usable TLSA usage 2 (DANE-TA) or 3 (DANE-EE), selector 0 or 1, matching type 0, 1 or 2 with
//               a digest of the right length (RFC 7672 §3.1); other records are ignored
//   reachable   an MX host whose address lookup found addresses; a host without any (NXDOMAIN,
//               no records, or a failed lookup) is one Postfix cannot connect to either, so it
//               never decides the domain's level (postfix-tlspol #172, #189)

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtasts::core {

// One TLSA record (RFC 6698 §2.1); the association data is kept only by its length.
struct TlsaRecord {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching = 0;
  std::size_t data_size = 0;
};

// Whether Postfix (and RFC 7672 §3.1) can use the record for authentication.
[[nodiscard]] bool tlsa_usable(const TlsaRecord& record);

// How one lookup ended, as far as DANE cares.
enum class DnsFact {
  found,   // records of the type exist
  none,    // NXDOMAIN or no records of the type
  failed,  // SERVFAIL (a bogus signature included), timeout, or a broken answer
};

struct DnsEvidence {
  DnsFact fact = DnsFact::failed;
  bool secure = false;  // the AD bit was set on the answer (every answer of a CNAME chain)
};

// The facts about one MX host.
struct DaneHostFacts {
  std::string name;
  DnsEvidence addresses;
  DnsEvidence tlsa;                 // looked at only when the addresses are found and secure
  std::vector<TlsaRecord> records;  // the TLSA records found
};

// What DANE means for one MX host.
enum class HostDane {
  usable,       // secure addresses and at least one secure, usable TLSA record
  none,         // no DANE: insecure addresses or TLSA, no TLSA, or only unusable records
  unknown,      // secure addresses, but the TLSA lookup failed: DANE may apply
  unreachable,  // no addresses: Postfix cannot connect to it either
};

[[nodiscard]] HostDane classify_host(const DaneHostFacts& host);

// The reply level DANE asks for.
enum class DaneLevel {
  none,       // DANE does not apply: MTA-STS (or Postfix's default) governs
  dane,       // "dane": some MX hosts have usable TLSA, Postfix authenticates those by DANE
  dane_only,  // "dane-only": every reachable MX host has usable TLSA
  temp,       // the DANE state cannot be learnt now: defer, never downgrade
};

// Why; each value has a stable name for logs and metrics (dane_reason_name).
enum class DaneReason {
  all_hosts_tlsa,      // dane_only
  some_hosts_tlsa,     // dane
  mx_insecure,         // none: the MX RRset (or its denial, for an implicit MX) is not signed
  null_mx,             // none: the domain accepts no mail (RFC 7505)
  no_reachable_host,   // none: no MX host has addresses
  no_usable_tlsa,      // none: no reachable host has usable, secure TLSA records
  mx_lookup_failed,    // temp
  tlsa_lookup_failed,  // temp: no host usable, and the TLSA lookup of one failed
  lookup_timed_out,    // temp: the DANE facts did not arrive within the zone's timeout
};

struct DaneVerdict {
  DaneLevel level = DaneLevel::none;
  DaneReason reason = DaneReason::no_usable_tlsa;
  std::string host;  // the MX host the reason names (tlsa_lookup_failed), else empty
};

// The MX side of the facts: the MX lookup of the destination.
struct DaneMxFacts {
  DnsEvidence mx;        // none: the implicit MX (RFC 5321 §5.1), the domain itself
  bool null_mx = false;  // the MX RRset is the null MX only
};

// DANE first, as RFC 7672 §2.2 and postfix-tlspol decide it, never a downgrade:
//   MX lookup failed                         -> temp
//   null MX                                  -> none
//   MX RRset (or its denial) not secure      -> none (MTA-STS authenticates the MX names; an
//                                               insecure MX RRset lets an attacker pick hosts
//                                               without TLSA, so "dane" would be weaker)
//   every reachable host usable              -> dane_only
//   some reachable host usable               -> dane
//   none usable, some TLSA lookup failed     -> temp
//   otherwise                                -> none
// `hosts` are the MX hosts (or the domain itself for an implicit MX), in any order.
[[nodiscard]] DaneVerdict decide_dane(const DaneMxFacts& mx,
                                      const std::vector<DaneHostFacts>& hosts);

// "none", "dane", "dane-only", "temp".
[[nodiscard]] std::string_view dane_level_name(DaneLevel level);
// "all-hosts-tlsa", "some-hosts-tlsa", "mx-insecure", ... (the enumerator, dashed).
[[nodiscard]] std::string_view dane_reason_name(DaneReason reason);

inline constexpr std::size_t kDaneLevels = 4;
inline constexpr std::size_t kDaneReasons = 9;

// The socketmap reply of a verdict whose level is not none: "OK dane-only", "OK dane", or
// "TEMP <reason>" naming the domain and what could not be learnt. No TLSRPT attributes: Postfix
// reports DANE sessions itself.
[[nodiscard]] std::string render_dane_reply(const DaneVerdict& verdict, std::string_view domain);

}  // namespace mtasts::core

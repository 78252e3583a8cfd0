#pragma once

// DNS answers as MTA-STS needs them, and the DnsResolver interface: the seam tests replace.
//
// Glossary:
//   canonical name  the owner of the records after following CNAMEs from the query name
//   negative TTL    how long a NXDOMAIN/NODATA answer may be cached: min(SOA TTL, SOA minimum)
//                   from the authority section (RFC 2308 §5)

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/dane/dane_state.hpp"
#include "mtasts/core/sts/sts_record.hpp"

namespace mtasts::net {

// How a query ended. Every DNS failure class is told apart (CONFORMANCE 013).
enum class DnsStatus {
  ok,          // NOERROR and at least one record of the type at the canonical name
  nxdomain,    // the name, or the end of its CNAME chain, does not exist
  nodata,      // the name exists but has no record of the type
  servfail,    // SERVFAIL (or REFUSED) from every server asked
  timeout,     // no answer within the query timeout
  cname_loop,  // the CNAME chain loops or is longer than kMaxCnameHops
  error,       // anything else: malformed answer, FORMERR, NOTIMP, no server reachable
};

// "ok", "nxdomain", "nodata", "servfail", "timeout", "cname-loop", "error".
[[nodiscard]] std::string_view dns_status_name(DnsStatus status);

// What a status says about the records asked for; the one classification every caller uses.
enum class DnsClass {
  found,      // ok: the records are in the answer
  none,       // nxdomain, nodata: the name authoritatively has no such record
  broken,     // cname_loop: the delegation is broken; no answer will come until it is fixed
  temporary,  // servfail, timeout, error: nothing is known about the records; ask again later
};

[[nodiscard]] DnsClass dns_class(DnsStatus status);

// True for broken and temporary: the lookup failed, as opposed to finding records or none.
[[nodiscard]] inline bool dns_lookup_failed(DnsStatus status) {
  const DnsClass c = dns_class(status);
  return c == DnsClass::broken || c == DnsClass::temporary;
}

// Longest CNAME chain followed, across re-queries (RFC 1034 §3.6.2 leaves the bound to us).
inline constexpr std::size_t kMaxCnameHops = 8;

// What every answer carries besides its records.
struct DnsMeta {
  DnsStatus status = DnsStatus::error;
  // ok: the smallest TTL among the records and the CNAMEs followed. nxdomain/nodata: the
  // negative TTL from the SOA, or nullopt when the answer had no SOA. Otherwise nullopt.
  std::optional<std::uint32_t> ttl;
  std::string query_name;                // as asked, lowercase, no trailing dot
  std::vector<std::string> cname_chain;  // CNAME targets followed, in order
  std::string canonical_name;            // query_name, or the last CNAME target
  std::string message;                   // for a failure: what happened, for a person
  // The resolver set the AD bit on every answer this one was made of: the records (or their
  // absence) are DNSSEC-validated. Only a validating resolver the daemon trusts sets it.
  bool authenticated = false;
};

struct TxtAnswer {
  DnsMeta meta;
  std::vector<core::TxtStrings> records;  // one entry per TXT RR, strings as sent
};

struct MxRecord {
  std::uint16_t preference = 0;
  std::string exchange;  // lowercase, no trailing dot; "" for the null MX (RFC 7505)
};

struct MxAnswer {
  DnsMeta meta;
  std::vector<MxRecord> records;
};

struct TlsaAnswer {
  DnsMeta meta;
  std::vector<core::TlsaRecord> records;
};

struct AddressAnswer {
  DnsMeta meta;                        // ok when either the A or the AAAA query found one
  std::vector<std::string> addresses;  // textual IPv4 then IPv6 addresses
};

// Asynchronous DNS lookups on the caller's event loop. Implementations follow CNAMEs (RFC 8461
// §3.1 requires it), keep TTLs, never throw, and complete every query within their timeout.
// Names are absolute (no search list); a trailing dot is optional. The resolver must outlive
// the queries it runs.
class DnsResolver {
 public:
  virtual ~DnsResolver() = default;

  // TXT records at `name`, one entry per RR with its character-strings unjoined.
  virtual boost::asio::awaitable<TxtAnswer> query_txt(std::string name) = 0;

  // MX records at `name`, in the order received.
  virtual boost::asio::awaitable<MxAnswer> query_mx(std::string name) = 0;

  // A and AAAA records at `name`, asked concurrently. `meta.authenticated` holds when every
  // answer that was not a failure was validated and at least one found addresses.
  virtual boost::asio::awaitable<AddressAnswer> query_addresses(std::string name) = 0;

  // TLSA records at `name` (e.g. "_25._tcp.mx.example.com").
  virtual boost::asio::awaitable<TlsaAnswer> query_tlsa(std::string name) = 0;

  // The NS query for `name`, for its metadata only: a validating resolver sets the AD bit on
  // the answer for a signed name (the root, ".", is one), which is how it is recognised.
  virtual boost::asio::awaitable<DnsMeta> query_ns(std::string name) = 0;
};

}  // namespace mtasts::net

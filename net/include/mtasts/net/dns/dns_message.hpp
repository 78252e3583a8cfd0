#pragma once

// A bounds-checked decoder of DNS response messages (RFC 1035 §4) and the interpretation of
// an answer for one question: CNAMEs followed within the message, TTLs kept, negative TTL
// taken from the SOA (RFC 2308). Sans-I/O: bytes in, values out. Untrusted input never
// causes an assertion, an exception or a read outside the buffer.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/dane/dane_state.hpp"
#include "mtasts/core/sts/sts_record.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"

namespace mtasts::net::dns {

inline constexpr std::uint16_t kTypeA = 1;
inline constexpr std::uint16_t kTypeNs = 2;
inline constexpr std::uint16_t kTypeCname = 5;
inline constexpr std::uint16_t kTypeSoa = 6;
inline constexpr std::uint16_t kTypeMx = 15;
inline constexpr std::uint16_t kTypeTxt = 16;
inline constexpr std::uint16_t kTypeAaaa = 28;
inline constexpr std::uint16_t kTypeTlsa = 52;
inline constexpr std::uint16_t kClassIn = 1;

inline constexpr std::uint8_t kRcodeNoError = 0;
inline constexpr std::uint8_t kRcodeFormErr = 1;
inline constexpr std::uint8_t kRcodeServFail = 2;
inline constexpr std::uint8_t kRcodeNxDomain = 3;
inline constexpr std::uint8_t kRcodeNotImp = 4;
inline constexpr std::uint8_t kRcodeRefused = 5;

struct Soa {
  std::string mname;
  std::string rname;
  std::uint32_t serial = 0;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;
};

struct Cname {
  std::string target;
};

struct Mx {
  std::uint16_t preference = 0;
  std::string exchange;
};

struct Address {
  std::string text;  // dotted quad or RFC 5952 IPv6 text
};

struct Txt {
  core::TxtStrings strings;
};

struct Tlsa {
  core::TlsaRecord record;  // usage, selector, matching type and the data's length
};

struct Opaque {};  // a type this decoder does not interpret

using Rdata = std::variant<Opaque, Cname, Soa, Mx, Address, Txt, Tlsa>;

struct ResourceRecord {
  std::string name;  // lowercase, no trailing dot; bytes outside LDH are escaped as \DDD
  std::uint16_t type = 0;
  std::uint16_t rclass = 0;
  std::uint32_t ttl = 0;  // RFC 2181 §8: values with the top bit set are read as 0
  Rdata rdata;
};

struct Question {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t qclass = 0;
};

struct Message {
  std::uint16_t id = 0;
  bool is_response = false;
  bool truncated = false;
  bool authenticated = false;  // AD: the resolver validated the answer by DNSSEC (RFC 4035 §3.2.3)
  std::uint8_t rcode = 0;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authority;  // the additional section is not decoded
};

// Decodes a whole message. Names may use compression pointers, which must point strictly
// backwards (so no loop is possible); names are at most 255 octets, labels at most 63.
// Errors: Errc::invalid_syntax with a message naming what was malformed and where
// (truncated header, section or RDATA; bad pointer; bad label; RDATA length mismatch).
[[nodiscard]] core::Result<Message> parse_message(std::span<const std::uint8_t> wire);

// The records of `qtype` at the end of the CNAME chain starting at `qname`.
struct ChainAnswer {
  DnsMeta meta;  // status ok, nxdomain, nodata, servfail, cname_loop or error
  std::vector<ResourceRecord> records;
  // NOERROR, but the chain ends in a CNAME whose target has no records in this message:
  // ask again for meta.canonical_name (a stub resolver may return only the CNAME).
  bool needs_requery = false;
};

// Interprets `message` as the answer to (qname, qtype, IN). Follows at most kMaxCnameHops
// CNAMEs within the answer section, case-insensitively; a repeated name is a cname_loop.
// Status: rcode NXDOMAIN -> nxdomain; NOERROR with records -> ok; NOERROR without ->
// nodata (or needs_requery); SERVFAIL/REFUSED -> servfail; any other rcode -> error.
[[nodiscard]] ChainAnswer interpret_answer(const Message& message, std::string_view qname,
                                           std::uint16_t qtype);

// Lowercases and strips one trailing dot: the form names are compared in.
[[nodiscard]] std::string normalize_name(std::string_view name);

}  // namespace mtasts::net::dns

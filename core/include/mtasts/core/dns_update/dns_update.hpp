#pragma once

// RFC 2136 dynamic UPDATE messages and RFC 8945 TSIG, sans-I/O.
//
// The net layer (net/dns_updater.hpp) drives one exchange like this:
//   1. encode_update()            -> the unsigned UPDATE message
//   2. tsig_request_mac_input()   -> the bytes to HMAC with the key's secret (net does the HMAC)
//   3. append_tsig()              -> the signed message to send (RFC 8945 §5.1)
//   4. parse_update_response()    -> header, rcode and the response's TSIG record
//   5. response_mac_check()       -> the bytes to HMAC and the MAC to compare in constant time
//   6. check_tsig_time()          -> time signed within fudge of `now` (RFC 8945 §5.2.3)
//   7. update_response_outcome()  -> the rcode as a Result with a message an admin can act on
//
// Glossary: "wire name" is a name in RFC 1035 §3.1 form (length-prefixed labels, ending with
// the zero-length root label), always lowercase here, which is also the RFC 8945 §4.3.3
// canonical form the MAC covers. Names are never compressed in what this file writes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

using DnsBytes = std::vector<std::uint8_t>;

inline constexpr std::uint16_t kDnsTypeSoa = 6;
inline constexpr std::uint16_t kDnsTypeTxt = 16;
inline constexpr std::uint16_t kDnsTypeTsig = 250;
inline constexpr std::uint16_t kDnsClassIn = 1;
inline constexpr std::uint16_t kDnsClassAny = 255;
inline constexpr std::uint8_t kDnsOpcodeUpdate = 5;
inline constexpr std::size_t kMaxDnsMessage = 65535;  // RFC 1035 §4.2.2: the TCP length prefix

// ---- names ----

// The wire name of `name`: labels of ASCII letters, digits, '-' and '_' (so "_mta-sts" owners
// work), each 1-63 octets, at most 255 octets in wire form, one optional trailing dot,
// lowercased. The root ("." or "") is refused: neither a zone nor an owner here is the root.
// Errors: Errc::invalid_value naming the name and what is wrong with it.
[[nodiscard]] Result<DnsBytes> encode_dns_name(std::string_view name);

// A wire name in presentation form, without the trailing dot; octets other than letters,
// digits, '-' and '_' appear as \DDD. Stops quietly at malformed input.
[[nodiscard]] std::string dns_name_text(std::span<const std::uint8_t> wire);

// Whether wire name `name` equals `zone` or lies below it (both lowercase wire names).
[[nodiscard]] bool dns_name_in_zone(std::span<const std::uint8_t> name,
                                    std::span<const std::uint8_t> zone);

// ---- TSIG algorithms (RFC 8945 §6) ----

enum class TsigAlgorithm {
  hmac_sha1,    // "hmac-sha1", accepted for interoperability with older servers
  hmac_sha256,  // "hmac-sha256", the one to use (RFC 8945 §6: mandatory to implement)
  hmac_sha512,  // "hmac-sha512"
};

// "hmac-sha256", "HMAC-SHA256." and the like. Errors: Errc::invalid_value listing the supported
// algorithms (hmac-md5 is refused on purpose: RFC 8945 §6 says it should not be used).
[[nodiscard]] Result<TsigAlgorithm> parse_tsig_algorithm(std::string_view name);
// "hmac-sha1", "hmac-sha256", "hmac-sha512".
[[nodiscard]] std::string_view tsig_algorithm_name(TsigAlgorithm algorithm);
// Length of a full (untruncated) MAC: 20, 32 or 64 octets.
[[nodiscard]] std::size_t tsig_mac_size(TsigAlgorithm algorithm);

// ---- the UPDATE message (RFC 2136 §2) ----

// Replaces every TXT RR at `owner` with one TXT RR holding `text`, split into character-strings
// of at most 255 octets (RFC 1035 §3.3.14): an RRset delete (§2.5.2) then an add (§2.5.1),
// which the server applies in order (§3.4.2).
struct ReplaceTxt {
  std::string owner;
  std::uint32_t ttl = 0;  // at most 2^31 - 1 (RFC 2181 §8)
  std::string text;       // raw octets; empty gives one empty character-string
};

// Deletes the TXT RRset at `owner` (RFC 2136 §2.5.2); deleting nothing is not an error.
struct DeleteTxt {
  std::string owner;
};

using UpdateOperation = std::variant<ReplaceTxt, DeleteTxt>;

struct DnsUpdateRequest {
  std::uint16_t id = 0;  // the message ID; net picks it at random
  std::string zone;      // the zone section (ZNAME, type SOA, class IN)
  std::vector<UpdateOperation> operations;
};

// The UPDATE message: header (opcode 5, ZOCOUNT 1, PRCOUNT 0, UPCOUNT per operation, ADCOUNT 0),
// the zone section, then the update section; no prerequisites, no compression.
// Errors: Errc::invalid_value for a bad zone or owner name (message names it), an owner outside
// the zone, a TTL over 2^31 - 1, or no operation; Errc::too_large when the TXT data passes 65535
// octets of RDATA or the message passes 65535 octets.
[[nodiscard]] Result<DnsBytes> encode_update(const DnsUpdateRequest& request);

// `text` as TXT character-strings of at most 255 octets each; "" gives one empty string.
[[nodiscard]] std::vector<std::string> split_txt_strings(std::string_view text);

// ---- TSIG (RFC 8945) ----

inline constexpr std::uint16_t kDefaultTsigFudge = 300;  // RFC 8945 §10: 300 s recommended
inline constexpr std::uint64_t kMaxTsigTime = (std::uint64_t{1} << 48) - 1;

// RFC 8945 §4.3.3 TSIG variables (with the key and algorithm by name). `error` and
// `other_data` are 0 and empty in a request; a server sets them in a response (tests do).
struct TsigParameters {
  std::string key_name;
  TsigAlgorithm algorithm = TsigAlgorithm::hmac_sha256;
  std::uint64_t time_signed = 0;  // seconds since the epoch, at most kMaxTsigTime
  std::uint16_t fudge = kDefaultTsigFudge;
  std::uint16_t error = 0;
  DnsBytes other_data;
};

// The bytes a request's MAC covers (RFC 8945 §4.3.3): `message` (unsigned, with the ID it is
// sent with) followed by the TSIG variables of `params`.
// Errors: Errc::invalid_value for a bad key name or time, or a message shorter than a header.
[[nodiscard]] Result<DnsBytes> tsig_request_mac_input(std::span<const std::uint8_t> message,
                                                      const TsigParameters& params);

// The bytes a response's MAC covers (RFC 8945 §4.3.3, §5.3): the request's MAC (2-octet length,
// then the MAC), `message` (the response without its TSIG RR, ARCOUNT not counting it, with the
// original ID), then the TSIG variables. Errors as tsig_request_mac_input.
[[nodiscard]] Result<DnsBytes> tsig_response_mac_input(std::span<const std::uint8_t> request_mac,
                                                       std::span<const std::uint8_t> message,
                                                       const TsigParameters& params);

// `message` with a TSIG RR appended as the last additional record (ARCOUNT + 1), carrying
// `params`, `mac` and the message's own ID as the original ID (RFC 8945 §4.2).
// Errors: as tsig_request_mac_input; Errc::too_large past 65535 octets or ARCOUNT 65535.
[[nodiscard]] Result<DnsBytes> append_tsig(std::span<const std::uint8_t> message,
                                           const TsigParameters& params,
                                           std::span<const std::uint8_t> mac);

// ---- the response ----

// RCODE values of RFC 1035 §4.1.1 and RFC 2136 §2.2.
enum class DnsRcode : std::uint8_t {
  noerror = 0,
  formerr = 1,
  servfail = 2,
  nxdomain = 3,
  notimp = 4,
  refused = 5,
  yxdomain = 6,
  yxrrset = 7,
  nxrrset = 8,
  notauth = 9,
  notzone = 10,
};

// TSIG error values (RFC 8945 §3; the TSIG RR's Error field).
inline constexpr std::uint16_t kTsigBadSig = 16;
inline constexpr std::uint16_t kTsigBadKey = 17;
inline constexpr std::uint16_t kTsigBadTime = 18;
inline constexpr std::uint16_t kTsigBadTrunc = 22;

// "NOERROR", "REFUSED", ... for the RCODEs above, "RCODE 12" for any other value.
[[nodiscard]] std::string dns_rcode_name(std::uint8_t rcode);
// "BADSIG", "BADKEY", "BADTIME", "BADTRUNC", "NOERROR" for 0, "error 19" for any other value.
[[nodiscard]] std::string tsig_error_name(std::uint16_t error);

// The TSIG RR of a message (RFC 8945 §4.2), names in canonical wire form.
struct TsigRecord {
  DnsBytes key_name;
  DnsBytes algorithm;
  std::uint64_t time_signed = 0;
  std::uint16_t fudge = 0;
  DnsBytes mac;
  std::uint16_t original_id = 0;
  std::uint16_t error = 0;
  DnsBytes other_data;
  std::size_t offset = 0;  // where the TSIG RR starts in the message
};

struct DnsUpdateResponse {
  std::uint16_t id = 0;
  bool is_response = false;  // the QR bit
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;  // the header's 4-bit RCODE
  std::optional<TsigRecord> tsig;
};

// Parses a DNS message of untrusted origin: the header, every section walked with bounds checks
// (compression pointers followed backwards only, names at most 255 octets), and the TSIG RR,
// which must be the last additional record (RFC 8945 §5.2: anywhere else is malformed). It
// reads any message of this layout, requests included (the tests' fake servers use it).
// Errors: Errc::invalid_syntax saying what is malformed and where; never asserts or throws.
[[nodiscard]] Result<DnsUpdateResponse> parse_update_response(
    std::span<const std::uint8_t> message);

struct ResponseMacCheck {
  DnsBytes mac_input;  // HMAC this with the key's secret ...
  DnsBytes mac;        // ... and compare the result with this, in constant time
};

// Prepares the check of a response's signature for a request signed with `key_name` and
// `algorithm` whose MAC was `request_mac`. `message` is the raw response and `response` its
// parse. Errors (Errc::invalid_value, each message naming the cause): no TSIG RR (the message
// still names the RCODE); a TSIG error (BADSIG, BADKEY, BADTIME with the server's clock,
// BADTRUNC), which servers send unsigned; another key or algorithm; a MAC that is not of full
// length (truncation, RFC 8945 §5.2.2.1, is not accepted).
[[nodiscard]] Result<ResponseMacCheck> response_mac_check(
    std::span<const std::uint8_t> message, const DnsUpdateResponse& response,
    std::string_view key_name, TsigAlgorithm algorithm, std::span<const std::uint8_t> request_mac);

// RFC 8945 §5.2.3 (and §5.3.2 for the client): the signature's time is within its fudge of
// `now` (seconds since the epoch). Call after the MAC verified.
// Errors: Errc::invalid_value telling how far the clocks are apart.
[[nodiscard]] Result<void> check_tsig_time(const TsigRecord& tsig, std::uint64_t now);

// The outcome of an update in `zone` as a Result: NOERROR is success; any other RCODE, a message
// that is not a response, or an opcode other than UPDATE is Errc::invalid_value with a message
// an admin can act on (naming the zone and, when set, the key).
[[nodiscard]] Result<void> update_response_outcome(const DnsUpdateResponse& response,
                                                   std::string_view zone,
                                                   std::optional<std::string_view> key_name);

}  // namespace mtasts::core

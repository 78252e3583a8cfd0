// The response side of an RFC 2136 update: parsing (untrusted input), the RFC 8945 TSIG checks
// that need no secret, and the RCODE as an outcome an admin can act on.

#include <algorithm>

#include "dns_update/dns_update_wire.hpp"
#include "mtasts/core/dns_update/dns_update.hpp"

namespace mtasts::core {
namespace dns_wire {

std::optional<DnsBytes> Reader::name() {
  DnsBytes out;
  std::size_t at = offset_;
  std::size_t floor = offset_;  // every pointer must land strictly below this
  std::optional<std::size_t> resume;
  while (at < data_.size()) {
    const std::uint8_t length = data_[at];
    if ((length & 0xc0) == 0xc0) {
      if (at + 1 >= data_.size()) {
        return std::nullopt;
      }
      const std::size_t target = (std::size_t{length & 0x3fu} << 8) | data_[at + 1];
      if (target >= floor) {
        return std::nullopt;  // a forward pointer or a loop
      }
      if (!resume) {
        resume = at + 2;
      }
      at = floor = target;
      continue;
    }
    if ((length & 0xc0) != 0) {
      return std::nullopt;  // RFC 6891 §5 extended label types are not used in names here
    }
    if (length == 0) {
      out.push_back(0);
      offset_ = resume.value_or(at + 1);
      return out;
    }
    if (at + 1 + length > data_.size() || out.size() + 1 + length + 1 > kMaxName) {
      return std::nullopt;
    }
    out.push_back(length);
    for (std::size_t i = at + 1; i <= at + length; ++i) {
      const std::uint8_t c = data_[i];
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c - 'A' + 'a') : c);
    }
    at += 1 + length;
  }
  return std::nullopt;
}

}  // namespace dns_wire

namespace {

using namespace dns_wire;

tl::unexpected<Error> malformed(const std::string& what, std::size_t offset) {
  return fail(Errc::invalid_syntax,
              "malformed DNS answer: " + what + " at octet " + std::to_string(offset));
}

// The TSIG RDATA (RFC 8945 §4.2), read in place so a compressed algorithm name still parses.
Result<TsigRecord> read_tsig_rdata(Reader& reader, std::size_t rdlength) {
  const std::size_t start = reader.offset();
  TsigRecord tsig;
  auto algorithm = reader.name();
  const auto time_signed = algorithm ? reader.u48() : std::nullopt;
  const auto fudge = time_signed ? reader.u16() : std::nullopt;
  const auto mac_size = fudge ? reader.u16() : std::nullopt;
  auto mac = mac_size ? reader.bytes(*mac_size) : std::nullopt;
  const auto original_id = mac ? reader.u16() : std::nullopt;
  const auto error = original_id ? reader.u16() : std::nullopt;
  const auto other_size = error ? reader.u16() : std::nullopt;
  auto other = other_size ? reader.bytes(*other_size) : std::nullopt;
  if (!other || reader.offset() - start != rdlength) {
    return malformed("TSIG record data that does not match its length", start);
  }
  tsig.algorithm = std::move(*algorithm);
  tsig.time_signed = *time_signed;
  tsig.fudge = *fudge;
  tsig.mac = std::move(*mac);
  tsig.original_id = *original_id;
  tsig.error = *error;
  tsig.other_data = std::move(*other);
  return tsig;
}

// One RR of the answer, additional or authority sections; fills `tsig` for a TSIG RR.
Result<void> read_record(Reader& reader, bool last, std::optional<TsigRecord>& tsig) {
  const std::size_t start = reader.offset();
  auto owner = reader.name();
  if (!owner) {
    return malformed("a bad owner name", start);
  }
  const auto type = reader.u16();
  const auto rclass = type ? reader.u16() : std::nullopt;
  const auto ttl = rclass ? reader.u32() : std::nullopt;
  const auto rdlength = ttl ? reader.u16() : std::nullopt;
  if (!rdlength || reader.remaining() < *rdlength) {
    return malformed("a truncated record", start);
  }
  if (*type != kDnsTypeTsig) {
    reader.skip(*rdlength);
    return {};
  }
  // RFC 8945 §5.2: a TSIG RR anywhere but last in the additional section is FORMERR, and it
  // has class ANY and TTL 0 (§4.2).
  if (!last) {
    return malformed("a TSIG record that is not the last record", start);
  }
  if (*rclass != kDnsClassAny || *ttl != 0) {
    return malformed("a TSIG record with a class other than ANY or a TTL other than 0", start);
  }
  auto record = read_tsig_rdata(reader, *rdlength);
  if (!record) {
    return tl::unexpected(record.error());
  }
  record->key_name = std::move(*owner);
  record->offset = start;
  tsig = std::move(*record);
  return {};
}

std::string key_text(std::span<const std::uint8_t> wire) {
  return "'" + dns_name_text(wire) + "'";
}

std::string signed_time_skew(const TsigRecord& tsig) {
  if (tsig.other_data.size() != 6) {
    return "";
  }
  std::uint64_t server = 0;
  for (const std::uint8_t octet : tsig.other_data) {
    server = server << 8 | octet;
  }
  const bool ahead = server >= tsig.time_signed;
  const std::uint64_t skew = ahead ? server - tsig.time_signed : tsig.time_signed - server;
  return " (the server's clock is " + std::to_string(skew) + " s " +
         (ahead ? "ahead of" : "behind") + " this machine's)";
}

tl::unexpected<Error> tsig_error(const TsigRecord& tsig, std::string_view key_name) {
  const std::string key = "'" + std::string(key_name) + "'";
  switch (tsig.error) {
    case kTsigBadSig:
      return fail(Errc::invalid_value,
                  "the server could not verify the update's signature (BADSIG): is the secret of "
                  "key " +
                      key + " the one the server has?");
    case kTsigBadKey:
      // knot also answers BADKEY for a known key that the zone's ACL does not allow.
      return fail(Errc::invalid_value,
                  "the server does not know key " + key +
                      " or does not allow it for this zone (BADKEY): check the key name and "
                      "algorithm, and the zone's ACL (knot: an acl with action update; BIND: "
                      "allow-update or update-policy)");
    case kTsigBadTime:
      return fail(Errc::invalid_value,
                  "the server refused the time of the update's signature (BADTIME): the clocks "
                  "differ by more than the fudge" +
                      signed_time_skew(tsig) + "; synchronise this machine's clock (NTP)");
    case kTsigBadTrunc:
      return fail(Errc::invalid_value,
                  "the server refused the update's MAC as truncated (BADTRUNC)");
    default:
      return fail(Errc::invalid_value,
                  "the server answered with TSIG " + tsig_error_name(tsig.error));
  }
}

std::string zone_text(std::string_view zone) {
  if (!zone.empty() && zone.back() == '.') {
    zone.remove_suffix(1);
  }
  return "'" + std::string(zone) + "'";
}

}  // namespace

std::string dns_rcode_name(std::uint8_t rcode) {
  static constexpr std::string_view kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode < std::size(kNames)) {
    return std::string(kNames[rcode]);
  }
  return "RCODE " + std::to_string(rcode);
}

std::string tsig_error_name(std::uint16_t error) {
  switch (error) {
    case 0:
      return "NOERROR";
    case kTsigBadSig:
      return "BADSIG";
    case kTsigBadKey:
      return "BADKEY";
    case kTsigBadTime:
      return "BADTIME";
    case kTsigBadTrunc:
      return "BADTRUNC";
    default:
      return "error " + std::to_string(error);
  }
}

Result<DnsUpdateResponse> parse_update_response(std::span<const std::uint8_t> message) {
  if (message.size() < kHeaderSize) {
    return fail(Errc::invalid_syntax, "malformed DNS answer: " + std::to_string(message.size()) +
                                          " octets, shorter than a DNS header");
  }
  DnsUpdateResponse response;
  response.id = get16(message, 0);
  const std::uint16_t flags = get16(message, 2);
  response.is_response = (flags & 0x8000) != 0;
  response.opcode = static_cast<std::uint8_t>((flags >> 11) & 0x0f);
  response.rcode = static_cast<std::uint8_t>(flags & 0x0f);
  const std::size_t questions = get16(message, 4);
  const std::size_t records =
      std::size_t{get16(message, 6)} + get16(message, 8) + get16(message, 10);
  const bool has_additional = get16(message, 10) > 0;

  Reader reader(message);
  reader.skip(kHeaderSize);
  for (std::size_t i = 0; i < questions; ++i) {
    const std::size_t start = reader.offset();
    if (!reader.name() || !reader.skip(4)) {
      return malformed("a bad zone or question entry", start);
    }
  }
  for (std::size_t i = 0; i < records; ++i) {
    const bool last = has_additional && i + 1 == records;
    if (auto read = read_record(reader, last, response.tsig); !read) {
      return tl::unexpected(read.error());
    }
  }
  if (reader.remaining() != 0) {
    return malformed(std::to_string(reader.remaining()) + " octets after the last record",
                     reader.offset());
  }
  return response;
}

Result<ResponseMacCheck> response_mac_check(std::span<const std::uint8_t> message,
                                            const DnsUpdateResponse& response,
                                            std::string_view key_name, TsigAlgorithm algorithm,
                                            std::span<const std::uint8_t> request_mac) {
  if (!response.tsig) {
    return fail(Errc::invalid_value, "the server's answer (" + dns_rcode_name(response.rcode) +
                                         ") is not signed, but the update was signed with key '" +
                                         std::string(key_name) +
                                         "': only signed answers are accepted");
  }
  const TsigRecord& tsig = *response.tsig;
  if (tsig.error != 0) {
    return tsig_error(tsig, key_name);
  }
  auto key = encode_dns_name(key_name);
  auto expected_algorithm = encode_dns_name(tsig_algorithm_name(algorithm));
  if (!key || !expected_algorithm) {
    return fail(Errc::invalid_value,
                "TSIG key name: " + (key ? expected_algorithm.error() : key.error()).message);
  }
  if (tsig.key_name != *key || tsig.algorithm != *expected_algorithm) {
    return fail(Errc::invalid_value, "the answer is signed with key " + key_text(tsig.key_name) +
                                         " (" + dns_name_text(tsig.algorithm) + "), not '" +
                                         std::string(key_name) + "' (" +
                                         std::string(tsig_algorithm_name(algorithm)) + ")");
  }
  if (tsig.mac.size() != tsig_mac_size(algorithm)) {
    return fail(Errc::invalid_value,
                "the answer's MAC is " + std::to_string(tsig.mac.size()) + " octets, not " +
                    std::to_string(tsig_mac_size(algorithm)) + ": truncated MACs are not accepted");
  }
  if (tsig.offset < kHeaderSize || tsig.offset > message.size() || get16(message, 10) == 0) {
    return fail(Errc::invalid_value, "the TSIG record does not belong to this message");
  }
  // RFC 8945 §4.3.1: the MAC covers the message as it was before the TSIG RR was added: ARCOUNT
  // without it and the original ID.
  DnsBytes unsigned_message(message.begin(),
                            message.begin() + static_cast<std::ptrdiff_t>(tsig.offset));
  set16(unsigned_message, 0, tsig.original_id);
  set16(unsigned_message, 10, static_cast<std::uint16_t>(get16(message, 10) - 1));

  TsigParameters params;
  params.time_signed = tsig.time_signed;
  params.fudge = tsig.fudge;
  params.error = tsig.error;
  params.other_data = tsig.other_data;
  ResponseMacCheck check;
  // Reserving first also keeps GCC 12's -Warray-bounds (a false positive on the inserts into
  // a two-byte vector, at -O3) quiet.
  check.mac_input.reserve(2 + request_mac.size() + unsigned_message.size() + 512);
  put16(check.mac_input, static_cast<std::uint16_t>(request_mac.size()));
  put_bytes(check.mac_input, request_mac);
  put_bytes(check.mac_input, unsigned_message);
  put_tsig_variables(check.mac_input, tsig.key_name, tsig.algorithm, params);
  check.mac = tsig.mac;
  return check;
}

Result<void> check_tsig_time(const TsigRecord& tsig, std::uint64_t now) {
  const std::uint64_t skew =
      now >= tsig.time_signed ? now - tsig.time_signed : tsig.time_signed - now;
  if (skew > tsig.fudge) {
    return fail(Errc::invalid_value, "the answer was signed " + std::to_string(skew) + " s " +
                                         (now >= tsig.time_signed ? "before" : "after") +
                                         " this machine's time, more than its fudge of " +
                                         std::to_string(tsig.fudge) +
                                         " s: are the clocks in sync?");
  }
  return {};
}

Result<void> update_response_outcome(const DnsUpdateResponse& response, std::string_view zone,
                                     std::optional<std::string_view> key_name) {
  if (!response.is_response) {
    return fail(Errc::invalid_value, "the server's message is not a response (QR bit clear)");
  }
  if (response.opcode != kDnsOpcodeUpdate) {
    return fail(Errc::invalid_value, "the server answered with opcode " +
                                         std::to_string(response.opcode) + ", not UPDATE (5)");
  }
  const std::string z = zone_text(zone);
  const std::string key = key_name ? "key '" + std::string(*key_name) + "'" : "";
  if (response.rcode > static_cast<std::uint8_t>(DnsRcode::notzone)) {
    return fail(Errc::invalid_value, "the server answered " + dns_rcode_name(response.rcode) +
                                         " to the update of zone " + z);
  }
  const std::string prerequisite =
      " to an update without prerequisites: the server for zone " + z + " is misbehaving";
  switch (static_cast<DnsRcode>(response.rcode)) {
    case DnsRcode::noerror:
      return {};
    case DnsRcode::formerr:
      return fail(Errc::invalid_value,
                  "the server could not parse the update of zone " + z +
                      " (FORMERR): does it support dynamic updates (RFC 2136)?");
    case DnsRcode::servfail:
      return fail(Errc::invalid_value, "the server failed to apply the update of zone " + z +
                                           " (SERVFAIL): see its log; a later attempt may work");
    case DnsRcode::nxdomain:
    case DnsRcode::yxdomain:
    case DnsRcode::yxrrset:
    case DnsRcode::nxrrset:
      return fail(Errc::invalid_value,
                  "the server answered " + dns_rcode_name(response.rcode) + prerequisite);
    case DnsRcode::notimp:
      return fail(Errc::invalid_value,
                  "the server does not implement dynamic updates (NOTIMP): enable them for zone " +
                      z + " (knot: an acl with action update; BIND: allow-update)");
    case DnsRcode::refused:
      return fail(Errc::invalid_value,
                  "the server refused the update (REFUSED): " +
                      (key_name ? "is " + key + " allowed to update zone " + z + "?"
                                : "are unsigned updates of zone " + z +
                                      " allowed from this address? (a TSIG key is usually "
                                      "needed)"));
    case DnsRcode::notauth:
      // RFC 8945 §3 reuses NOTAUTH for "not authorized": servers answer it to unsigned
      // updates a zone does not allow as well as for zones they do not have.
      return fail(Errc::invalid_value,
                  "the server is not authoritative for zone " + z +
                      " or did not authorize the update (NOTAUTH): check the zone name and the "
                      "server address, and " +
                      (key_name ? "that " + key + " may update the zone"
                                : "whether the zone needs a TSIG key"));
    case DnsRcode::notzone:
      return fail(Errc::invalid_value, "a name in the update is outside zone " + z +
                                           " as the server sees it (NOTZONE): check the zone name");
  }
  return fail(Errc::invalid_value, "the server answered " + dns_rcode_name(response.rcode));
}

}  // namespace mtasts::core

// Building RFC 2136 UPDATE messages and the RFC 8945 TSIG of a request. The response side is
// in dns_update_response.cpp.

#include "mtasts/core/dns_update/dns_update.hpp"

#include <algorithm>

#include "dns_update/dns_update_wire.hpp"

namespace mtasts::core {
namespace {

using namespace dns_wire;

constexpr std::uint16_t kFlagsUpdate = std::uint16_t{kDnsOpcodeUpdate} << 11;  // QR = 0
constexpr std::uint32_t kMaxTtl = 0x7fffffff;                                  // RFC 2181 §8
constexpr std::size_t kMaxTxtString = 255;                                     // RFC 1035 §3.3

bool name_octet_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string quoted(std::string_view name) {
  constexpr std::size_t kShown = 80;
  return "'" + std::string(name.substr(0, kShown)) + (name.size() > kShown ? "...'" : "'");
}

// RFC 2136 §2.5.2 (delete an RRset: class ANY, TTL 0, no RDATA) and §2.5.1 (add to an RRset).
void put_delete_txt(DnsBytes& out, const DnsBytes& owner) {
  put_bytes(out, owner);
  put16(out, kDnsTypeTxt);
  put16(out, kDnsClassAny);
  put32(out, 0);
  put16(out, 0);
}

Result<void> put_add_txt(DnsBytes& out, const DnsBytes& owner, std::uint32_t ttl,
                         std::string_view text) {
  DnsBytes rdata;
  for (const std::string& piece : split_txt_strings(text)) {
    put8(rdata, static_cast<std::uint8_t>(piece.size()));
    rdata.insert(rdata.end(), piece.begin(), piece.end());
  }
  if (rdata.size() > 0xffff) {
    return fail(Errc::too_large, "the TXT text of " + std::to_string(text.size()) +
                                     " octets does not fit in one record (65535 octets of data)");
  }
  put_bytes(out, owner);
  put16(out, kDnsTypeTxt);
  put16(out, kDnsClassIn);
  put32(out, ttl);
  put16(out, static_cast<std::uint16_t>(rdata.size()));
  put_bytes(out, rdata);
  return {};
}

Result<DnsBytes> owner_in_zone(std::string_view owner, const DnsBytes& zone,
                               std::string_view zone_text) {
  auto wire = encode_dns_name(owner);
  if (!wire) {
    return tl::unexpected(wire.error());
  }
  if (!dns_name_in_zone(*wire, zone)) {
    return fail(Errc::invalid_value,
                "the name " + quoted(owner) + " is not inside zone " + quoted(zone_text));
  }
  return wire;
}

// Appends one operation's RRs; returns how many it wrote.
Result<std::size_t> put_operation(DnsBytes& out, const UpdateOperation& operation,
                                  const DnsBytes& zone, std::string_view zone_text) {
  if (const auto* replace = std::get_if<ReplaceTxt>(&operation)) {
    auto owner = owner_in_zone(replace->owner, zone, zone_text);
    if (!owner) {
      return tl::unexpected(owner.error());
    }
    if (replace->ttl > kMaxTtl) {
      return fail(Errc::invalid_value, "TTL " + std::to_string(replace->ttl) +
                                           " is over 2147483647 (RFC 2181 section 8)");
    }
    put_delete_txt(out, *owner);
    auto added = put_add_txt(out, *owner, replace->ttl, replace->text);
    if (!added) {
      return tl::unexpected(added.error());
    }
    return 2;
  }
  const auto& remove = std::get<DeleteTxt>(operation);
  auto owner = owner_in_zone(remove.owner, zone, zone_text);
  if (!owner) {
    return tl::unexpected(owner.error());
  }
  put_delete_txt(out, *owner);
  return 1;
}

Result<DnsBytes> algorithm_wire(TsigAlgorithm algorithm) {
  return encode_dns_name(tsig_algorithm_name(algorithm));
}

// The key and algorithm names of a TSIG record, in wire form.
struct TsigNames {
  DnsBytes key;
  DnsBytes algorithm;
};

// Checks `message` and `params` for signing and encodes the names of the TSIG record.
Result<TsigNames> tsig_names(std::span<const std::uint8_t> message, const TsigParameters& params) {
  if (message.size() < kHeaderSize) {
    return fail(Errc::invalid_value, "a DNS message is at least 12 octets long");
  }
  if (params.time_signed > kMaxTsigTime) {
    return fail(Errc::invalid_value, "the TSIG time does not fit in 48 bits");
  }
  if (params.other_data.size() > 0xffff) {
    return fail(Errc::too_large, "TSIG other data over 65535 octets");
  }
  auto key = encode_dns_name(params.key_name);
  if (!key) {
    return fail(Errc::invalid_value, "TSIG key name: " + key.error().message);
  }
  auto algorithm = algorithm_wire(params.algorithm);
  if (!algorithm) {
    return tl::unexpected(algorithm.error());
  }
  return TsigNames{std::move(*key), std::move(*algorithm)};
}

}  // namespace

namespace dns_wire {

// RFC 8945 §4.3.3: the TSIG variables, names in canonical (lowercase, uncompressed) form.
void put_tsig_variables(DnsBytes& out, std::span<const std::uint8_t> key_name,
                        std::span<const std::uint8_t> algorithm, const TsigParameters& params) {
  put_bytes(out, key_name);
  put16(out, kDnsClassAny);
  put32(out, 0);  // TTL
  put_bytes(out, algorithm);
  put48(out, params.time_signed);
  put16(out, params.fudge);
  put16(out, params.error);
  put16(out, static_cast<std::uint16_t>(params.other_data.size()));
  put_bytes(out, params.other_data);
}

}  // namespace dns_wire

Result<DnsBytes> encode_dns_name(std::string_view name) {
  std::string_view rest = name;
  if (!rest.empty() && rest.back() == '.') {
    rest.remove_suffix(1);
  }
  if (rest.empty()) {
    return fail(Errc::invalid_value, "an empty name (or the root) is not allowed here");
  }
  DnsBytes out;
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (label.empty()) {
      return fail(Errc::invalid_value, "the name " + quoted(name) + " has an empty label");
    }
    if (label.size() > kMaxLabel) {
      return fail(Errc::invalid_value, "the name " + quoted(name) + " has a label of " +
                                           std::to_string(label.size()) + " octets (at most 63)");
    }
    if (!std::all_of(label.begin(), label.end(), name_octet_ok)) {
      return fail(
          Errc::invalid_value,
          "the name " + quoted(name) + " has a character other than letters, digits, '-' and '_'");
    }
    put8(out, static_cast<std::uint8_t>(label.size()));
    std::transform(label.begin(), label.end(), std::back_inserter(out),
                   [](char c) { return static_cast<std::uint8_t>(lower(c)); });
    if (dot == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(dot + 1);
  }
  put8(out, 0);
  if (out.size() > kMaxName) {
    return fail(Errc::invalid_value, "the name " + quoted(name) + " is longer than 255 octets");
  }
  return out;
}

std::string dns_name_text(std::span<const std::uint8_t> wire) {
  std::string out;
  std::size_t at = 0;
  while (at < wire.size() && wire[at] != 0 && wire[at] <= kMaxLabel &&
         at + 1 + wire[at] <= wire.size()) {
    if (!out.empty()) {
      out += '.';
    }
    for (std::size_t i = at + 1; i < at + 1 + wire[at]; ++i) {
      const char c = static_cast<char>(wire[i]);
      if (name_octet_ok(c)) {
        out += c;
      } else {
        const int value = wire[i];
        out += '\\';
        out += static_cast<char>('0' + value / 100);
        out += static_cast<char>('0' + value / 10 % 10);
        out += static_cast<char>('0' + value % 10);
      }
    }
    at += 1 + std::size_t{wire[at]};
  }
  return out;
}

bool dns_name_in_zone(std::span<const std::uint8_t> name, std::span<const std::uint8_t> zone) {
  std::size_t at = 0;
  while (at < name.size()) {
    if (name.size() - at == zone.size() &&
        std::equal(zone.begin(), zone.end(), name.begin() + static_cast<std::ptrdiff_t>(at))) {
      return true;
    }
    if (name[at] == 0) {
      return false;
    }
    at += 1 + std::size_t{name[at]};
  }
  return false;
}

Result<TsigAlgorithm> parse_tsig_algorithm(std::string_view name) {
  std::string lowered;
  std::transform(name.begin(), name.end(), std::back_inserter(lowered), lower);
  if (!lowered.empty() && lowered.back() == '.') {
    lowered.pop_back();
  }
  for (const TsigAlgorithm algorithm :
       {TsigAlgorithm::hmac_sha1, TsigAlgorithm::hmac_sha256, TsigAlgorithm::hmac_sha512}) {
    if (lowered == tsig_algorithm_name(algorithm)) {
      return algorithm;
    }
  }
  return fail(Errc::invalid_value, "unsupported TSIG algorithm " + quoted(name) +
                                       " (supported: hmac-sha256, hmac-sha512, hmac-sha1)");
}

std::string_view tsig_algorithm_name(TsigAlgorithm algorithm) {
  switch (algorithm) {
    case TsigAlgorithm::hmac_sha1:
      return "hmac-sha1";
    case TsigAlgorithm::hmac_sha256:
      return "hmac-sha256";
    case TsigAlgorithm::hmac_sha512:
      return "hmac-sha512";
  }
  return "hmac-sha256";
}

std::size_t tsig_mac_size(TsigAlgorithm algorithm) {
  switch (algorithm) {
    case TsigAlgorithm::hmac_sha1:
      return 20;
    case TsigAlgorithm::hmac_sha256:
      return 32;
    case TsigAlgorithm::hmac_sha512:
      return 64;
  }
  return 32;
}

std::vector<std::string> split_txt_strings(std::string_view text) {
  std::vector<std::string> out;
  do {
    out.emplace_back(text.substr(0, kMaxTxtString));
    text.remove_prefix(std::min(text.size(), kMaxTxtString));
  } while (!text.empty());
  return out;
}

Result<DnsBytes> encode_update(const DnsUpdateRequest& request) {
  auto zone = encode_dns_name(request.zone);
  if (!zone) {
    return fail(Errc::invalid_value, "zone: " + zone.error().message);
  }
  if (request.operations.empty()) {
    return fail(Errc::invalid_value, "an update needs at least one operation");
  }
  DnsBytes out;
  put16(out, request.id);
  put16(out, kFlagsUpdate);
  put16(out, 1);  // ZOCOUNT
  put16(out, 0);  // PRCOUNT
  put16(out, 0);  // UPCOUNT, set below
  put16(out, 0);  // ADCOUNT
  put_bytes(out, *zone);
  put16(out, kDnsTypeSoa);
  put16(out, kDnsClassIn);
  std::size_t records = 0;
  for (const UpdateOperation& operation : request.operations) {
    auto written = put_operation(out, operation, *zone, request.zone);
    if (!written) {
      return tl::unexpected(written.error());
    }
    records += *written;
    if (records > 0xffff || out.size() > kMaxDnsMessage) {
      return fail(Errc::too_large, "the update does not fit in one DNS message (65535 octets)");
    }
  }
  set16(out, 8, static_cast<std::uint16_t>(records));
  return out;
}

Result<DnsBytes> tsig_request_mac_input(std::span<const std::uint8_t> message,
                                        const TsigParameters& params) {
  return tsig_response_mac_input({}, message, params).transform([&](DnsBytes input) {
    // A request has no prior MAC, not even its length (RFC 8945 §4.3.1).
    input.erase(input.begin(), input.begin() + 2);
    return input;
  });
}

Result<DnsBytes> tsig_response_mac_input(std::span<const std::uint8_t> request_mac,
                                         std::span<const std::uint8_t> message,
                                         const TsigParameters& params) {
  auto names = tsig_names(message, params);
  if (!names) {
    return tl::unexpected(names.error());
  }
  if (request_mac.size() > 0xffff) {
    return fail(Errc::too_large, "a request MAC over 65535 octets");
  }
  DnsBytes out;
  put16(out, static_cast<std::uint16_t>(request_mac.size()));
  put_bytes(out, request_mac);
  put_bytes(out, message);
  put_tsig_variables(out, names->key, names->algorithm, params);
  return out;
}

Result<DnsBytes> append_tsig(std::span<const std::uint8_t> message, const TsigParameters& params,
                             std::span<const std::uint8_t> mac) {
  auto names = tsig_names(message, params);
  if (!names) {
    return tl::unexpected(names.error());
  }
  const std::uint16_t additional = get16(message, 10);
  if (additional == 0xffff || mac.size() > 0xffff) {
    return fail(Errc::too_large, "no room for a TSIG record in this message");
  }
  DnsBytes rdata;
  put_bytes(rdata, names->algorithm);
  put48(rdata, params.time_signed);
  put16(rdata, params.fudge);
  put16(rdata, static_cast<std::uint16_t>(mac.size()));
  put_bytes(rdata, mac);
  put16(rdata, get16(message, 0));  // original ID (RFC 8945 §4.2)
  put16(rdata, params.error);
  put16(rdata, static_cast<std::uint16_t>(params.other_data.size()));
  put_bytes(rdata, params.other_data);
  if (rdata.size() > 0xffff) {
    return fail(Errc::too_large, "the TSIG record does not fit in 65535 octets");
  }

  DnsBytes out(message.begin(), message.end());
  set16(out, 10, static_cast<std::uint16_t>(additional + 1));
  put_bytes(out, names->key);
  put16(out, kDnsTypeTsig);
  put16(out, kDnsClassAny);
  put32(out, 0);
  put16(out, static_cast<std::uint16_t>(rdata.size()));
  put_bytes(out, rdata);
  if (out.size() > kMaxDnsMessage) {
    return fail(Errc::too_large, "the signed update does not fit in one DNS message");
  }
  return out;
}

}  // namespace mtasts::core

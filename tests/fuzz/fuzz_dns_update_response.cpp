// Fuzzes the parser of answers to RFC 2136 updates (core/dns_update.hpp) and everything that
// reads its result: never a crash or an out-of-bounds read, and the invariants below.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "mtasts/core/dns_update/dns_update.hpp"

namespace {

using namespace mtasts::core;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void check_wire_name(const DnsBytes& name) {
  check(!name.empty() && name.size() <= 255 && name.back() == 0);
  for (const std::uint8_t octet : name) {
    check(octet < 'A' || octet > 'Z');
  }
}

// A parsed TSIG written back by append_tsig and parsed again gives the same fields.
void check_round_trip(std::span<const std::uint8_t> message, const TsigRecord& tsig) {
  const std::string key = dns_name_text(tsig.key_name);
  const auto algorithm = parse_tsig_algorithm(dns_name_text(tsig.algorithm));
  if (!algorithm || !encode_dns_name(key) || *encode_dns_name(key) != tsig.key_name) {
    return;
  }
  DnsBytes stripped(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(tsig.offset));
  // ARCOUNT without the TSIG RR (which is counted there: it is the last additional record).
  const auto additional = static_cast<std::uint16_t>(((message[10] << 8) | message[11]) - 1);
  stripped[10] = static_cast<std::uint8_t>(additional >> 8);
  stripped[11] = static_cast<std::uint8_t>(additional & 0xff);
  stripped[0] = static_cast<std::uint8_t>(tsig.original_id >> 8);
  stripped[1] = static_cast<std::uint8_t>(tsig.original_id & 0xff);
  const TsigParameters params{key,        *algorithm, tsig.time_signed,
                              tsig.fudge, tsig.error, tsig.other_data};
  const auto again = append_tsig(stripped, params, tsig.mac);
  check(again.has_value());
  const auto reparsed = parse_update_response(*again);
  check(reparsed.has_value() && reparsed->tsig.has_value());
  const TsigRecord& other = *reparsed->tsig;
  check(other.key_name == tsig.key_name && other.algorithm == tsig.algorithm &&
        other.time_signed == tsig.time_signed && other.fudge == tsig.fudge &&
        other.mac == tsig.mac && other.original_id == tsig.original_id &&
        other.error == tsig.error && other.other_data == tsig.other_data &&
        other.offset == tsig.offset);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> message(data, size);
  const auto response = parse_update_response(message);
  if (!response) {
    check(!response.error().message.empty());
    return 0;
  }
  check(size >= 12);
  check(response->opcode < 16 && response->rcode < 16);
  (void)update_response_outcome(*response, "sts.provider.test", "mtasts-key");
  (void)update_response_outcome(*response, "sts.provider.test", std::nullopt);
  if (!response->tsig) {
    check(!response_mac_check(message, *response, "k", TsigAlgorithm::hmac_sha256, {}));
    return 0;
  }
  const TsigRecord& tsig = *response->tsig;
  check(tsig.offset >= 12 && tsig.offset < size);
  check_wire_name(tsig.key_name);
  check_wire_name(tsig.algorithm);
  check(tsig.time_signed <= kMaxTsigTime);
  (void)check_tsig_time(tsig, 1700000000);
  check_round_trip(message, tsig);

  const DnsBytes request_mac(32, 0x5a);
  for (const TsigAlgorithm algorithm :
       {TsigAlgorithm::hmac_sha1, TsigAlgorithm::hmac_sha256, TsigAlgorithm::hmac_sha512}) {
    const std::string key = dns_name_text(tsig.key_name);
    const auto mac_check = response_mac_check(message, *response, key, algorithm, request_mac);
    if (mac_check) {
      // RFC 8945 §4.3.3: prior MAC, the message up to the TSIG RR, then the variables.
      check(mac_check->mac == tsig.mac && mac_check->mac.size() == tsig_mac_size(algorithm));
      check(mac_check->mac_input.size() == 2 + request_mac.size() + tsig.offset +
                                               tsig.key_name.size() + 6 + tsig.algorithm.size() +
                                               12 + tsig.other_data.size());
    }
  }
  return 0;
}

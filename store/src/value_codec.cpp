#include "mtasts/store/value_codec.hpp"

#include <charconv>
#include <cstdint>
#include <optional>

#include "mtasts/core/sts/policy.hpp"

namespace mtasts::store {
namespace {

constexpr std::string_view kVersion = "1:";
constexpr std::size_t kMaxDigits = 12;  // kMaxStoredTime has 12 digits

void append_number(std::string& out, std::int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// Reads "<digits>:" from the front of `rest`: no sign, no leading zero, at most kMaxDigits.
std::optional<std::int64_t> take_number(std::string_view& rest) {
  const std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > kMaxDigits) {
    return std::nullopt;
  }
  const std::string_view digits = rest.substr(0, colon);
  // Digits only (from_chars would take "-0"), no leading zero: one encoding per value.
  if ((digits.size() > 1 && digits.front() == '0') ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  rest.remove_prefix(colon + 1);
  return value;
}

tl::unexpected<Error> corrupt(std::string_view domain, std::string_view what) {
  return fail(Errc::corrupt,
              "stored value for " + std::string(domain) + " is corrupt: " + std::string(what));
}

}  // namespace

std::string encode_policy_value(const StoredPolicy& policy) {
  std::string out;
  out.reserve(kVersion.size() + 3 * (kMaxDigits + 1) + policy.id.size() + policy.body.size());
  out += kVersion;
  append_number(out, policy.fetched_at.time_since_epoch().count());
  out += ':';
  append_number(out, policy.expires_at.time_since_epoch().count());
  out += ':';
  append_number(out, static_cast<std::int64_t>(policy.id.size()));
  out += ':';
  out += policy.id;
  out += policy.body;
  return out;
}

Result<StoredPolicy> decode_policy_value(std::string_view domain, std::string_view value) {
  if (!value.starts_with(kVersion)) {
    return corrupt(domain, "unknown format version");
  }
  std::string_view rest = value.substr(kVersion.size());
  const auto fetched = take_number(rest);
  const auto expires = fetched ? take_number(rest) : std::nullopt;
  const auto id_size = expires ? take_number(rest) : std::nullopt;
  if (!id_size) {
    return corrupt(domain, "malformed header");
  }
  if (*fetched > *expires || *expires > kMaxStoredTime) {
    return corrupt(domain, "times out of order or range");
  }
  if (static_cast<std::uint64_t>(*id_size) > kMaxIdSize ||
      static_cast<std::uint64_t>(*id_size) > rest.size()) {
    return corrupt(domain, "id too long or cut short");
  }
  const auto id_length = static_cast<std::size_t>(*id_size);
  if (rest.size() - id_length > core::kMaxPolicySize) {
    return corrupt(domain, "body too long");
  }
  StoredPolicy policy;
  policy.domain = std::string(domain);
  policy.id = std::string(rest.substr(0, id_length));
  policy.body = std::string(rest.substr(id_length));
  policy.fetched_at = TimePoint(std::chrono::seconds(*fetched));
  policy.expires_at = TimePoint(std::chrono::seconds(*expires));
  if (auto valid = validate(policy); !valid) {
    return corrupt(domain, valid.error().message);
  }
  return policy;
}

}  // namespace mtasts::store

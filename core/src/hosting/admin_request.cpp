#include "mtasts/core/hosting/admin_request.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "hosting/hosted_policy_check.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/sts/sts_record.hpp"
#include "sts/policy_fields.hpp"

namespace mtasts::core {
namespace {

// Insertion order kept, so the first problem reported is the first in the body.
using Json = nlohmann::ordered_json;
using Refusal = tl::unexpected<RequestError>;

Refusal refuse(std::string field, std::string message) {
  return Refusal(RequestError{std::move(field), std::move(message)});
}

// Where a body stops being JSON: nlohmann's SAX interface reports it here instead of throwing.
class ErrorPosition final : public nlohmann::json_sax<Json> {
 public:
  std::size_t position = 0;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t at, const std::string&,
                   const nlohmann::detail::exception&) override {
    position = at;
    return false;
  }
};

// The body as a JSON object whose members each appear once.
tl::expected<Json, RequestError> parse_object(std::string_view text) {
  if (text.size() > kMaxAdminBodySize) {
    return refuse("", "the body is " + std::to_string(text.size()) + " bytes; at most " +
                          std::to_string(kMaxAdminBodySize));
  }
  // A repeated member would silently replace the first (RFC 8259 §4 leaves it open): refused.
  std::vector<std::string> keys;
  std::optional<std::string> repeated;
  const Json::parser_callback_t note_key = [&keys, &repeated](int depth, Json::parse_event_t event,
                                                              Json& parsed) {
    if (event != Json::parse_event_t::key || depth != 1 || repeated) {
      return true;
    }
    if (const auto* key = parsed.get_ptr<const Json::string_t*>()) {
      if (std::find(keys.begin(), keys.end(), *key) != keys.end()) {
        repeated = *key;
      } else {
        keys.push_back(*key);
      }
    }
    return true;
  };
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return refuse("", "the body is empty; a JSON object is expected");
  }
  const char* first = text.data();
  Json value = Json::parse(first, first + text.size(), note_key, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    ErrorPosition where;
    Json::sax_parse(first, first + text.size(), &where);
    return refuse("",
                  "the body is not valid JSON (at byte " + std::to_string(where.position) + ")");
  }
  if (!value.is_object()) {
    return refuse("", "the body must be a JSON object");
  }
  if (repeated) {
    return refuse(*repeated, "appears more than once");
  }
  return value;
}

enum class Member { domain, mode, mx, max_age, records };

struct MemberName {
  std::string_view name;
  Member member;
};

constexpr std::array<MemberName, 5> kMembers = {{{"domain", Member::domain},
                                                 {"mode", Member::mode},
                                                 {"mx", Member::mx},
                                                 {"max_age", Member::max_age},
                                                 {"records", Member::records}}};

std::optional<Member> member_of(std::string_view key) {
  for (const MemberName& m : kMembers) {
    if (m.name == key) {
      return m.member;
    }
  }
  return std::nullopt;
}

tl::expected<std::string, RequestError> read_domain(const Json& value) {
  const auto* text = value.get_ptr<const Json::string_t*>();
  if (text == nullptr) {
    return refuse("domain", "must be a string");
  }
  Result<std::string> name = normalize_domain(*text);
  if (!name) {
    return refuse("domain", name.error().message);
  }
  if (is_address_literal(*name)) {
    return refuse("domain", "an IP address has no MTA-STS policy (RFC 8461 §3.4)");
  }
  if (name->find('.') == std::string::npos) {
    return refuse("domain", "\"" + *name + "\" needs at least two labels");
  }
  // The record name _mta-sts.<domain> must be a valid name too (RFC 1035 §2.3.4).
  if (name->size() + kStsRecordPrefix.size() > kMaxDomainLength) {
    return refuse("domain", "too long: _mta-sts.<domain> would exceed " +
                                std::to_string(kMaxDomainLength) + " characters");
  }
  return std::move(*name);
}

// A string field that must be one of a few words: `parse` reads it (nullopt for any other
// text), `allowed` says which words a refusal of `field` lists.
template <class Parse>
auto read_choice(const Json& value, const char* field, Parse parse, const char* allowed)
    -> tl::expected<typename std::invoke_result_t<Parse, std::string_view>::value_type,
                    RequestError> {
  const auto* text = value.get_ptr<const Json::string_t*>();
  const auto choice =
      text != nullptr ? parse(*text) : std::invoke_result_t<Parse, std::string_view>();
  if (!choice) {
    return refuse(field, allowed);
  }
  return *choice;
}

tl::expected<PolicyMode, RequestError> read_mode(const Json& value) {
  return read_choice(value, "mode", parse_mode_value,
                     "must be \"enforce\", \"testing\" or \"none\"");
}

tl::expected<RecordMode, RequestError> read_records(const Json& value) {
  return read_choice(value, "records", parse_record_mode, "must be \"self\" or \"delegated\"");
}

tl::expected<std::vector<std::string>, RequestError> read_mx(const Json& value) {
  if (!value.is_array()) {
    return refuse("mx", "must be an array of strings");
  }
  if (value.size() > kHostedMaxMx) {
    return refuse(
        "mx", std::to_string(value.size()) + " patterns; at most " + std::to_string(kHostedMaxMx));
  }
  std::vector<std::string> mx;
  mx.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string field = "mx[" + std::to_string(i) + "]";
    const auto* text = value[i].get_ptr<const Json::string_t*>();
    if (text == nullptr) {
      return refuse(field, "must be a string");
    }
    auto pattern = check_mx_entry(*text);
    if (!pattern) {
      return refuse(field, pattern.error());
    }
    mx.push_back(std::move(*pattern));
  }
  return mx;
}

tl::expected<std::uint32_t, RequestError> read_max_age(const Json& value) {
  const std::string range = "must be a whole number of seconds from 1 to " +
                            std::to_string(kMaxPolicyMaxAge) + " (RFC 8461 §3.2)";
  if (value.is_number_float()) {
    return refuse("max_age", range + ", without fraction or exponent");
  }
  if (!value.is_number_unsigned()) {
    return refuse("max_age", value.is_number_integer()
                                 ? range
                                 : range + ", not " + std::string(value.type_name()));
  }
  const auto seconds = value.get<std::uint64_t>();
  if (seconds < 1 || seconds > kMaxPolicyMaxAge) {
    return refuse("max_age", range);
  }
  return static_cast<std::uint32_t>(seconds);
}

// mode, mx and max_age, read alike into a DomainCreate or a DomainUpdate.
template <class Request>
tl::expected<void, RequestError> read_policy_member(Member member, const Json& value,
                                                    Request& out) {
  if (member == Member::mode) {
    const auto mode = read_mode(value);
    if (!mode) {
      return tl::unexpected(mode.error());
    }
    out.mode = *mode;
  } else if (member == Member::mx) {
    auto mx = read_mx(value);
    if (!mx) {
      return tl::unexpected(mx.error());
    }
    out.mx = std::move(*mx);
  } else {
    const auto max_age = read_max_age(value);
    if (!max_age) {
      return tl::unexpected(max_age.error());
    }
    out.max_age = *max_age;
  }
  return {};
}

// Parses `json` as an object and calls `read(member, key, value)` for each of its members, in
// order, until one fails; a member of no known name is refused, listing `expected`.
template <class Read>
tl::expected<void, RequestError> read_members(std::string_view json, std::string_view expected,
                                              Read read) {
  const auto object = parse_object(json);
  if (!object) {
    return tl::unexpected(object.error());
  }
  for (const auto& [key, value] : object->items()) {
    const std::optional<Member> member = member_of(key);
    if (!member) {
      return refuse(key, "unknown member; expected " + std::string(expected));
    }
    if (auto done = read(*member, key, value); !done) {
      return done;
    }
  }
  return {};
}

}  // namespace

tl::expected<DomainCreate, RequestError> parse_domain_create(std::string_view json) {
  DomainCreate out;
  bool has_domain = false;
  auto read = read_members(json, "domain, mode, mx, max_age or records",
                           [&](Member member, const std::string&,
                               const Json& value) -> tl::expected<void, RequestError> {
                             switch (member) {
                               case Member::domain: {
                                 auto domain = read_domain(value);
                                 if (!domain) {
                                   return tl::unexpected(domain.error());
                                 }
                                 out.domain = std::move(*domain);
                                 has_domain = true;
                                 return {};
                               }
                               case Member::mode:
                               case Member::mx:
                               case Member::max_age:
                                 return read_policy_member(member, value, out);
                               case Member::records: {
                                 const auto records = read_records(value);
                                 if (!records) {
                                   return tl::unexpected(records.error());
                                 }
                                 out.records = *records;
                                 return {};
                               }
                             }
                             return {};
                           });
  if (!read) {
    return tl::unexpected(read.error());
  }
  if (!has_domain) {
    return refuse("domain", "is required");
  }
  return out;
}

tl::expected<DomainUpdate, RequestError> parse_domain_update(std::string_view json) {
  DomainUpdate out;
  auto read = read_members(
      json, "mode, mx or max_age",
      [&](Member member, const std::string& key,
          const Json& value) -> tl::expected<void, RequestError> {
        switch (member) {
          case Member::domain:
            return refuse(key, "cannot be changed: the domain is named by the path");
          case Member::records:
            return refuse(key,
                          "cannot be changed: the record mode is chosen when the domain is added");
          case Member::mode:
          case Member::mx:
          case Member::max_age:
            return read_policy_member(member, value, out);
        }
        return {};
      });
  if (!read) {
    return tl::unexpected(read.error());
  }
  if (!out.mode && !out.mx && !out.max_age) {
    return refuse("", "the body must set at least one of mode, mx and max_age");
  }
  return out;
}

namespace {

tl::expected<HostedPolicy, RequestError> checked(HostedPolicy policy) {
  auto result = check_hosted_policy(std::move(policy));
  if (!result) {
    return refuse(std::move(result.error().field), std::move(result.error().message));
  }
  return std::move(*result);
}

// `policy` with the mode, mx and max_age that `request` (a DomainCreate or a DomainUpdate) sets.
template <class Request>
HostedPolicy overlaid(HostedPolicy policy, const Request& request) {
  policy.mode = request.mode.value_or(policy.mode);
  policy.mx = request.mx.value_or(policy.mx);
  policy.max_age = request.max_age.value_or(policy.max_age);
  return policy;
}

}  // namespace

tl::expected<HostedPolicy, RequestError> policy_for_create(const DomainCreate& request,
                                                           const HostedPolicy& proposed) {
  auto result = checked(overlaid(proposed, request));
  if (!result && result.error().field == "mx" && !request.mx) {
    result.error().message += " (none could be proposed from the domain's MX records: name them)";
  }
  return result;
}

tl::expected<HostedPolicy, RequestError> policy_for_update(const HostedPolicy& current,
                                                           const DomainUpdate& request) {
  return checked(overlaid(current, request));
}

}  // namespace mtasts::core

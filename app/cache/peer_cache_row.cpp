#include "cache/peer_cache_row.hpp"

#include <nlohmann/json.hpp>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/sts/sts_record.hpp"

namespace mtasts::app {
namespace {

using Text = tl::expected<std::string, std::string>;
// ordered_json keeps the members in the order the peer wrote them (Python dicts keep insertion
// order), so extension fields come out in their order.
using Json = nlohmann::ordered_json;

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// A member's value as the text after "key: "; the peer writes strings, and max_age as an
// integer.
Text field_value(const std::string& key, const Json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (has_line_break(text)) {
      return tl::unexpected("policy member \"" + key + "\" holds a line break");
    }
    return text;
  }
  if (key == "max_age" && (value.is_number_unsigned() || value.is_number_integer())) {
    return value.dump();
  }
  return tl::unexpected("policy member \"" + key + "\" is " + std::string(value.type_name()) +
                        ", not a string");
}

Text append_line(std::string& text, const std::string& key, const Json& value) {
  auto field = field_value(key, value);
  if (!field) {
    return field;
  }
  text += key + ": " + *field + "\r\n";
  return text;
}

Text render(const Json& object) {
  for (const char* required : {"version", "mode"}) {
    if (!object.contains(required)) {
      return tl::unexpected(std::string("the policy has no \"") + required + "\" member");
    }
  }
  std::string text;
  for (const char* key : {"version", "mode"}) {
    if (auto line = append_line(text, key, object.at(key)); !line) {
      return line;
    }
  }
  if (const auto mx = object.find("mx"); mx != object.end()) {
    if (!mx->is_array()) {
      return tl::unexpected("policy member \"mx\" is " + std::string(mx->type_name()) +
                            ", not a list");
    }
    for (const Json& value : *mx) {
      if (auto line = append_line(text, "mx", value); !line) {
        return line;
      }
    }
  }
  if (const auto max_age = object.find("max_age"); max_age != object.end()) {
    if (auto line = append_line(text, "max_age", *max_age); !line) {
      return line;
    }
  }
  for (const auto& [key, value] : object.items()) {
    if (key == "version" || key == "mode" || key == "mx" || key == "max_age") {
      continue;
    }
    // The peer's parser makes a blank line an empty key with an empty value.
    if (key.empty() && value.is_string() && value.get_ref<const std::string&>().empty()) {
      continue;
    }
    if (has_line_break(key)) {
      return tl::unexpected(std::string("a policy member's name holds a line break"));
    }
    if (auto line = append_line(text, key, value); !line) {
      return line;
    }
  }
  return text;
}

tl::expected<std::string, std::string> checked_id(const std::string& id) {
  // RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT). The record parser is the one judge of it.
  auto record = core::parse_sts_record("v=STSv1; id=" + id);
  if (!record || record->id != id) {
    return tl::unexpected("policy id \"" + id +
                          "\" is not an RFC 8461 id (1 to 32 letters or digits)");
  }
  return id;
}

}  // namespace

Text policy_text_from_peer_json(std::string_view json) {
  const Json object = Json::parse(json, nullptr, false);
  if (object.is_discarded()) {
    return tl::unexpected(std::string("the policy is not JSON"));
  }
  if (!object.is_object()) {
    return tl::unexpected("the policy is a JSON " + std::string(object.type_name()) +
                          ", not an object");
  }
  return render(object);
}

tl::expected<store::StoredPolicy, std::string> policy_from_peer_row(const store::PeerCacheRow& row,
                                                                    store::TimePoint now) {
  auto domain = core::normalize_domain(row.domain);
  if (!domain) {
    return tl::unexpected("domain \"" + row.domain + "\": " + domain.error().message);
  }
  if (!row.ts) {
    return tl::unexpected(std::string("its time (ts) is not an integer"));
  }
  const store::TimePoint fetched_at{std::chrono::seconds(*row.ts)};
  if (*row.ts < 0 || fetched_at > now + kPeerClockSlack) {
    return tl::unexpected("its time (ts " + std::to_string(*row.ts) +
                          ") is before 1970 or in the future");
  }
  auto id = checked_id(row.policy_id);
  if (!id) {
    return tl::unexpected(id.error());
  }
  auto text = policy_text_from_peer_json(row.body);
  if (!text) {
    return tl::unexpected(text.error());
  }
  auto policy = core::parse_policy(*text);
  if (!policy) {
    return tl::unexpected("the policy does not parse: " + policy.error().message);
  }
  store::StoredPolicy stored{std::move(*domain), std::move(*id), std::move(*text), fetched_at,
                             fetched_at + std::chrono::seconds(policy->max_age)};
  if (auto valid = store::validate(stored); !valid) {
    return tl::unexpected(valid.error().message);
  }
  return stored;
}

std::string_view outcome_name(ImportOutcome outcome) {
  switch (outcome) {
    case ImportOutcome::added:
      return "added";
    case ImportOutcome::replaced:
      return "replaced";
    case ImportOutcome::unchanged:
      return "unchanged";
    case ImportOutcome::kept_newer:
      return "kept-newer";
    case ImportOutcome::expired:
      return "expired";
    case ImportOutcome::skipped:
      return "skipped";
  }
  return "unknown";
}

ImportOutcome import_outcome(const store::StoredPolicy& candidate,
                             const std::optional<store::StoredPolicy>& held, store::TimePoint now) {
  if (candidate.expires_at < now) {
    return ImportOutcome::expired;
  }
  if (!held) {
    return ImportOutcome::added;
  }
  if (*held == candidate) {
    return ImportOutcome::unchanged;
  }
  // PolicyStore::put keeps a strictly later fetch; the same rule here.
  return held->fetched_at > candidate.fetched_at ? ImportOutcome::kept_newer
                                                 : ImportOutcome::replaced;
}

}  // namespace mtasts::app

// Parsers of the ACME server's JSON objects (RFC 8555 §7.1). Every access checks the JSON
// type first, so the JSON library never throws here.

#include "mtasts/core/acme/acme_messages.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "mtasts/core/base/json_depth.hpp"

namespace mtasts::core {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxTypeLength = 256;
constexpr std::size_t kMaxIdentifierLength = 1024;
constexpr std::size_t kMaxTimestampLength = 64;

Result<json> parse_object(std::string_view text, std::string_view what) {
  if (text.size() > kMaxAcmeMessageSize) {
    return fail(Errc::too_large,
                std::string(what) + " exceeds " + std::to_string(kMaxAcmeMessageSize) + " bytes");
  }
  if (json_nesting_depth(text, kMaxAcmeNesting) > kMaxAcmeNesting) {
    return fail(Errc::too_large, std::string(what) + " is nested deeper than " +
                                     std::to_string(kMaxAcmeNesting) + " levels");
  }
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(Errc::invalid_syntax, std::string(what) + " is not a JSON object");
  }
  return doc;
}

tl::unexpected<Error> bad(const std::string& path, std::string_view problem) {
  return fail(Errc::invalid_value, path + " " + std::string(problem));
}

const json* member(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

Result<std::optional<std::string>> optional_string(const json& object, const char* name,
                                                   const std::string& path, std::size_t limit) {
  const json* value = member(object, name);
  if (value == nullptr) {
    return std::optional<std::string>();
  }
  if (!value->is_string()) {
    return bad(path + "." + name, "is not a string");
  }
  const auto& text = value->get_ref<const std::string&>();
  if (text.size() > limit) {
    return bad(path + "." + name, "is longer than " + std::to_string(limit) + " bytes");
  }
  return std::optional<std::string>(text);
}

Result<std::string> required_string(const json& object, const char* name, const std::string& path,
                                    std::size_t limit) {
  auto text = optional_string(object, name, path, limit);
  if (!text) {
    return tl::unexpected(text.error());
  }
  if (!*text || (*text)->empty()) {
    return bad(path + "." + name, "is missing");
  }
  return std::move(**text);
}

Result<std::string> check_url(std::string text, const std::string& path) {
  if (auto url = parse_https_url(text); !url) {
    return bad(path, "is not a usable https URL: " + url.error().message);
  }
  return text;
}

Result<std::string> required_url(const json& object, const char* name, const std::string& path) {
  return required_string(object, name, path, kMaxAcmeUrlLength).and_then([&](std::string text) {
    return check_url(std::move(text), path + "." + name);
  });
}

Result<std::optional<std::string>> optional_url(const json& object, const char* name,
                                                const std::string& path) {
  auto text = optional_string(object, name, path, kMaxAcmeUrlLength);
  if (!text || !*text) {
    return text;
  }
  auto url = check_url(std::move(**text), path + "." + name);
  if (!url) {
    return tl::unexpected(url.error());
  }
  return std::optional<std::string>(std::move(*url));
}

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string cut_utf8(std::string text, std::size_t limit) {
  if (text.size() <= limit) {
    return text;
  }
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
    --end;
  }
  text.resize(end);
  return text;
}

template <class Status, std::size_t N>
Result<Status> parse_status(const json& object, const std::string& path,
                            const std::array<std::pair<std::string_view, Status>, N>& names) {
  auto text = required_string(object, "status", path, kMaxTypeLength);
  if (!text) {
    return tl::unexpected(text.error());
  }
  for (const auto& [name, status] : names) {
    if (*text == name) {
      return status;
    }
  }
  return bad(path + ".status", "has the unknown value \"" + cut_utf8(*text, 64) + "\"");
}

constexpr std::array<std::pair<std::string_view, AccountStatus>, 3> kAccountStatuses{{
    {"valid", AccountStatus::valid},
    {"deactivated", AccountStatus::deactivated},
    {"revoked", AccountStatus::revoked},
}};
constexpr std::array<std::pair<std::string_view, OrderStatus>, 5> kOrderStatuses{{
    {"pending", OrderStatus::pending},
    {"ready", OrderStatus::ready},
    {"processing", OrderStatus::processing},
    {"valid", OrderStatus::valid},
    {"invalid", OrderStatus::invalid},
}};
constexpr std::array<std::pair<std::string_view, AuthorizationStatus>, 6> kAuthorizationStatuses{{
    {"pending", AuthorizationStatus::pending},
    {"valid", AuthorizationStatus::valid},
    {"invalid", AuthorizationStatus::invalid},
    {"deactivated", AuthorizationStatus::deactivated},
    {"expired", AuthorizationStatus::expired},
    {"revoked", AuthorizationStatus::revoked},
}};
constexpr std::array<std::pair<std::string_view, ChallengeStatus>, 4> kChallengeStatuses{{
    {"pending", ChallengeStatus::pending},
    {"processing", ChallengeStatus::processing},
    {"valid", ChallengeStatus::valid},
    {"invalid", ChallengeStatus::invalid},
}};

template <class Status, std::size_t N>
std::string_view status_name(Status status,
                             const std::array<std::pair<std::string_view, Status>, N>& names) {
  for (const auto& [name, value] : names) {
    if (value == status) {
      return name;
    }
  }
  return "unknown";
}

Result<AcmeIdentifier> identifier_from(const json& value, const std::string& path) {
  if (!value.is_object()) {
    return bad(path, "is not an object");
  }
  AcmeIdentifier identifier;
  auto type = required_string(value, "type", path, kMaxTypeLength);
  if (!type) {
    return tl::unexpected(type.error());
  }
  auto text = required_string(value, "value", path, kMaxIdentifierLength);
  if (!text) {
    return tl::unexpected(text.error());
  }
  identifier.type = std::move(*type);
  identifier.value = std::move(*text);
  return identifier;
}

// Problem documents are diagnostics: members of the wrong type are ignored rather than
// refused, so a sloppy server's error still reaches the administrator.
std::pair<std::string, std::string> problem_type_detail(const json& object) {
  std::string type = "about:blank";  // RFC 7807 §4.2
  std::string detail;
  if (const json* value = member(object, "type");
      value != nullptr && value->is_string() && !value->get_ref<const std::string&>().empty()) {
    type = cut_utf8(value->get<std::string>(), kMaxTypeLength);
  }
  if (const json* value = member(object, "detail"); value != nullptr && value->is_string()) {
    detail = cut_utf8(value->get<std::string>(), kMaxAcmeDetailLength);
  }
  return {std::move(type), std::move(detail)};
}

AcmeProblem problem_from(const json& object) {
  AcmeProblem problem;
  std::tie(problem.type, problem.detail) = problem_type_detail(object);
  if (const json* status = member(object, "status");
      status != nullptr && status->is_number_unsigned()) {
    const auto code = status->get<std::uint64_t>();
    if (code >= 100 && code <= 599) {
      problem.status = static_cast<unsigned>(code);
    }
  }
  const json* subproblems = member(object, "subproblems");
  if (subproblems == nullptr || !subproblems->is_array()) {
    return problem;
  }
  for (const json& entry : *subproblems) {
    if (problem.subproblems.size() == kMaxAcmeSubproblems) {
      break;
    }
    if (!entry.is_object()) {
      continue;
    }
    AcmeSubproblem sub;
    std::tie(sub.type, sub.detail) = problem_type_detail(entry);
    if (const json* id = member(entry, "identifier"); id != nullptr) {
      if (auto parsed = identifier_from(*id, "identifier"); parsed) {
        sub.identifier = std::move(*parsed);
      }
    }
    problem.subproblems.push_back(std::move(sub));
  }
  return problem;
}

Result<std::optional<AcmeProblem>> optional_problem(const json& object, const std::string& path) {
  const json* value = member(object, "error");
  if (value == nullptr) {
    return std::optional<AcmeProblem>();
  }
  if (!value->is_object()) {
    return bad(path + ".error", "is not an object");
  }
  return std::optional<AcmeProblem>(problem_from(*value));
}

Result<const json*> required_array(const json& object, const char* name, const std::string& path,
                                   std::size_t limit) {
  const json* value = member(object, name);
  if (value == nullptr) {
    return bad(path + "." + name, "is missing");
  }
  if (!value->is_array()) {
    return bad(path + "." + name, "is not an array");
  }
  if (value->size() > limit) {
    return fail(Errc::too_large,
                path + "." + name + " has more than " + std::to_string(limit) + " entries");
  }
  return value;
}

bool needs_token(std::string_view type) {
  return type == "http-01" || type == "tls-alpn-01" || type == "dns-01";
}

Result<AcmeChallenge> challenge_from(const json& object, const std::string& path) {
  if (!object.is_object()) {
    return bad(path, "is not an object");
  }
  AcmeChallenge challenge;
  auto type = required_string(object, "type", path, kMaxTypeLength);
  if (!type) {
    return tl::unexpected(type.error());
  }
  challenge.type = std::move(*type);
  auto url = required_url(object, "url", path);
  if (!url) {
    return tl::unexpected(url.error());
  }
  challenge.url = std::move(*url);
  auto status = parse_status(object, path, kChallengeStatuses);
  if (!status) {
    return tl::unexpected(status.error());
  }
  challenge.status = *status;
  auto token = optional_string(object, "token", path, kMaxAcmeTokenLength);
  if (!token) {
    return tl::unexpected(token.error());
  }
  challenge.token = token->value_or("");
  // RFC 8555 §8.3: the token is part of a URL path and a file name on the answering side,
  // so anything but base64url of at least 128 bits is refused before it is used.
  if (needs_token(challenge.type) && !is_valid_acme_token(challenge.token)) {
    return bad(path + ".token", "is not base64url of at least 128 bits");
  }
  auto validated = optional_string(object, "validated", path, kMaxTimestampLength);
  if (!validated) {
    return tl::unexpected(validated.error());
  }
  challenge.validated = std::move(*validated);
  auto error = optional_problem(object, path);
  if (!error) {
    return tl::unexpected(error.error());
  }
  challenge.error = std::move(*error);
  return challenge;
}

}  // namespace

std::string_view to_string(AccountStatus status) {
  return status_name(status, kAccountStatuses);
}
std::string_view to_string(OrderStatus status) {
  return status_name(status, kOrderStatuses);
}
std::string_view to_string(AuthorizationStatus status) {
  return status_name(status, kAuthorizationStatuses);
}
std::string_view to_string(ChallengeStatus status) {
  return status_name(status, kChallengeStatuses);
}

bool is_acme_error(std::string_view type, std::string_view name) {
  return type.size() == kAcmeErrorPrefix.size() + name.size() &&
         type.substr(0, kAcmeErrorPrefix.size()) == kAcmeErrorPrefix &&
         type.substr(kAcmeErrorPrefix.size()) == name;
}

bool is_valid_acme_token(std::string_view token) {
  if (token.size() > kMaxAcmeTokenLength) {
    return false;
  }
  const auto bytes = base64url_decode(token);
  return bytes && bytes->size() >= kMinAcmeTokenBytes;
}

Result<AcmeDirectory> parse_acme_directory(std::string_view text) {
  const std::string path = "directory";
  auto doc = parse_object(text, path);
  if (!doc) {
    return tl::unexpected(doc.error());
  }
  AcmeDirectory directory;
  for (auto [name, field] : {std::pair{"newNonce", &directory.new_nonce},
                             std::pair{"newAccount", &directory.new_account},
                             std::pair{"newOrder", &directory.new_order}}) {
    auto url = required_url(*doc, name, path);
    if (!url) {
      return tl::unexpected(url.error());
    }
    *field = std::move(*url);
  }
  for (auto [name, field] : {std::pair{"revokeCert", &directory.revoke_cert},
                             std::pair{"keyChange", &directory.key_change}}) {
    auto url = optional_url(*doc, name, path);
    if (!url) {
      return tl::unexpected(url.error());
    }
    *field = url->value_or("");
  }
  if (const json* meta = member(*doc, "meta"); meta != nullptr) {
    if (!meta->is_object()) {
      return bad(path + ".meta", "is not an object");
    }
    auto terms = optional_string(*meta, "termsOfService", path + ".meta", kMaxAcmeUrlLength);
    if (!terms) {
      return tl::unexpected(terms.error());
    }
    directory.terms_of_service = std::move(*terms);
  }
  return directory;
}

Result<AcmeAccountObject> parse_acme_account(std::string_view text) {
  const std::string path = "account";
  auto doc = parse_object(text, path);
  if (!doc) {
    return tl::unexpected(doc.error());
  }
  AcmeAccountObject account;
  auto status = parse_status(*doc, path, kAccountStatuses);
  if (!status) {
    return tl::unexpected(status.error());
  }
  account.status = *status;
  auto orders = optional_url(*doc, "orders", path);
  if (!orders) {
    return tl::unexpected(orders.error());
  }
  account.orders = std::move(*orders);
  return account;
}

Result<AcmeOrder> parse_acme_order(std::string_view text) {
  const std::string path = "order";
  auto doc = parse_object(text, path);
  if (!doc) {
    return tl::unexpected(doc.error());
  }
  AcmeOrder order;
  auto status = parse_status(*doc, path, kOrderStatuses);
  if (!status) {
    return tl::unexpected(status.error());
  }
  order.status = *status;
  auto expires = optional_string(*doc, "expires", path, kMaxTimestampLength);
  if (!expires) {
    return tl::unexpected(expires.error());
  }
  order.expires = std::move(*expires);
  auto identifiers = required_array(*doc, "identifiers", path, kMaxAcmeIdentifiers);
  if (!identifiers) {
    return tl::unexpected(identifiers.error());
  }
  for (std::size_t i = 0; i < (*identifiers)->size(); ++i) {
    auto identifier =
        identifier_from((**identifiers)[i], path + ".identifiers[" + std::to_string(i) + "]");
    if (!identifier) {
      return tl::unexpected(identifier.error());
    }
    order.identifiers.push_back(std::move(*identifier));
  }
  auto authorizations = required_array(*doc, "authorizations", path, kMaxAcmeIdentifiers);
  if (!authorizations) {
    return tl::unexpected(authorizations.error());
  }
  for (std::size_t i = 0; i < (*authorizations)->size(); ++i) {
    const std::string entry = path + ".authorizations[" + std::to_string(i) + "]";
    const json& value = (**authorizations)[i];
    if (!value.is_string() || value.get_ref<const std::string&>().size() > kMaxAcmeUrlLength) {
      return bad(entry, "is not a URL string");
    }
    auto url = check_url(value.get<std::string>(), entry);
    if (!url) {
      return tl::unexpected(url.error());
    }
    order.authorizations.push_back(std::move(*url));
  }
  auto finalize = required_url(*doc, "finalize", path);
  if (!finalize) {
    return tl::unexpected(finalize.error());
  }
  order.finalize = std::move(*finalize);
  auto certificate = optional_url(*doc, "certificate", path);
  if (!certificate) {
    return tl::unexpected(certificate.error());
  }
  order.certificate = std::move(*certificate);
  auto error = optional_problem(*doc, path);
  if (!error) {
    return tl::unexpected(error.error());
  }
  order.error = std::move(*error);
  return order;
}

Result<AcmeAuthorization> parse_acme_authorization(std::string_view text) {
  const std::string path = "authorization";
  auto doc = parse_object(text, path);
  if (!doc) {
    return tl::unexpected(doc.error());
  }
  AcmeAuthorization authorization;
  auto status = parse_status(*doc, path, kAuthorizationStatuses);
  if (!status) {
    return tl::unexpected(status.error());
  }
  authorization.status = *status;
  const json* identifier = member(*doc, "identifier");
  if (identifier == nullptr) {
    return bad(path + ".identifier", "is missing");
  }
  auto parsed_identifier = identifier_from(*identifier, path + ".identifier");
  if (!parsed_identifier) {
    return tl::unexpected(parsed_identifier.error());
  }
  authorization.identifier = std::move(*parsed_identifier);
  auto challenges = required_array(*doc, "challenges", path, kMaxAcmeChallenges);
  if (!challenges) {
    return tl::unexpected(challenges.error());
  }
  for (std::size_t i = 0; i < (*challenges)->size(); ++i) {
    auto challenge =
        challenge_from((**challenges)[i], path + ".challenges[" + std::to_string(i) + "]");
    if (!challenge) {
      return tl::unexpected(challenge.error());
    }
    authorization.challenges.push_back(std::move(*challenge));
  }
  if (const json* wildcard = member(*doc, "wildcard"); wildcard != nullptr) {
    if (!wildcard->is_boolean()) {
      return bad(path + ".wildcard", "is not a boolean");
    }
    authorization.wildcard = wildcard->get<bool>();
  }
  auto expires = optional_string(*doc, "expires", path, kMaxTimestampLength);
  if (!expires) {
    return tl::unexpected(expires.error());
  }
  authorization.expires = std::move(*expires);
  return authorization;
}

Result<AcmeChallenge> parse_acme_challenge(std::string_view text) {
  auto doc = parse_object(text, "challenge");
  if (!doc) {
    return tl::unexpected(doc.error());
  }
  return challenge_from(*doc, "challenge");
}

Result<AcmeProblem> parse_acme_problem(std::string_view text) {
  auto doc = parse_object(text, "problem document");
  if (!doc) {
    return tl::unexpected(doc.error());
  }
  return problem_from(*doc);
}

}  // namespace mtasts::core

#pragma once

// ACME (RFC 8555) messages without I/O: the server's JSON objects parsed into structs, the
// client's payloads and JWS pieces built, base64url, and the small header grammars the client
// needs (Retry-After, Replay-Nonce, https URLs).
//
// Parsing is tolerant and safe: unknown members are ignored (RFC 8555 §7.1 lets servers add
// fields), a member of the wrong JSON type is an error, sizes and counts are bounded, and no
// function throws (the JSON library runs with exceptions turned off at the parse).
//
// Glossary:
//   directory      the JSON object at the directory URL naming every other resource (§7.1.1)
//   problem        an RFC 7807 problem document, RFC 8555 §6.7 (type, detail, subproblems)
//   key authorization  token "." base64url(JWK thumbprint), RFC 8555 §8.1
//   JWK thumbprint input  the RFC 7638 canonical JSON of the public key (members in order,
//                  no whitespace); for P-256: {"crv":"P-256","kty":"EC","x":"...","y":"..."}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/base/text.hpp"  // base64url_encode, base64url_decode

namespace mtasts::core {

// Bounds on what the parsers accept.
inline constexpr std::size_t kMaxAcmeMessageSize = 256 * 1024;  // one JSON object
inline constexpr std::size_t kMaxAcmeNesting = 16;              // arrays/objects deep
inline constexpr std::size_t kMaxAcmeUrlLength = 2048;
inline constexpr std::size_t kMaxAcmeIdentifiers = 100;  // per order (Let's Encrypt's limit)
inline constexpr std::size_t kMaxAcmeChallenges = 16;    // per authorization
inline constexpr std::size_t kMaxAcmeSubproblems = 100;
inline constexpr std::size_t kMaxAcmeDetailLength = 1024;  // longer details are cut, not refused
inline constexpr std::size_t kMaxAcmeTokenLength = 256;
inline constexpr std::size_t kMinAcmeTokenBytes = 16;  // RFC 8555 §8.3: at least 128 bits

// ---- statuses (RFC 8555 §7.1.6) ----

enum class AccountStatus { valid, deactivated, revoked };
enum class OrderStatus { pending, ready, processing, valid, invalid };
enum class AuthorizationStatus { pending, valid, invalid, deactivated, expired, revoked };
enum class ChallengeStatus { pending, processing, valid, invalid };

[[nodiscard]] std::string_view to_string(AccountStatus status);
[[nodiscard]] std::string_view to_string(OrderStatus status);
[[nodiscard]] std::string_view to_string(AuthorizationStatus status);
[[nodiscard]] std::string_view to_string(ChallengeStatus status);

// ---- objects ----

struct AcmeIdentifier {
  std::string type;  // "dns" for everything mtasts orders
  std::string value;
};

// RFC 8555 §6.7 / RFC 7807. `type` is kept as sent (a URN like
// "urn:ietf:params:acme:error:badNonce"); an absent type is "about:blank" (RFC 7807 §4.2).
struct AcmeSubproblem {
  std::string type;
  std::string detail;
  std::optional<AcmeIdentifier> identifier;
};
struct AcmeProblem {
  std::string type = "about:blank";
  std::string detail;              // cut to kMaxAcmeDetailLength
  std::optional<unsigned> status;  // the HTTP status the server says it used
  std::vector<AcmeSubproblem> subproblems;
};

// The ACME error namespace (RFC 8555 §6.7) and the names the client acts on.
inline constexpr std::string_view kAcmeErrorPrefix = "urn:ietf:params:acme:error:";
// True when `type` is kAcmeErrorPrefix followed by `name` (e.g. "badNonce").
[[nodiscard]] bool is_acme_error(std::string_view type, std::string_view name);

struct AcmeDirectory {
  std::string new_nonce, new_account, new_order;  // required
  std::string revoke_cert, key_change;            // empty when absent
  std::optional<std::string> terms_of_service;    // meta.termsOfService
};

struct AcmeAccountObject {
  AccountStatus status = AccountStatus::valid;
  std::optional<std::string> orders;  // URL of the orders list
};

struct AcmeOrder {
  OrderStatus status = OrderStatus::pending;
  std::optional<std::string> expires;  // RFC 3339 text, as sent
  std::vector<AcmeIdentifier> identifiers;
  std::vector<std::string> authorizations;  // URLs
  std::string finalize;                     // URL
  std::optional<std::string> certificate;   // URL, once valid
  std::optional<AcmeProblem> error;
};

struct AcmeChallenge {
  std::string type;  // "http-01", "tls-alpn-01", "dns-01", or anything else the server offers
  std::string url;
  ChallengeStatus status = ChallengeStatus::pending;
  std::string token;                     // empty for types that have none
  std::optional<std::string> validated;  // RFC 3339 text
  std::optional<AcmeProblem> error;
};

struct AcmeAuthorization {
  AuthorizationStatus status = AuthorizationStatus::pending;
  AcmeIdentifier identifier;
  std::vector<AcmeChallenge> challenges;
  bool wildcard = false;
  std::optional<std::string> expires;
};

// Each parser takes one JSON text (at most kMaxAcmeMessageSize bytes, nesting at most
// kMaxAcmeNesting). Errors: Errc::too_large past the bounds; Errc::invalid_syntax when the text
// is not a JSON object; Errc::invalid_value naming the member that is missing, of the wrong
// type, an unknown status, or a URL that is not https (RFC 8555 §6.1).
[[nodiscard]] Result<AcmeDirectory> parse_acme_directory(std::string_view json);
[[nodiscard]] Result<AcmeAccountObject> parse_acme_account(std::string_view json);
[[nodiscard]] Result<AcmeOrder> parse_acme_order(std::string_view json);
// Challenges of a type mtasts answers (http-01, tls-alpn-01, dns-01) must carry a valid
// token (base64url, at least 128 bits, RFC 8555 §8.3); other types are kept as they are.
[[nodiscard]] Result<AcmeAuthorization> parse_acme_authorization(std::string_view json);
[[nodiscard]] Result<AcmeChallenge> parse_acme_challenge(std::string_view json);
[[nodiscard]] Result<AcmeProblem> parse_acme_problem(std::string_view json);

// True for a token RFC 8555 §8.3 allows: base64url only, at least 128 bits of entropy
// (at least 22 characters), at most kMaxAcmeTokenLength.
[[nodiscard]] bool is_valid_acme_token(std::string_view token);

// ---- payloads (compact JSON, member order fixed) ----

// §7.3: {"contact":[...],"termsOfServiceAgreed":true}; "contact" omitted when empty.
[[nodiscard]] std::string acme_new_account_payload(const std::vector<std::string>& contact,
                                                   bool terms_of_service_agreed);
// §7.4: {"identifiers":[{"type":"dns","value":"a.example"},...]}
[[nodiscard]] std::string acme_new_order_payload(const std::vector<std::string>& dns_names);
// §7.5.1: an empty object tells the server the challenge is ready.
[[nodiscard]] std::string acme_challenge_response_payload();
// §7.4: {"csr":"<base64url of the DER CSR>"}
[[nodiscard]] std::string acme_finalize_payload(std::string_view csr_der);

// ---- JWS (RFC 7515 flattened JSON serialization, RFC 8555 §6.2) ----

// A P-256 public key: the 32-byte big-endian coordinates, raw.
struct EcPublicKey {
  std::string x, y;
};

// The RFC 7638 canonical JWK of `key`, which is also the thumbprint input (§3 of RFC 7638).
[[nodiscard]] std::string jwk_thumbprint_input(const EcPublicKey& key);

// The protected header: {"alg":"ES256","jwk":{...},"nonce":"...","url":"..."} when `kid` is
// empty (newAccount, §6.2), else {"alg":"ES256","kid":"...","nonce":"...","url":"..."}.
[[nodiscard]] std::string jws_protected_header(const EcPublicKey& key, std::string_view kid,
                                               std::string_view nonce, std::string_view url);

// The bytes ES256 signs (RFC 7515 §5.1): base64url(protected) "." base64url(payload).
[[nodiscard]] std::string jws_signing_input(std::string_view protected_header,
                                            std::string_view payload);

// {"protected":"...","payload":"...","signature":"..."}: each argument raw; `payload` empty
// for POST-as-GET (§6.3), which gives "payload":"".
[[nodiscard]] std::string jws_flattened(std::string_view protected_header, std::string_view payload,
                                        std::string_view signature);

// ---- headers ----

// RFC 9110 §10.2.3 Retry-After: delay-seconds, or an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37
// GMT") turned into seconds from `now_unix` (0 when in the past). nullopt when unparsable.
// Values are capped at one day.
[[nodiscard]] std::optional<std::int64_t> parse_retry_after(std::string_view value,
                                                            std::int64_t now_unix);

// RFC 8555 §6.5.1: a Replay-Nonce is a non-empty base64url string (we bound it at 512).
[[nodiscard]] bool is_valid_replay_nonce(std::string_view value);

// Link header values (RFC 8288), as far as ACME uses them: <uri>;rel="name".
struct LinkValue {
  std::string uri;
  std::string rel;
};
[[nodiscard]] std::vector<LinkValue> parse_link_header(std::string_view value);

// An https URL split for a request. Only "https://" (RFC 8555 §6.1), a host name or an IP
// literal ([v6] in brackets), an optional port (default 443), and a path with query
// (default "/"); no userinfo, no fragment.
struct HttpsUrl {
  std::string host;  // without brackets, lowercased
  std::uint16_t port = 443;
  std::string target;  // path and query, starts with '/'
};
// Errors: Errc::invalid_value naming the problem.
[[nodiscard]] Result<HttpsUrl> parse_https_url(std::string_view url);

}  // namespace mtasts::core

// What the ACME client sends (payloads, JWS pieces) and the small grammars it reads besides
// JSON: base64url, Retry-After, Replay-Nonce, Link, https URLs.

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "mtasts/core/acme/acme_messages.hpp"
#include "mtasts/core/base/civil_date.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/host_port.hpp"

namespace mtasts::core {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxNonceLength = 512;
constexpr std::size_t kMaxLinks = 32;
constexpr std::int64_t kMaxRetryAfter = 86400;

// Never throws: strings we did not check for UTF-8 (contacts, names from a config) are
// written with U+FFFD in place of bad bytes.
std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<int> digits(std::string_view text) {
  int value = 0;
  if (text.empty()) {
    return std::nullopt;
  }
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

// IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::int64_t> parse_imf_fixdate(std::string_view text) {
  static constexpr std::array<std::string_view, 7> kDays{"Mon", "Tue", "Wed", "Thu",
                                                         "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  bool day_name = false;
  for (const auto name : kDays) {
    day_name = day_name || text.substr(0, 3) == name;
  }
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (text.substr(8, 3) == kMonths[i]) {
      month = i + 1;
    }
  }
  const auto day = digits(text.substr(5, 2));
  const auto year = digits(text.substr(12, 4));
  const auto hour = digits(text.substr(17, 2));
  const auto minute = digits(text.substr(20, 2));
  const auto second = digits(text.substr(23, 2));
  if (!day_name || month == 0 || !day || !year || !hour || !minute || !second || *day < 1 ||
      *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const std::int64_t days = days_from_civil(CivilDate{*year, month, static_cast<unsigned>(*day)});
  return days * 86400 + *hour * 3600 + *minute * 60 + *second;
}

bool is_url_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte > 0x20 && byte < 0x7f;  // no spaces, controls (CR/LF injection) or 8-bit bytes
}

json jwk_object(const EcPublicKey& key) {
  return json{{"crv", "P-256"},
              {"kty", "EC"},
              {"x", base64url_encode(key.x)},
              {"y", base64url_encode(key.y)}};
}

}  // namespace

std::string acme_new_account_payload(const std::vector<std::string>& contact,
                                     bool terms_of_service_agreed) {
  json payload = json::object();
  if (!contact.empty()) {
    payload["contact"] = contact;
  }
  if (terms_of_service_agreed) {
    payload["termsOfServiceAgreed"] = true;
  }
  return dump(payload);
}

std::string acme_new_order_payload(const std::vector<std::string>& dns_names) {
  json identifiers = json::array();
  for (const std::string& name : dns_names) {
    identifiers.push_back({{"type", "dns"}, {"value", name}});
  }
  return dump(json{{"identifiers", std::move(identifiers)}});
}

std::string acme_challenge_response_payload() {
  return "{}";
}

std::string acme_finalize_payload(std::string_view csr_der) {
  return dump(json{{"csr", base64url_encode(csr_der)}});
}

std::string jwk_thumbprint_input(const EcPublicKey& key) {
  // RFC 7638 §3.2: the required members only, sorted, no whitespace. nlohmann::json keeps
  // object members sorted, and base64url text needs no escaping.
  return dump(jwk_object(key));
}

std::string jws_protected_header(const EcPublicKey& key, std::string_view kid,
                                 std::string_view nonce, std::string_view url) {
  json header{{"alg", "ES256"}, {"nonce", std::string(nonce)}, {"url", std::string(url)}};
  // RFC 8555 §6.2: "jwk" for newAccount (and revokeCert by certificate key), "kid" otherwise;
  // never both.
  if (kid.empty()) {
    header["jwk"] = jwk_object(key);
  } else {
    header["kid"] = std::string(kid);
  }
  return dump(header);
}

std::string jws_signing_input(std::string_view protected_header, std::string_view payload) {
  return base64url_encode(protected_header) + "." + base64url_encode(payload);
}

std::string jws_flattened(std::string_view protected_header, std::string_view payload,
                          std::string_view signature) {
  return dump(json{{"protected", base64url_encode(protected_header)},
                   {"payload", base64url_encode(payload)},
                   {"signature", base64url_encode(signature)}});
}

std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_unix) {
  value = trim_wsp(value);
  if (value.empty()) {
    return std::nullopt;
  }
  if (value.front() >= '0' && value.front() <= '9') {
    std::int64_t seconds = 0;
    for (const char c : value) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      seconds = std::min<std::int64_t>(seconds * 10 + (c - '0'), kMaxRetryAfter);
    }
    return seconds;
  }
  const auto when = parse_imf_fixdate(value);
  if (!when) {
    return std::nullopt;
  }
  return std::clamp<std::int64_t>(*when - now_unix, 0, kMaxRetryAfter);
}

bool is_valid_replay_nonce(std::string_view value) {
  if (value.empty() || value.size() > kMaxNonceLength) {
    return false;
  }
  return std::all_of(value.begin(), value.end(), is_base64url_char);
}

std::vector<LinkValue> parse_link_header(std::string_view value) {
  std::vector<LinkValue> links;
  std::size_t pos = 0;
  while (pos < value.size() && links.size() < kMaxLinks) {
    const std::size_t open = value.find('<', pos);
    const std::size_t close = open == std::string_view::npos ? open : value.find('>', open);
    if (close == std::string_view::npos) {
      break;
    }
    LinkValue link{std::string(value.substr(open + 1, close - open - 1)), ""};
    // Parameters up to the next link: the next '<' not inside quotes.
    std::size_t end = close + 1;
    bool quoted = false;
    for (; end < value.size() && (quoted || value[end] != '<'); ++end) {
      quoted = value[end] == '"' ? !quoted : quoted;
    }
    const std::string_view params = value.substr(close + 1, end - close - 1);
    const std::size_t rel = params.find("rel=");
    if (rel != std::string_view::npos) {
      std::string_view text = params.substr(rel + 4);
      if (!text.empty() && text.front() == '"') {
        text.remove_prefix(1);
        text = text.substr(0, text.find('"'));
      } else {
        text = text.substr(0, std::min(text.find(';'), text.find(',')));
      }
      link.rel = std::string(trim_wsp(text));
    }
    links.push_back(std::move(link));
    pos = end;
  }
  return links;
}

Result<HttpsUrl> parse_https_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() > kMaxAcmeUrlLength) {
    return fail(Errc::invalid_value, "the URL is too long");
  }
  if (url.size() < kScheme.size() || ascii_lower(url.substr(0, kScheme.size())) != kScheme) {
    return fail(Errc::invalid_value, "the URL does not start with https://");
  }
  for (const char c : url) {
    if (!is_url_byte(c)) {
      return fail(Errc::invalid_value, "the URL holds a space, control or non-ASCII byte");
    }
  }
  if (url.find('#') != std::string_view::npos) {
    return fail(Errc::invalid_value, "the URL has a fragment");
  }
  const std::string_view rest = url.substr(kScheme.size());
  const std::size_t path_start = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, path_start);
  HttpsUrl out;
  out.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (out.target.front() == '?') {
    out.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) {
    return fail(Errc::invalid_value, "the URL has user information");
  }
  auto host_port = parse_host_port(authority, url_authority(out.port));
  if (!host_port) {
    return fail(Errc::invalid_value, "the URL's host and port: " + host_port.error().message);
  }
  // A name (or IPv4 address) outside brackets: LDH, '.' and '_' only.
  if (host_port->host.find(':') == std::string::npos &&
      host_port->host.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") !=
          std::string::npos) {
    return fail(Errc::invalid_value, "the URL's host has a character not allowed in a name");
  }
  out.host = ascii_lower(host_port->host);
  out.port = host_port->port;
  return out;
}

}  // namespace mtasts::core

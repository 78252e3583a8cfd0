// Fuzz target: the ACME message parsers and grammars (core/acme_messages.hpp). The first byte
// picks what runs (seed_corpus.py writes the golden rows that way); any other byte runs all.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "mtasts/core/acme/acme_messages.hpp"

namespace {

using namespace mtasts::core;

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void parse_objects(char selector, std::string_view text, bool all) {
  if (all || selector == 'd') {
    if (const auto d = parse_acme_directory(text)) {
      check(parse_https_url(d->new_nonce).has_value() && !d->new_order.empty());
    }
  }
  if (all || selector == 'a') {
    (void)parse_acme_account(text);
  }
  if (all || selector == 'o') {
    if (const auto o = parse_acme_order(text)) {
      check(o->identifiers.size() <= kMaxAcmeIdentifiers && !o->finalize.empty());
    }
  }
  if (all || selector == 'z') {
    if (const auto z = parse_acme_authorization(text)) {
      for (const auto& c : z->challenges) {
        check(c.type != "http-01" || is_valid_acme_token(c.token));
      }
    }
  }
  if (all || selector == 'c') {
    (void)parse_acme_challenge(text);
  }
  if (all || selector == 'p') {
    if (const auto p = parse_acme_problem(text)) {
      check(!p->type.empty() && p->detail.size() <= kMaxAcmeDetailLength);
    }
  }
}

void grammars(std::string_view text) {
  if (const auto seconds = parse_retry_after(text, 1'800'000'000)) {
    check(*seconds >= 0 && *seconds <= 86400);
  }
  check(parse_link_header(text).size() <= 32);
  if (const auto url = parse_https_url(text)) {
    check(!url->host.empty() && !url->target.empty() && url->target.front() == '/');
  }
  if (const auto bytes = base64url_decode(text)) {
    check(base64url_encode(*bytes) == text);  // only the canonical form decodes
  }
  const auto round = base64url_decode(base64url_encode(text));
  check(round && *round == text);
  // Builders take caller strings (names, contacts, nonces): the output is always JSON.
  const std::string s(text);
  check(nlohmann::json::accept(acme_new_order_payload({s, s})));
  check(nlohmann::json::accept(acme_new_account_payload({s}, true)));
  check(nlohmann::json::accept(jws_protected_header({s, s}, s, s, s)));
  check(nlohmann::json::accept(jws_flattened(s, s, s)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const char selector = static_cast<char>(data[0]);
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool objects = std::string_view("daozcp").find(selector) != std::string_view::npos;
  const bool grammar = selector == 'g';
  parse_objects(selector, text, !objects && !grammar);
  if (!objects) {
    grammars(text);
  }
  return 0;
}

// Fuzzes the socketmap path: the netstring decoder under arbitrary chunkings, encode/decode round
// trips, request parsing and key normalisation, and reply rendering from hostile policies.
// Aborts on any violated invariant.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_chunks.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/socketmap/netstring.hpp"
#include "mtasts/core/socketmap/postfix_reply.hpp"
#include "mtasts/core/socketmap/socketmap.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace {

using namespace mtasts::core;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

struct Decoded {
  std::vector<std::string> payloads;
  bool failed = false;
  bool partial = false;

  friend bool operator==(const Decoded&, const Decoded&) = default;
};

// Takes every payload `next_payload()` gives until it needs more bytes (or fails).
template <class Next>
void drain(Decoded& out, std::size_t max_payload, Next next_payload) {
  for (;;) {
    auto next = next_payload();
    if (!next) {
      out.failed = true;
      return;
    }
    if (!*next) {
      return;
    }
    check((*next)->size() <= max_payload);
    out.payloads.emplace_back(std::move(**next));
  }
}

// Feeds `bytes` cut into chunks whose sizes come from a small xorshift generator seeded by
// `seed`; seed 0 means one feed.
// With `views`, drains the decoder with next_view() and copies each payload before the next
// feed (the views' lifetime).
Decoded decode(std::string_view bytes, std::uint32_t seed, std::size_t max_payload,
               bool views = false) {
  NetstringDecoder decoder(max_payload);
  Decoded out;
  mtasts::fuzz::Chunks chunks(bytes, seed, 0, 17);
  for (auto piece = chunks.next(); piece && !out.failed; piece = chunks.next()) {
    decoder.feed(*piece);
    if (views) {
      drain(out, max_payload, [&decoder] { return decoder.next_view(); });
    } else {
      drain(out, max_payload, [&decoder] { return decoder.next(); });
    }
  }
  out.partial = !out.failed && decoder.partial();
  return out;
}

void check_reply(const std::string& text, std::size_t limit) {
  check(text.size() <= std::max(limit, kMinReplyLimit));
  check(text.rfind("OK ", 0) == 0 || text == "NOTFOUND " || text.rfind("TEMP ", 0) == 0);
  for (const char c : text) {
    check(c >= 0x20 && c <= 0x7e);
  }
  if (text.rfind("OK ", 0) == 0) {
    int depth = 0;
    for (const char c : text) {
      depth += c == '{' ? 1 : c == '}' ? -1 : 0;
      check(depth == 0 || depth == 1);
    }
    check(depth == 0);
    // The match list itself is never empty and never starts with a separator.
    constexpr std::string_view kHead = "OK secure match=";
    check(text.rfind(kHead, 0) == 0 && text.size() > kHead.size() && text[kHead.size()] != ' ' &&
          text[kHead.size()] != ':');
    // Each entry is a lowercase LDH name of two or more labels, or such a name after one '.'.
    const std::string_view list =
        std::string_view(text).substr(kHead.size(), text.find(' ', kHead.size()) - kHead.size());
    std::size_t from = 0;
    while (from <= list.size()) {
      const std::size_t end = std::min(list.find(':', from), list.size());
      std::string_view entry = list.substr(from, end - from);
      if (!entry.empty() && entry.front() == '.') {
        entry.remove_prefix(1);
      }
      check(!entry.empty() && entry.front() != '.' && entry.find('.') != std::string_view::npos);
      for (const char c : entry) {
        check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.');
      }
      from = end + 1;
    }
  }
}

// A policy built from raw input lines, unvalidated, as if a broken parser had let them through.
Policy hostile_policy(std::string_view bytes, PolicyMode mode) {
  Policy policy;
  policy.mode = mode;
  std::size_t pos = 0;
  while (pos <= bytes.size()) {
    const std::size_t end = std::min(bytes.find('\n', pos), bytes.size());
    const std::string line(bytes.substr(pos, end - pos));
    policy.lines.push_back(line);
    const bool wildcard = line.rfind("*.", 0) == 0;
    policy.mx.push_back(MxPattern{wildcard, wildcard ? line.substr(2) : line});
    pos = end + 1;
  }
  return policy;
}

void fuzz_rendering(std::string_view bytes, std::uint8_t selector) {
  const PolicyMode mode = (selector & 3) == 0   ? PolicyMode::none
                          : (selector & 3) == 1 ? PolicyMode::testing
                                                : PolicyMode::enforce;
  const Policy policy = hostile_policy(bytes, mode);
  const std::vector<std::string> hosts(policy.lines.begin(), policy.lines.end());
  const std::size_t limit = (selector & 32) != 0 ? 300 : kPostfixMaxReply;
  const std::string domain(bytes.substr(0, std::min<std::size_t>(bytes.size(), 40)));
  for (const std::string_view policy_domain :
       {std::string_view("example.com"), std::string_view(domain)}) {
    const PostfixReply reply = render_policy_reply(ReplyInput{
        .policy_domain = policy_domain,
        .policy = policy,
        .form = (selector & 4) != 0 ? MatchForm::mx_hosts : MatchForm::patterns,
        .mx_hosts = hosts,
        .sni = (selector & 8) != 0 ? SniMode::off : SniMode::hostname,
        .testing = (selector & 16) != 0 ? TestingMode::strict : TestingMode::report_only,
        .tlsrpt = (selector & 64) != 0 ? TlsrptAttributes::off : TlsrptAttributes::on,
        .failure =
            (selector & 128) != 0 ? std::optional(PolicyFailure::sts_policy_invalid) : std::nullopt,
        .max_reply = limit,
    });
    check_reply(reply.text, limit);
  }
  const std::string temp = render_temp(bytes);
  check(temp.size() <= 5 + kMaxReasonLength);
  for (const char c : temp) {
    check(c >= 0x20 && c <= 0x7e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::uint32_t seed = 2166136261u;  // FNV-1a of the input picks the chunkings
  for (const char c : bytes) {
    seed = (seed ^ static_cast<std::uint8_t>(c)) * 16777619u;
  }
  const Decoded whole = decode(bytes, 0, kPostfixMaxQuery);
  check(decode(bytes, seed | 1u, kPostfixMaxQuery) == whole);
  check(decode(bytes, (seed >> 7) | 1u, kPostfixMaxQuery) == whole);
  check(decode(bytes, seed | 1u, kPostfixMaxQuery, true) == whole);

  for (const std::string& payload : whole.payloads) {
    const Decoded again = decode(encode_netstring(payload), seed | 1u, kPostfixMaxQuery);
    check(again.payloads.size() == 1 && again.payloads[0] == payload && !again.failed &&
          !again.partial);
    const auto request = parse_socketmap_request(payload);
    const auto view = parse_socketmap_request_view(payload);
    check(request.has_value() == view.has_value());
    if (request) {
      check(request->map_name == view->map_name && request->key == view->key);
      const SocketmapKey key = normalize_socketmap_key(request->key);
      check(key.kind != KeyKind::domain ||
            (!key.name.empty() && key.name.front() != '.' && key.name.back() != '.' &&
             key.name.find(' ') == std::string::npos));
      // The shortcut for normalised keys agrees with the full normalisation.
      if (const auto plain = plain_domain_key(request->key)) {
        check(key.kind == KeyKind::domain && key.name == *plain && is_ldh_domain(*plain));
      }
    }
  }
  // Any input taken as a key: the shortcut never disagrees.
  if (const auto plain = plain_domain_key(bytes)) {
    const SocketmapKey key = normalize_socketmap_key(bytes);
    check(key.kind == KeyKind::domain && key.name == bytes && is_ldh_domain(bytes));
  }
  // Any bytes survive a round trip when the limit allows them.
  const Decoded raw = decode(encode_netstring(bytes), seed | 1u, bytes.size());
  check(raw.payloads.size() == 1 && raw.payloads[0] == bytes && !raw.failed);

  fuzz_rendering(bytes, size == 0 ? 0 : data[0]);
  return 0;
}

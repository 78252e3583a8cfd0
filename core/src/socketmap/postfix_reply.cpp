#include "mtasts/core/socketmap/postfix_reply.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mtasts/core/base/domain_name.hpp"

namespace mtasts::core {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_printable_ascii(char c) {
  return c >= 0x20 && c <= 0x7e;
}

// Lowercase LDH bytes and '.': the only bytes a host name in a reply may have, whatever
// is_ldh_domain() accepts. Nothing else can separate or start an attribute.
bool is_lower_ldh_byte(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '.';
}

std::string_view strip_one_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return name;
}

bool is_lower_ldh_domain(std::string_view name) {
  return std::all_of(name.begin(), name.end(), is_lower_ldh_byte) && is_ldh_domain(name);
}

// A name that may appear in match= or mx_host_pattern=. At least two labels: a single label
// could be one of Postfix's match keywords (hostname, nexthop, dot-nexthop). No address: a
// policy "mx: 192.0.2.1" must never become an IP identity check (CONFORMANCE 020), and no top
// level domain is all digits.
bool is_safe_mx_name(std::string_view name) {
  if (!is_lower_ldh_domain(name)) {
    return false;
  }
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) {
    return false;
  }
  const std::string_view last = name.substr(dot + 1);
  if (std::all_of(last.begin(), last.end(), is_digit)) {
    return false;
  }
  return !is_address_literal(name);
}

// Postfix groups "{ ... }" into one attribute (mystrtokq with CHARS_BRACE), so a brace in a
// policy line would end the group early or never close it.
bool is_safe_policy_line(std::string_view line) {
  return !line.empty() && std::all_of(line.begin(), line.end(), [](char c) {
    return is_printable_ascii(c) && c != '{' && c != '}';
  });
}

struct MatchEntries {
  std::vector<std::string> match;     // match= entries
  std::vector<std::string> patterns;  // mx_host_pattern= values, as the policy writes them
  std::size_t dropped = 0;
};

// Whether `value` is not yet among `values`. A linear scan while the list is short (the usual
// policy has a few patterns: no hash set to allocate per reply); past that a hash set, filled
// on first use, keeps a policy of thousands of patterns from costing quadratic time.
constexpr std::size_t kLinearDedup = 16;
bool first_seen(const std::vector<std::string>& values, std::unordered_set<std::string>& index,
                const std::string& value) {
  if (values.size() < kLinearDedup) {
    return std::find(values.begin(), values.end(), value) == values.end();
  }
  if (index.empty()) {
    index.insert(values.begin(), values.end());
  }
  return index.insert(value).second;
}

MatchEntries collect_entries(const ReplyInput& input) {
  MatchEntries out;
  // The deduplication indexes of out.patterns and (mx_hosts form) out.match: see first_seen.
  std::unordered_set<std::string> seen_patterns;
  std::unordered_set<std::string> seen_match;
  for (const MxPatternView pattern : input.policy.mx) {
    std::string domain = ascii_lower(pattern.domain);
    if (!is_safe_mx_name(domain)) {
      ++out.dropped;
      continue;
    }
    std::string text = pattern.wildcard ? "*." + domain : domain;
    if (!first_seen(out.patterns, seen_patterns, text)) {
      continue;
    }
    out.patterns.push_back(std::move(text));
    if (input.form == MatchForm::patterns) {
      // Postfix writes "any subdomain of x" as ".x" (RFC 8461 §4.1 "*.x" is one label only;
      // Postfix >= 3.10.5 enforces that itself from mx_host_pattern).
      out.match.push_back(pattern.wildcard ? "." + domain : std::move(domain));
    }
  }
  if (input.form == MatchForm::mx_hosts) {
    for (const std::string& host : input.mx_hosts) {
      std::string name = ascii_lower(strip_one_dot(host));
      if (!is_safe_mx_name(name)) {
        ++out.dropped;
        continue;
      }
      if (first_seen(out.match, seen_match, name)) {
        out.match.push_back(std::move(name));
      }
    }
  }
  return out;
}

struct PolicyStrings {
  std::string text;
  std::size_t dropped = 0;
};

PolicyStrings policy_string_attributes(const Policy& policy) {
  PolicyStrings out;
  for (const std::string& line : policy_lines(policy)) {
    if (!is_safe_policy_line(line)) {
      ++out.dropped;
      continue;
    }
    out.text += " { policy_string = ";
    out.text += line;
    out.text += " }";
  }
  return out;
}

// The OK reply with the Postfix 3.10 TLSRPT attributes appended, leaving out what does not fit.
PostfixReply with_tlsrpt_attributes(PostfixReply reply, const ReplyInput& input,
                                    std::string_view domain,
                                    const std::vector<std::string>& patterns, std::size_t limit) {
  std::string head = " policy_type=sts policy_domain=";
  head += domain;
  if (input.failure) {
    head += " policy_failure=";
    head += to_string(tlsrpt_result_type(*input.failure));
  }
  std::string pattern_attributes;
  for (const std::string& pattern : patterns) {
    pattern_attributes += " mx_host_pattern=";
    pattern_attributes += pattern;
  }
  const PolicyStrings strings = policy_string_attributes(input.policy);
  reply.dropped_lines = strings.dropped;
  const std::size_t base = reply.text.size() + head.size();
  if (base + pattern_attributes.size() + strings.text.size() <= limit) {
    reply.text += head + pattern_attributes + strings.text;
  } else if (base + pattern_attributes.size() <= limit) {
    reply.text += head + pattern_attributes;
    reply.trim = ReplyTrim::policy_strings;
  } else if (base <= limit) {
    reply.text += head;
    reply.trim = ReplyTrim::mx_host_patterns;
  } else {
    reply.trim = ReplyTrim::tlsrpt_attributes;
  }
  return reply;
}

std::string join_match(const std::vector<std::string>& entries, SniMode sni) {
  std::string out = "OK secure match=";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i != 0) {
      out += ':';
    }
    out += entries[i];
  }
  switch (sni) {
    case SniMode::off:
      break;
    case SniMode::hostname:
      out += " servername=hostname";
      break;
  }
  return out;
}

std::string render_status(ReplyKind kind, std::string_view reason) {
  std::string out(reply_kind_name(kind));
  out += ' ';
  out += sanitize_reason(reason);
  return out;
}

PostfixReply temp_reply(std::string_view reason, std::size_t dropped_patterns = 0) {
  return PostfixReply{
      .kind = ReplyKind::temp, .text = render_temp(reason), .dropped_patterns = dropped_patterns};
}

}  // namespace

std::string_view reply_kind_name(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::ok:
      return "OK";
    case ReplyKind::notfound:
      return "NOTFOUND";
    case ReplyKind::temp:
      return "TEMP";
    case ReplyKind::perm:
      return "PERM";
    case ReplyKind::timeout:
      return "TIMEOUT";
  }
  return "TEMP";
}

TlsrptResultType tlsrpt_result_type(PolicyFailure failure) {
  switch (failure) {
    case PolicyFailure::sts_policy_fetch_error:
      return TlsrptResultType::sts_policy_fetch_error;
    case PolicyFailure::sts_policy_invalid:
      return TlsrptResultType::sts_policy_invalid;
    case PolicyFailure::sts_webpki_invalid:
      return TlsrptResultType::sts_webpki_invalid;
    case PolicyFailure::validation_failure:
      return TlsrptResultType::validation_failure;
  }
  return TlsrptResultType::validation_failure;  // unreachable: the switch is exhaustive
}

std::string render_notfound() {
  return "NOTFOUND ";
}

std::string render_temp(std::string_view reason) {
  return render_status(ReplyKind::temp, reason);
}

std::string render_perm(std::string_view reason) {
  return render_status(ReplyKind::perm, reason);
}

std::string render_timeout(std::string_view reason) {
  return render_status(ReplyKind::timeout, reason);
}

std::string sanitize_reason(std::string_view reason) {
  std::string out;
  out.reserve(std::min(reason.size(), kMaxReasonLength));
  for (const char c : reason) {
    if (out.empty() && c == ' ') {
      continue;
    }
    if (out.size() == kMaxReasonLength) {
      break;
    }
    out += is_printable_ascii(c) ? c : '?';
  }
  if (out.empty()) {
    return "unspecified";
  }
  // Leading spaces were skipped, so a non-space byte exists.
  out.erase(out.find_last_not_of(' ') + 1);
  return out;
}

PostfixReply render_policy_reply(const ReplyInput& input) {
  switch (input.policy.mode) {
    case PolicyMode::none:
      return PostfixReply{.kind = ReplyKind::notfound, .text = render_notfound()};
    case PolicyMode::testing:
      switch (input.testing) {
        case TestingMode::report_only:
          return PostfixReply{.kind = ReplyKind::notfound, .text = render_notfound()};
        case TestingMode::strict:
          break;
      }
      break;
    case PolicyMode::enforce:
      break;
  }
  const std::string domain = ascii_lower(strip_one_dot(input.policy_domain));
  if (!is_lower_ldh_domain(domain)) {
    return temp_reply("MTA-STS policy domain \"" + std::string(input.policy_domain) +
                      "\" is not a host name");
  }
  MatchEntries entries = collect_entries(input);
  if (entries.match.empty()) {
    switch (input.form) {
      case MatchForm::patterns:
        return temp_reply("MTA-STS policy of " + domain + " has no usable mx pattern",
                          entries.dropped);
      case MatchForm::mx_hosts:
        return temp_reply("no MX host of " + domain + " matches its MTA-STS policy",
                          entries.dropped);
    }
  }
  const std::size_t limit = std::max(input.max_reply, kMinReplyLimit);
  PostfixReply reply{.kind = ReplyKind::ok,
                     .text = join_match(entries.match, input.sni),
                     .dropped_patterns = entries.dropped};
  if (reply.text.size() > limit) {
    return temp_reply(
        "MTA-STS policy of " + domain + " has too many mx entries for a Postfix reply",
        entries.dropped);
  }
  switch (input.tlsrpt) {
    case TlsrptAttributes::off:
      return reply;
    case TlsrptAttributes::on:
      break;
  }
  return with_tlsrpt_attributes(std::move(reply), input, domain, entries.patterns, limit);
}

}  // namespace mtasts::core

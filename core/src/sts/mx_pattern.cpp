#include "mtasts/core/sts/mx_pattern.hpp"

#include <algorithm>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"

namespace mtasts::core {

namespace {

constexpr char kWildcard = '*';
constexpr char kExact = '=';

}  // namespace

std::string MxPatternView::text() const {
  std::string out;
  out.reserve(domain.size() + (wildcard ? 2 : 0));
  if (wildcard) {
    out += "*.";
  }
  out += domain;
  return out;
}

std::string MxPattern::text() const {
  return MxPatternView(*this).text();
}

MxPatternView MxPatterns::Iterator::operator*() const {
  const std::string_view item = *at_;
  return {item.front() == kWildcard, item.substr(1)};
}

void MxPatterns::push_back(MxPatternView pattern) {
  std::string item;
  item.reserve(pattern.domain.size() + 1);
  item += pattern.wildcard ? kWildcard : kExact;
  item += pattern.domain;
  items_.push_back(item);
}

Result<MxPattern> parse_mx_pattern(std::string_view value) {
  MxPattern pattern;
  std::string_view domain = value;
  if (domain.substr(0, 2) == "*.") {
    pattern.wildcard = true;
    domain.remove_prefix(2);
  }
  if (std::any_of(domain.begin(), domain.end(), [](char c) { return !is_ascii(c); })) {
    return fail(Errc::invalid_value, "\"" + printable(value) +
                                         "\" is not in A-label form: policies must use Punycode "
                                         "(xn--) labels (RFC 8461 §3.2)");
  }
  if (!is_ldh_domain(domain)) {
    return fail(Errc::invalid_syntax,
                "\"" + printable(value) +
                    "\" is not a host name or \"*.\" followed by a host name (labels of letters, "
                    "digits and hyphens; \"*\" only as the whole left-most label)");
  }
  if (std::string problem = fake_a_label_problem(domain); !problem.empty()) {
    return fail(Errc::invalid_value, "\"" + printable(value) + "\" is not a host name: " + problem);
  }
  pattern.domain = ascii_lower(domain);
  return pattern;
}

bool mx_matches(MxPatternView pattern, std::string_view mx_host) {
  if (!mx_host.empty() && mx_host.back() == '.') {
    mx_host.remove_suffix(1);
  }
  if (mx_host.empty() || is_address_literal(mx_host) ||
      (!pattern.wildcard && is_address_literal(pattern.domain))) {
    return false;  // CONFORMANCE 020: an IP address is never an identity to match
  }
  const std::string_view domain = pattern.domain;
  if (!pattern.wildcard) {
    return iequals(mx_host, domain);
  }
  // RFC 8461 §4.1: "*." stands for exactly one left-most label.
  if (mx_host.size() < domain.size() + 2) {
    return false;
  }
  const std::size_t split = mx_host.size() - domain.size() - 1;
  if (mx_host[split] != '.' || !iequals(mx_host.substr(split + 1), domain)) {
    return false;
  }
  const std::string_view label = mx_host.substr(0, split);
  return label.find_first_of(".*") == std::string_view::npos;
}

}  // namespace mtasts::core

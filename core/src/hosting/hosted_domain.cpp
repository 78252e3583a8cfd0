#include "mtasts/core/hosting/hosted_domain.hpp"

#include <algorithm>

#include "hosting/hosted_policy_check.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"
#include "mtasts/core/sts/mx_pattern.hpp"
#include "mtasts/core/sts/sts_record.hpp"

namespace mtasts::core {
namespace {

using std::chrono::days;
using std::chrono::seconds;

// The UTC fields of a time, clamped to the years 0000-9999 so every rendering has 4 digits.
struct UtcFields {
  int year = 0;
  unsigned month = 1, day = 1;
  long hour = 0, minute = 0, second = 0;
};

UtcFields utc_fields(HostTime t) {
  constexpr std::chrono::year_month_day kFirst{std::chrono::year{0}, std::chrono::January,
                                               std::chrono::day{1}};
  constexpr std::chrono::year_month_day kLast{std::chrono::year{9999}, std::chrono::December,
                                              std::chrono::day{31}};
  const HostTime first{std::chrono::sys_days{kFirst}};
  const HostTime last{std::chrono::sys_days{kLast} + days{1} - seconds{1}};
  t = std::clamp(t, first, last);
  const auto day_start = std::chrono::floor<days>(t);
  const std::chrono::year_month_day date{day_start};
  const std::chrono::hh_mm_ss<seconds> time{t - day_start};
  return UtcFields{static_cast<int>(date.year()),
                   static_cast<unsigned>(date.month()),
                   static_cast<unsigned>(date.day()),
                   static_cast<long>(time.hours().count()),
                   static_cast<long>(time.minutes().count()),
                   static_cast<long>(time.seconds().count())};
}

void append_digits(std::string& out, long value, std::size_t width) {
  std::string digits = std::to_string(value);
  if (digits.size() < width) {
    out.append(width - digits.size(), '0');
  }
  out += digits;
}

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return is_digit(c); });
}

// Compares two digit strings as the numbers they spell.
int compare_decimal(std::string_view a, std::string_view b) {
  a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
  b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
  if (a.size() != b.size()) {
    return a.size() < b.size() ? -1 : 1;
  }
  return a.compare(b);
}

// The digit string plus one, as long as it needs to be.
std::string increment_decimal(std::string digits) {
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it != '9') {
      ++*it;
      return digits;
    }
    *it = '0';
  }
  return "1" + digits;
}

}  // namespace

std::string_view record_mode_name(RecordMode mode) {
  switch (mode) {
    case RecordMode::self:
      return "self";
    case RecordMode::delegated:
      return "delegated";
  }
  return "self";
}

std::optional<RecordMode> parse_record_mode(std::string_view text) {
  if (text == "self") {
    return RecordMode::self;
  }
  if (text == "delegated") {
    return RecordMode::delegated;
  }
  return std::nullopt;
}

std::string_view hosted_state_name(HostedState state) {
  switch (state) {
    case HostedState::active:
      return "active";
    case HostedState::removing:
      return "removing";
  }
  return "active";
}

std::optional<HostedState> parse_hosted_state(std::string_view text) {
  if (text == "active") {
    return HostedState::active;
  }
  if (text == "removing") {
    return HostedState::removing;
  }
  return std::nullopt;
}

std::string format_utc(HostTime t) {
  const UtcFields f = utc_fields(t);
  std::string out;
  out.reserve(20);
  append_digits(out, f.year, 4);
  out += '-';
  append_digits(out, f.month, 2);
  out += '-';
  append_digits(out, f.day, 2);
  out += 'T';
  append_digits(out, f.hour, 2);
  out += ':';
  append_digits(out, f.minute, 2);
  out += ':';
  append_digits(out, f.second, 2);
  out += 'Z';
  return out;
}

tl::expected<std::string, std::string> check_mx_entry(std::string_view value) {
  Result<MxPattern> pattern = parse_mx_pattern(value);
  if (!pattern) {
    return tl::unexpected(pattern.error().message);
  }
  if (is_address_literal(pattern->domain)) {
    // RFC 8461 §4.1: patterns are matched against MX host names, never addresses.
    return tl::unexpected("\"" + printable(value) +
                          "\" is an IP address: mx patterns match MX host names only");
  }
  return pattern->text();
}

tl::expected<HostedPolicy, FieldProblem> check_hosted_policy(HostedPolicy policy) {
  if (policy.mx.size() > kHostedMaxMx) {
    return tl::unexpected(FieldProblem{
        "mx",
        std::to_string(policy.mx.size()) + " patterns; at most " + std::to_string(kHostedMaxMx)});
  }
  std::vector<std::string> mx;
  mx.reserve(policy.mx.size());
  for (std::size_t i = 0; i < policy.mx.size(); ++i) {
    auto entry = check_mx_entry(policy.mx[i]);
    if (!entry) {
      return tl::unexpected(FieldProblem{"mx[" + std::to_string(i) + "]", entry.error()});
    }
    if (std::find(mx.begin(), mx.end(), *entry) == mx.end()) {
      mx.push_back(std::move(*entry));
    }
  }
  if (mx.empty() && policy.mode != PolicyMode::none) {
    // RFC 8461 §3.2: mx is required unless the mode is none.
    return tl::unexpected(FieldProblem{
        "mx", "mode " + std::string(mode_name(policy.mode)) + " needs at least one mx pattern"});
  }
  if (policy.max_age < 1 || policy.max_age > kMaxPolicyMaxAge) {
    return tl::unexpected(FieldProblem{"max_age", std::to_string(policy.max_age) +
                                                      " is out of range: 1 to 31557600 seconds "
                                                      "(RFC 8461 §3.2)"});
  }
  policy.mx = std::move(mx);
  return policy;
}

Result<HostedPolicy> validate_hosted_policy(HostedPolicy policy) {
  auto checked = check_hosted_policy(std::move(policy));
  if (!checked) {
    return fail(Errc::invalid_value, checked.error().field + ": " + checked.error().message);
  }
  return std::move(*checked);
}

std::string next_policy_id(HostTime now, std::string_view previous) {
  const UtcFields f = utc_fields(now);
  std::string stamp;
  stamp.reserve(14);
  append_digits(stamp, f.year, 4);
  append_digits(stamp, f.month, 2);
  append_digits(stamp, f.day, 2);
  append_digits(stamp, f.hour, 2);
  append_digits(stamp, f.minute, 2);
  append_digits(stamp, f.second, 2);
  if (previous.empty() || !all_digits(previous) || compare_decimal(stamp, previous) > 0) {
    return stamp;
  }
  std::string next = increment_decimal(std::string(previous));
  if (next.size() > kMaxStsIdLength) {
    // RFC 8461 §3.1 caps ids at 32 characters; senders only compare ids for equality, so a
    // different id is all a change needs once counting up no longer fits.
    return stamp;
  }
  return next;
}

std::string render_hosted_policy(const HostedPolicy& policy) {
  Policy rendered;
  rendered.mode = policy.mode;
  rendered.max_age = policy.max_age;
  for (const std::string& pattern : policy.mx) {
    const bool wildcard = pattern.starts_with("*.");
    rendered.mx.push_back(
        MxPatternView{wildcard, std::string_view(pattern).substr(wildcard ? 2 : 0)});
  }
  return render_policy(rendered);
}

HostedPolicy propose_hosted_policy(const std::vector<std::string>& mx_hosts) {
  HostedPolicy policy;  // mode testing, kHostedDefaultMaxAge
  for (std::string_view host : mx_hosts) {
    if (!host.empty() && host.back() == '.') {
      host.remove_suffix(1);
    }
    // RFC 7505: the null MX ("." in a zone file, empty here) names no host. A host that is no
    // valid exact pattern (an address, a wildcard) is left for the administrator to name.
    if (host.empty() || host.starts_with("*")) {
      continue;
    }
    auto entry = check_mx_entry(host);
    if (entry && std::find(policy.mx.begin(), policy.mx.end(), *entry) == policy.mx.end()) {
      policy.mx.push_back(std::move(*entry));
    }
  }
  return policy;
}

HostedDomain new_hosted_domain(std::string name, HostedPolicy policy, RecordMode records,
                               HostTime now) {
  HostedDomain domain;
  domain.name = std::move(name);
  domain.records = records;
  domain.longest_max_age = policy.max_age;
  domain.current = PolicyVersion{next_policy_id(now, ""), std::move(policy), now};
  domain.created_at = now;
  domain.updated_at = now;
  return domain;
}

Result<PolicyChange> change_hosted_policy(const HostedDomain& domain, HostedPolicy policy,
                                          HostTime now) {
  if (domain.state == HostedState::removing) {
    return fail(Errc::invalid_value,
                "the removal of " + domain.name + " began: its policy no longer changes");
  }
  Result<HostedPolicy> checked = validate_hosted_policy(std::move(policy));
  if (!checked) {
    return tl::unexpected(checked.error());
  }
  if (*checked == domain.current.policy) {
    return PolicyChange{domain, ChangeResult::unchanged};
  }
  HostedDomain next = domain;
  next.longest_max_age = std::max(next.longest_max_age, checked->max_age);
  next.current = PolicyVersion{next_policy_id(now, domain.current.id), std::move(*checked), now};
  next.updated_at = now;
  return PolicyChange{std::move(next), ChangeResult::changed};
}

Result<HostedDomain> begin_hosted_removal(const HostedDomain& domain, HostTime now) {
  if (domain.state == HostedState::removing) {
    return fail(Errc::invalid_value, "the removal of " + domain.name + " already began");
  }
  // RFC 8461 §8.3: a sender may hold any policy served so far for its max_age, so the none
  // version is served until the longest of them has passed.
  const std::uint32_t longest = std::max(domain.longest_max_age, domain.current.policy.max_age);
  HostedDomain next = domain;
  next.state = HostedState::removing;
  next.current = PolicyVersion{next_policy_id(now, domain.current.id),
                               HostedPolicy{PolicyMode::none, {}, kHostedRemovalMaxAge}, now};
  next.longest_max_age = std::max(longest, kHostedRemovalMaxAge);
  next.serve_until = now + seconds{longest};
  next.updated_at = now;
  return next;
}

bool hosted_serving(const HostedDomain& domain, HostTime now) {
  switch (domain.state) {
    case HostedState::active:
      return true;
    case HostedState::removing:
      return domain.serve_until.has_value() && now < *domain.serve_until;
  }
  return false;
}

}  // namespace mtasts::core

#include "cache/cache_output.hpp"

#include <algorithm>
#include <cstdio>

#include "mtasts/core/sts/policy.hpp"

namespace mtasts::app {
namespace {

using std::chrono::days;
using std::chrono::seconds;

// "3d 4h", "5h 2m", "42s": a rough span for people.
std::string span_text(seconds span) {
  const long long total = span.count();
  const long long d = total / 86400;
  const long long h = total % 86400 / 3600;
  const long long m = total % 3600 / 60;
  if (d > 0) {
    return std::to_string(d) + "d " + std::to_string(h) + "h";
  }
  if (h > 0) {
    return std::to_string(h) + "h " + std::to_string(m) + "m";
  }
  return m > 0 ? std::to_string(m) + "m " + std::to_string(total % 60) + "s"
               : std::to_string(total) + "s";
}

std::string relative(core::TimePoint t, core::TimePoint now) {
  return t <= now ? span_text(now - t) + " ago" : "in " + span_text(t - now);
}

std::string mx_list(const core::Policy& policy) {
  std::string out;
  for (const auto& pattern : policy.mx) {
    out += (out.empty() ? "" : ", ") + pattern.text();
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::string rfc3339(core::TimePoint t) {
  const auto day = std::chrono::floor<days>(t);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{t - day};
  char text[96];  // room for any value GCC thinks the fields could hold
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<long long>(time.hours().count()),
                static_cast<long long>(time.minutes().count()),
                static_cast<long long>(time.seconds().count()));
  return text;
}

nlohmann::json policy_entry_json(const store::StoredPolicy& stored, WithBody body) {
  nlohmann::json out = {{"domain", stored.domain}, {"id", stored.id}};
  const auto policy = core::parse_policy(stored.body);
  if (policy) {
    nlohmann::json mx = nlohmann::json::array();
    for (const auto& pattern : policy->mx) {
      mx.push_back(pattern.text());
    }
    out["mode"] = std::string(core::mode_name(policy->mode));
    out["mx"] = std::move(mx);
    out["max_age"] = policy->max_age;
  } else {
    out["mode"] = nullptr;
    out["mx"] = nullptr;
    out["max_age"] = nullptr;
    out["error"] = "the stored policy no longer parses: " + policy.error().message;
  }
  out["fetched_at"] = rfc3339(stored.fetched_at);
  out["expires_at"] = rfc3339(stored.expires_at);
  if (body == WithBody::yes) {
    // Bodies passed the policy parser when fetched: UTF-8, so valid JSON strings.
    out["body"] = stored.body;
  }
  return out;
}

std::string list_text(const std::vector<store::StoredPolicy>& policies) {
  std::size_t width = 0;
  for (const store::StoredPolicy& stored : policies) {
    width = std::max(width, stored.domain.size());
  }
  std::string out;
  for (const store::StoredPolicy& stored : policies) {
    const auto policy = core::parse_policy(stored.body);
    std::string mode = policy ? std::string(core::mode_name(policy->mode)) : "INVALID";
    out += stored.domain + std::string(width - stored.domain.size() + 2, ' ');
    out += mode + std::string(mode.size() < 9 ? 9 - mode.size() : 1, ' ');
    out += "expires " + rfc3339(stored.expires_at) + "  id " + stored.id + "\n";
  }
  return out;
}

std::string show_text(const store::StoredPolicy& stored, core::TimePoint now,
                      std::string_view backend) {
  std::string out = stored.domain + "\n";
  out += "  store       " + std::string(backend) + "\n";
  out += "  id          " + stored.id + "\n";
  out += "  fetched at  " + rfc3339(stored.fetched_at) + " (" + relative(stored.fetched_at, now) +
         ")\n";
  out += "  expires at  " + rfc3339(stored.expires_at) + " (" + relative(stored.expires_at, now) +
         ")\n";
  if (const auto policy = core::parse_policy(stored.body)) {
    out += "  mode        " + std::string(core::mode_name(policy->mode)) + "\n";
    out += "  mx          " + mx_list(*policy) + "\n";
    out += "  max_age     " + std::to_string(policy->max_age) + "\n";
  } else {
    out += "  INVALID     the stored policy no longer parses: " + policy.error().message + "\n";
  }
  out += "  policy text:\n";
  std::size_t start = 0;
  while (start < stored.body.size()) {
    std::size_t end = stored.body.find('\n', start);
    end = end == std::string::npos ? stored.body.size() : end;
    std::string line = stored.body.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    out += "    " + line + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace mtasts::app

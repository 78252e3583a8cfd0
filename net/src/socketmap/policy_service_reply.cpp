// The reply of a lookup once discovery is settled: NOTFOUND, DANE's level where the destination
// has usable DNSSEC-signed TLSA records (DANE first, see policy_service_dane.cpp), the policy's
// patterns, or (mx_match resolve) the destination's MX hosts the policy allows, after the RFC
// 8461 §5 re-check when none is. Cached lookups are answered without suspending, from a memo
// kept with the MX answer (or the DANE verdict).
//
// Never wider than the policy: when the MX hosts are unknown (the lookup failed or timed out,
// now or within mx_ttl_min: a cached failure) or there are none (a null MX), the reply lists
// only the policy's exact names, or is TEMP when the policy has none (see exact_names_reply).

#include <algorithm>

#include "socketmap/policy_service_impl.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kNotFound = "NOTFOUND ";

bool enforced(core::PolicyMode mode, core::TestingMode testing) {
  switch (mode) {
    case core::PolicyMode::enforce:
      return true;
    case core::PolicyMode::testing:
      return testing == core::TestingMode::strict;
    case core::PolicyMode::none:
      return false;
  }
  return false;
}

std::vector<std::string> allowed_hosts(const core::Policy& policy,
                                       const std::vector<std::string>& hosts) {
  std::vector<std::string> allowed;
  for (const std::string& host : hosts) {
    if (core::policy_allows_mx(policy, host)) {
      allowed.push_back(host);
    }
  }
  return allowed;
}

// Whether the policy allows every one of `hosts` (the usual case: no filtered copy needed).
bool allows_all(const core::Policy& policy, const std::vector<std::string>& hosts) {
  return std::all_of(hosts.begin(), hosts.end(), [&policy](const std::string& host) {
    return core::policy_allows_mx(policy, host);
  });
}

std::string render(const ZoneSettings& zone, std::string_view domain, const core::Policy& policy,
                   core::MatchForm form, const std::vector<std::string>& hosts) {
  const core::ReplyInput input{.policy_domain = domain,
                               .policy = policy,
                               .form = form,
                               .mx_hosts = hosts,
                               .sni = zone.sni,
                               .testing = zone.testing,
                               .tlsrpt = zone.tlsrpt};
  // No policy_failure: a reply with a policy delivers under that policy (RFC 8461 §3.3 keeps a
  // cached policy through failed refreshes), and policy_failure would make Postfix fail it.
  return core::render_policy_reply(input).text;
}

// The reply for an enforced policy given the destination's MX answer (resolve mode).
struct MxReply {
  bool matched = true;       // false: no MX host is allowed (nothing rendered)
  bool mx_fallback = false;  // no MX host to match: exact names only, or TEMP
  std::string text;
};

// With no MX host to match, Postfix still dials only hosts of its own MX answer, so listing the
// policy's exact (non-wildcard) names allows no host the policy does not. A wildcard has no
// Postfix form that is as narrow: "*.example.com" allows one label, while Postfix's
// ".example.com" matches any depth, so wildcards are left out. A policy of wildcards only gets
// TEMP: Postfix defers, and the mail goes out once an MX lookup succeeds.
MxReply exact_names_reply(const ZoneSettings& zone, std::string_view domain,
                          const core::Policy& policy) {
  std::vector<std::string> names;
  for (const core::MxPatternView pattern : policy.mx) {
    if (!pattern.wildcard) {
      names.emplace_back(pattern.domain);
    }
  }
  if (names.empty()) {
    std::string reason = "MTA-STS: the MX hosts of ";
    reason.append(domain).append(" are unknown and its policy allows only wildcards");
    return {true, true, core::render_temp(reason)};
  }
  return {true, true, render(zone, domain, policy, core::MatchForm::mx_hosts, names)};
}

MxReply reply_for_hosts(const ZoneSettings& zone, std::string_view domain,
                        const core::Policy& policy, const std::vector<std::string>& hosts) {
  if (hosts.empty()) {
    return exact_names_reply(zone, domain, policy);
  }
  if (allows_all(policy, hosts)) {
    return {true, false, render(zone, domain, policy, core::MatchForm::mx_hosts, hosts)};
  }
  const std::vector<std::string> allowed = allowed_hosts(policy, hosts);
  if (allowed.empty()) {
    return {false, false, {}};
  }
  return {true, false, render(zone, domain, policy, core::MatchForm::mx_hosts, allowed)};
}

void remember(ReplyMemo& memo, const std::shared_ptr<const core::CachedPolicy>& policy,
              const ZoneSettings& zone, bool mx_fallback, std::string reply) {
  memo.policy = policy;
  memo.sni = zone.sni;
  memo.testing = zone.testing;
  memo.tlsrpt = zone.tlsrpt;
  memo.mx_fallback = mx_fallback;
  memo.reply = std::move(reply);
}

// The memo of `domain`'s reply in the patterns form, made empty if new; null when there may be
// none (mx_cache_capacity 0). A full table drops an arbitrary memo for the new one.
ReplyMemo* pattern_memo(Impl& impl, std::string_view domain) {
  ReplyMemos& memos = impl.pattern_replies;
  if (auto it = memos.find(domain); it != memos.end()) {
    return &it->second;
  }
  if (impl.options.mx_cache_capacity == 0) {
    return nullptr;
  }
  if (memos.size() >= impl.options.mx_cache_capacity) {
    memos.erase(memos.begin());
  }
  return &memos.emplace(std::string(domain), ReplyMemo{}).first->second;
}

}  // namespace

std::string_view mx_fallback_name(MxFallback why) {
  switch (why) {
    case MxFallback::none:
      return "none";
    case MxFallback::null_mx:
      return "null-mx";
    case MxFallback::lookup_failed:
      return "mx-lookup-failed";
  }
  return "none";
}

void note_mx_fallback(Impl& impl, std::string_view domain, MxFallback why, bool rendered) {
  ++impl.counters->mx_fallbacks;
  const LogLevel level = why == MxFallback::null_mx && rendered ? LogLevel::info : LogLevel::debug;
  if (impl.log.enabled(level)) {
    impl.log.log(level, "mx-fallback", {{"domain", domain}, {"why", mx_fallback_name(why)}});
  }
}

ReplyNow reply_now(Impl& impl, const ZoneSettings& zone, std::string_view domain,
                   const core::Decision& decision, bool bracketed, core::TimePoint now,
                   bool dane_settled) {
  ReplyNow out;
  if (!decision.serve || !enforced(decision.serve->policy.mode, zone.testing)) {
    out.text = kNotFound;
    return out;
  }
  // DANE first: a policy reply would replace Postfix's own dane level for the destination.
  if (impl.options.dane && !dane_settled) {
    const DaneEntry* dane =
        bracketed ? cached_dane(impl, dane_key(domain, true), now) : cached_dane(impl, domain, now);
    if (dane == nullptr) {
      out.need = ReplyNeed::dane_lookup;
      return out;
    }
    if (dane->verdict.level != core::DaneLevel::none) {
      out.text = dane->reply;
      out.dane = dane->verdict.level;
      return out;
    }
  }
  const core::Policy& policy = decision.serve->policy;
  if (impl.options.match == core::MatchForm::patterns) {
    ReplyMemo* memo = pattern_memo(impl, domain);
    if (memo != nullptr && memo->fits(decision.serve, zone)) {
      out.text = memo->reply;
      return out;
    }
    out.rendered_from = SteadyClock::now();
    std::string reply = render(zone, domain, policy, core::MatchForm::patterns, {});
    if (memo == nullptr) {
      impl.reply_scratch = std::move(reply);
      out.text = impl.reply_scratch;
      return out;
    }
    remember(*memo, decision.serve, zone, false, std::move(reply));
    out.text = memo->reply;
    return out;
  }
  if (bracketed) {
    // Postfix connects to the bracketed host itself, without an MX lookup.
    out.rendered_from = SteadyClock::now();
    MxReply reply = reply_for_hosts(zone, domain, policy, {std::string(domain)});
    if (!reply.matched) {
      out.need = ReplyNeed::recheck;
      out.first_mx = domain;
      return out;
    }
    impl.reply_scratch = std::move(reply.text);
    out.text = impl.reply_scratch;
    return out;
  }
  MxEntry* mx = cached_mx(impl, domain, now);
  if (mx == nullptr) {
    out.need = ReplyNeed::mx_lookup;
    return out;
  }
  ReplyMemo& memo = mx->memo;
  if (!memo.fits(decision.serve, zone)) {
    out.rendered_from = SteadyClock::now();
    MxReply reply = reply_for_hosts(zone, domain, policy, mx->hosts);
    if (!reply.matched) {
      out.need = ReplyNeed::recheck;
      out.first_mx = mx->hosts.front();
      return out;
    }
    remember(memo, decision.serve, zone, reply.mx_fallback, std::move(reply.text));
  }
  out.text = memo.reply;
  if (memo.mx_fallback) {
    out.mx_fallback = mx->failed ? MxFallback::lookup_failed : MxFallback::null_mx;
  }
  return out;
}

asio::awaitable<std::string> reply_for(ImplPtr impl, const ZoneSettings& zone,
                                       std::string_view domain, core::Decision decision,
                                       bool bracketed) {
  const Deadline deadline = SteadyClock::now() + zone.timeout;
  bool dane_settled = false;
  bool rechecked = false;
  while (true) {
    const ReplyNow now =
        reply_now(*impl, zone, domain, decision, bracketed, impl->now(), dane_settled);
    std::string first_mx;
    if (now.need == ReplyNeed::none) {
      if (now.mx_fallback != MxFallback::none) {
        note_mx_fallback(*impl, domain, now.mx_fallback, now.rendered_from.has_value());
      }
      if (now.dane != core::DaneLevel::none) {
        impl->counters->count(now.dane);
      }
      co_return std::string(now.text);
    }
    if (now.need == ReplyNeed::dane_lookup) {
      const core::DaneVerdict verdict =
          co_await dane_verdict(impl, std::string(domain), bracketed, deadline);
      if (verdict.level != core::DaneLevel::none) {
        impl->counters->count(verdict.level);
        co_return core::render_dane_reply(verdict, domain);
      }
      dane_settled = true;
      continue;
    }
    if (now.need == ReplyNeed::mx_lookup) {
      MxHosts mx = co_await mx_hosts(impl, std::string(domain), deadline);
      if (!mx.ok) {
        mx.hosts.clear();
      }
      MxReply reply = reply_for_hosts(zone, domain, decision.serve->policy, mx.hosts);
      if (reply.mx_fallback) {
        note_mx_fallback(*impl, domain, mx.ok ? MxFallback::null_mx : MxFallback::lookup_failed,
                         true);
      }
      if (reply.matched) {
        co_return std::move(reply.text);
      }
      first_mx = mx.hosts.front();
    } else {
      first_mx = now.first_mx;  // a copy: the re-check drops the cached MX answer
    }
    if (!rechecked) {
      rechecked = true;
      auto fresh = co_await recheck(impl, std::string(domain), deadline);
      if (fresh) {
        decision = std::move(*fresh);
        continue;
      }
    }
    ++impl->counters->mx_no_match;
    impl->log.log(LogLevel::info, "mx-no-match",
                  {{"domain", domain}, {"mx", first_mx}, {"id", decision.serve->id}});
    co_return core::render_temp("MTA-STS: no MX host of " + std::string(domain) +
                                " matches its policy");
  }
}

}  // namespace mtasts::net

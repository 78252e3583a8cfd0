#include "mtasts/hosting/host_monitor.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <utility>

#include "mtasts/core/check/check_rules.hpp"
#include "mtasts/core/sts/policy_audit.hpp"
#include "mtasts/hosting/host_json.hpp"
#include "mtasts/hosting/host_schedule.hpp"
#include "mtasts/net/check/deployment_check.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;
using core::CheckCode;
using core::CheckFinding;

bool has_code(const std::vector<CheckFinding>& findings, CheckCode code) {
  return std::any_of(findings.begin(), findings.end(),
                     [code](const CheckFinding& f) { return f.id == code; });
}

}  // namespace

std::vector<CheckFinding> monitor_findings(const core::HostedDomain& domain,
                                           const core::ServiceIdentity& service,
                                           const core::HostedObservation& observed,
                                           std::vector<CheckFinding> sender_view,
                                           core::HostTime now, std::chrono::seconds grace) {
  std::vector<CheckFinding> out =
      core::hosted_findings(domain, service, observed, now.time_since_epoch().count());
  for (CheckFinding& finding : out) {
    if (finding.id == CheckCode::hosted_id_stale && stale_id_expected(domain, now, grace)) {
      finding.severity = core::CheckSeverity::warning;
      finding.message += " (the version is " +
                         std::to_string((now - domain.current.created_at).count()) +
                         " s old: the record should follow within its TTL)";
    }
  }
  for (CheckFinding& finding : sender_view) {
    if (finding.area != core::CheckArea::sts_record) {
      out.push_back(std::move(finding));
    }
  }
  return out;
}

bool findings_pass(const std::vector<CheckFinding>& findings) {
  return std::none_of(findings.begin(), findings.end(), [](const CheckFinding& f) {
    return f.severity == core::CheckSeverity::error;
  });
}

std::string alert_json(const std::string& domain, bool passing, std::optional<bool> previous,
                       core::HostTime checked_at, const std::string& instance,
                       const std::vector<CheckFinding>& findings) {
  std::vector<CheckFinding> relevant;
  for (const CheckFinding& finding : findings) {
    if (finding.severity != core::CheckSeverity::info) {
      relevant.push_back(finding);
    }
  }
  const nlohmann::json document = {
      {"event", "mtasts-host-monitor"},
      {"domain", domain},
      {"passing", passing},
      {"previous", previous ? nlohmann::json(*previous) : nlohmann::json(nullptr)},
      {"checked_at", core::format_utc(checked_at)},
      {"instance", instance},
      {"findings", findings_json(relevant)}};
  return json_text(document);
}

Monitor::Monitor(asio::any_io_executor executor, StoreWorker& store, HostSync& sync,
                 net::DnsResolver& resolver, net::PolicyFetcher& fetcher, net::SmtpProber& prober,
                 AlertHook* alerts, const net::Clock& clock, net::Logger& log,
                 MonitorOptions options)
    : executor_(std::move(executor)),
      store_(store),
      sync_(sync),
      resolver_(resolver),
      fetcher_(fetcher),
      prober_(prober),
      alerts_(alerts),
      clock_(clock),
      log_(log),
      options_(std::move(options)) {}

void Monitor::scan() {
  if (!sync_.loaded() || options_.interval.count() == 0) {
    return;
  }
  const core::HostTime now = clock_.now();
  const std::shared_ptr<const LoadedState> state = sync_.shared_state();
  std::set<std::string, std::less<>> present;
  for (const store::DomainRow& row : state->domains) {
    const std::string& domain = row.domain.name;
    present.insert(domain);
    if (!core::hosted_serving(row.domain, now)) {
      continue;
    }
    auto next = next_.find(domain);
    if (next == next_.end()) {
      next = next_.emplace(domain, first_check_time(domain, now, options_.interval)).first;
    }
    if (now < next->second || in_flight_.contains(domain) ||
        in_flight_.size() >= options_.concurrency) {
      continue;
    }
    next->second = next_check_time(domain, now, options_.interval);
    in_flight_.insert(domain);
    asio::co_spawn(executor_, check(row, state->certificate(policy_host_name(domain))),
                   [this, domain](const std::exception_ptr& error) {
                     if (error) {
                       log_.log(net::LogLevel::error, "monitor-crashed", {{"domain", domain}});
                     }
                     in_flight_.erase(domain);
                   });
  }
  for (auto it = next_.begin(); it != next_.end();) {
    if (present.contains(it->first)) {
      ++it;
      continue;
    }
    verdicts_.erase(it->first);
    it = next_.erase(it);
  }
}

asio::awaitable<void> Monitor::run(LoopTimer& timer, std::chrono::milliseconds tick) {
  for (;;) {
    scan();
    const bool go_on = co_await timer.wait(tick);
    if (!go_on) {
      co_return;
    }
  }
}

asio::awaitable<core::HostedObservation> Monitor::observe(
    const std::string& domain, const std::optional<CertificateStatus>& certificate) {
  core::HostedObservation observed;
  const net::TxtAnswer txt = co_await resolver_.query_txt("_mta-sts." + domain);
  observed.sts_cname_chain = txt.meta.cname_chain;
  if (!net::dns_lookup_failed(txt.meta.status)) {
    std::vector<std::string> joined;
    for (const core::TxtStrings& record : txt.records) {
      std::string text;
      for (const std::string& piece : record) {
        text += piece;
      }
      joined.push_back(std::move(text));
    }
    observed.sts_records = std::move(joined);
  }
  const net::AddressAnswer host = co_await resolver_.query_addresses(policy_host_name(domain));
  observed.policy_host_lookup_failed = net::dns_lookup_failed(host.meta.status);
  observed.policy_host_cname_chain = host.meta.cname_chain;
  observed.policy_host_addresses = host.addresses;
  if (certificate && certificate->issued) {
    observed.certificate_not_after = certificate->not_after.time_since_epoch().count();
  }
  co_return observed;
}

asio::awaitable<std::vector<CheckFinding>> Monitor::sender_view(const store::DomainRow& row,
                                                                std::int64_t now_unix) {
  const std::string domain = row.domain.name;
  net::DomainCheck check =
      co_await net::check_domain(resolver_, fetcher_, prober_, domain, now_unix);
  std::vector<CheckFinding> out = std::move(check.findings);
  // Without a usable record the sender's check fetches nothing and skips the coverage of the
  // MX hosts; the policy the service serves is known, so it is compared here.
  const core::HostedPolicy& policy = row.domain.current.policy;
  if (!has_code(out, CheckCode::policy_fetched) && policy.mode != core::PolicyMode::none) {
    const net::MxAnswer mx = co_await resolver_.query_mx(domain);
    if (mx.meta.status == net::DnsStatus::ok || mx.meta.status == net::DnsStatus::nodata) {
      std::vector<net::MxRecord> records = mx.records;
      std::stable_sort(records.begin(), records.end(),
                       [](const net::MxRecord& a, const net::MxRecord& b) {
                         return a.preference < b.preference;
                       });
      std::vector<std::string> hosts;
      for (const net::MxRecord& record : records) {
        if (!record.exchange.empty()) {
          hosts.push_back(record.exchange);
        }
      }
      auto parsed = core::parse_policy(core::render_hosted_policy(policy));
      if (parsed && (records.empty() || !hosts.empty())) {
        auto coverage =
            core::check_mx_coverage(core::audit_mx_coverage(*parsed, domain, hosts), domain);
        out.insert(out.end(), coverage.begin(), coverage.end());
      }
    }
  }
  co_return out;
}

asio::awaitable<void> Monitor::check(store::DomainRow row,
                                     std::optional<CertificateStatus> certificate) {
  const std::string domain = row.domain.name;
  const std::string lease = "monitor:" + domain;
  const std::string holder = options_.instance;
  const auto ttl = std::max(std::chrono::seconds(1), options_.interval * 9 / 10);
  const core::HostTime start = clock_.now();
  // Held, not released: the other instances skip the domain until the next interval.
  std::function<store::Result<bool>(store::HostingStore&)> claim =
      [lease, holder, ttl, start](store::HostingStore& hosting) {
        return hosting.acquire_lease(lease, holder, ttl, start);
      };
  auto claimed = co_await store_.run(std::move(claim));
  if (!claimed || !*claimed) {
    co_return;
  }
  const core::HostedObservation observed = co_await observe(domain, certificate);
  std::vector<CheckFinding> sender = co_await sender_view(row, start.time_since_epoch().count());
  const core::HostTime now = clock_.now();
  const std::vector<CheckFinding> findings = monitor_findings(
      row.domain, options_.service, observed, std::move(sender), now, options_.stale_grace);
  const bool passing = findings_pass(findings);
  ++counters_.checks;
  verdicts_.insert_or_assign(domain, passing);
  const store::MonitorRow result{domain, now, passing, json_text(findings_json(findings))};
  using Previous = std::optional<store::MonitorRow>;
  std::function<store::Result<Previous>(store::HostingStore&)> save =
      [result](store::HostingStore& hosting) -> store::Result<Previous> {
    auto previous = hosting.get_monitor_result(result.domain);
    if (!previous) {
      return previous;
    }
    auto put = hosting.put_monitor_result(result);
    if (!put) {
      return tl::unexpected(put.error());
    }
    return previous;
  };
  auto saved = co_await store_.run(std::move(save));
  if (!saved) {
    log_.log(net::LogLevel::warn, "monitor-store-error",
             {{"domain", domain}, {"error", saved.error().message}});
    co_return;
  }
  const std::optional<bool> before =
      *saved ? std::optional<bool>((*saved)->passing) : std::optional<bool>();
  log_.log(
      passing ? net::LogLevel::info : net::LogLevel::warn, "monitor-checked",
      {{"domain", domain}, {"passing", passing ? "yes" : "no"}, {"findings", findings.size()}});
  if (before == passing || (!before && passing)) {
    co_return;
  }
  ++counters_.verdict_changes;
  std::vector<std::string> codes;
  for (const CheckFinding& finding : findings) {
    if (finding.severity == core::CheckSeverity::error) {
      codes.push_back(finding.code);
    }
  }
  const store::AuditEntry audit =
      make_audit(now, "system:" + options_.instance, domain,
                 passing ? "monitor.passing" : "monitor.failing", {{"errors", codes}});
  std::function<store::Result<void>(store::HostingStore&)> write =
      [audit](store::HostingStore& hosting) { return hosting.append_audit(audit); };
  if (auto written = co_await store_.run(std::move(write)); !written) {
    log_audit_failure(log_, audit, written.error());
  }
  if (alerts_ != nullptr) {
    std::string document = alert_json(domain, passing, before, now, options_.instance, findings);
    co_await alerts_->send(std::move(document));
  }
}

}  // namespace mtasts::hosting

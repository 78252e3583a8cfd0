#include "host/host_metrics.hpp"

#include <array>

#include "host/host_schedule.hpp"

namespace mtasts::app {
namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

std::string label(std::string_view key, std::string_view value) {
  std::string out(key);
  out += "=\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

void domains_and_certificates(std::string& out, const HostMetricsInput& input) {
  std::uint64_t active = 0;
  std::uint64_t removing = 0;
  constexpr std::array<std::string_view, 6> kBuckets = {"missing", "expired", "lt7d",
                                                        "lt14d",   "lt30d",   "ge30d"};
  std::map<std::string_view, std::uint64_t> buckets;
  for (const std::string_view bucket : kBuckets) {
    buckets[bucket] = 0;
  }
  if (input.state != nullptr) {
    for (const store::DomainRow& row : input.state->domains) {
      ++(row.domain.state == core::HostedState::active ? active : removing);
      if (core::hosted_serving(row.domain, input.now)) {
        ++buckets[expiry_bucket(input.state->certificate(policy_host_name(row.domain.name)),
                                input.now)];
      }
    }
  }
  family(out, "mtasts_host_domains", "gauge", "Hosted domains by state.");
  sample(out, "mtasts_host_domains", label("state", "active"), active);
  sample(out, "mtasts_host_domains", label("state", "removing"), removing);
  family(out, "mtasts_host_certificates", "gauge",
         "Certificates of served domains by days until expiry.");
  for (const std::string_view bucket : kBuckets) {
    sample(out, "mtasts_host_certificates", label("expiry", bucket), buckets[bucket]);
  }
}

}  // namespace

std::string host_metrics_text(const HostMetricsInput& input) {
  std::string out;
  family(out, "mtasts_host_info", "gauge", "This instance.");
  sample(out, "mtasts_host_info", label("instance", input.instance), 1);
  domains_and_certificates(out, input);
  family(out, "mtasts_host_certificate_orders_total", "counter",
         "Certificate orders by outcome (gate_refused: mta-sts.<d> did not point here; "
         "lease_busy: another instance was ordering).");
  sample(out, "mtasts_host_certificate_orders_total", label("outcome", "issued"),
         input.certificates.issued);
  sample(out, "mtasts_host_certificate_orders_total", label("outcome", "failed"),
         input.certificates.failed);
  sample(out, "mtasts_host_certificate_orders_total", label("outcome", "gate_refused"),
         input.certificates.gate_refused);
  sample(out, "mtasts_host_certificate_orders_total", label("outcome", "lease_busy"),
         input.certificates.lease_busy);
  family(out, "mtasts_host_certificate_orders_in_flight", "gauge", "Orders running now.");
  sample(out, "mtasts_host_certificate_orders_in_flight", "", input.orders_in_flight);
  family(out, "mtasts_host_record_updates_total", "counter",
         "Dynamic updates of delegated TXT records by outcome.");
  sample(out, "mtasts_host_record_updates_total", label("outcome", "updated"),
         input.records.updated);
  sample(out, "mtasts_host_record_updates_total", label("outcome", "removed"),
         input.records.removed);
  sample(out, "mtasts_host_record_updates_total", label("outcome", "failed"), input.records.failed);
  family(out, "mtasts_host_domains_dropped_total", "counter", "Removals that ended.");
  sample(out, "mtasts_host_domains_dropped_total", "", input.records.dropped);
  std::uint64_t passing = 0;
  std::uint64_t failing = 0;
  if (input.verdicts != nullptr) {
    for (const auto& [domain, verdict] : *input.verdicts) {
      ++(verdict ? passing : failing);
    }
  }
  family(out, "mtasts_host_monitor_domains", "gauge",
         "Domains by the verdict of this instance's last check.");
  sample(out, "mtasts_host_monitor_domains", label("verdict", "passing"), passing);
  sample(out, "mtasts_host_monitor_domains", label("verdict", "failing"), failing);
  family(out, "mtasts_host_monitor_checks_total", "counter", "Monitor checks run.");
  sample(out, "mtasts_host_monitor_checks_total", "", input.monitor.checks);
  family(out, "mtasts_host_monitor_verdict_changes_total", "counter",
         "Checks whose verdict differed from the previous one.");
  sample(out, "mtasts_host_monitor_verdict_changes_total", "", input.monitor.verdict_changes);
  family(out, "mtasts_host_alerts_total", "counter", "Alert deliveries by outcome.");
  sample(out, "mtasts_host_alerts_total", label("outcome", "sent"), input.alerts.sent);
  sample(out, "mtasts_host_alerts_total", label("outcome", "failed"), input.alerts.failed);
  family(out, "mtasts_host_store_generation", "gauge", "The store generation loaded.");
  sample(out, "mtasts_host_store_generation", "",
         input.state != nullptr ? input.state->generation : 0);
  family(out, "mtasts_host_sync_failures_total", "counter", "Sync passes the store failed.");
  sample(out, "mtasts_host_sync_failures_total", "", input.sync_failures);
  return out;
}

}  // namespace mtasts::app

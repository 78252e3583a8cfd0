#include "mtasts/hosting/host_metrics.hpp"

#include <array>

#include "mtasts/core/base/prometheus_text.hpp"
#include "mtasts/hosting/host_schedule.hpp"

namespace mtasts::hosting {
namespace {

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
  core::append_labelled_metric(out, "mtasts_host_domains", "gauge", "Hosted domains by state.",
                               "state", {{"active", active}, {"removing", removing}});
  core::append_metric_family(out, "mtasts_host_certificates", "gauge",
                             "Certificates of served domains by days until expiry.");
  for (const std::string_view bucket : kBuckets) {
    core::append_metric_sample(out, "mtasts_host_certificates",
                               core::metric_label("expiry", bucket), buckets[bucket]);
  }
}

// The admin API's connections: what a flood of silent or slow clients leaves.
void admin_server(std::string& out, const net::HttpServerStats& admin) {
  core::append_metric(out, "mtasts_host_admin_connections_accepted_total", "counter",
                      "Admin API connections accepted.", admin.accepted);
  core::append_metric(out, "mtasts_host_admin_connections_rejected_total", "counter",
                      "Admin API connections closed at once: at the limit with every one busy.",
                      admin.rejected);
  core::append_metric(out, "mtasts_host_admin_connections_evicted_total", "counter",
                      "Waiting admin API connections closed to make room for a new one.",
                      admin.evicted);
  core::append_metric(out, "mtasts_host_admin_connections", "gauge",
                      "Admin API connections open now.", admin.active);
  core::append_metric(out, "mtasts_host_admin_timeouts_total", "counter",
                      "Admin API connections closed by a deadline.", admin.timeouts);
}

}  // namespace

std::string host_metrics_text(const HostMetricsInput& input) {
  std::string out;
  core::append_metric_family(out, "mtasts_host_info", "gauge", "This instance.");
  core::append_metric_sample(out, "mtasts_host_info",
                             core::metric_label("instance", input.instance), 1);
  domains_and_certificates(out, input);
  core::append_labelled_metric(
      out, "mtasts_host_certificate_orders_total", "counter",
      "Certificate orders by outcome (gate_refused: mta-sts.<d> did not point here; "
      "lease_busy: another instance was ordering).",
      "outcome",
      {{"issued", input.certificates.issued},
       {"failed", input.certificates.failed},
       {"gate_refused", input.certificates.gate_refused},
       {"lease_busy", input.certificates.lease_busy}});
  core::append_metric(out, "mtasts_host_certificate_orders_in_flight", "gauge",
                      "Orders running now.", input.orders_in_flight);
  core::append_labelled_metric(out, "mtasts_host_record_updates_total", "counter",
                               "Dynamic updates of delegated TXT records by outcome.", "outcome",
                               {{"updated", input.records.updated},
                                {"removed", input.records.removed},
                                {"failed", input.records.failed}});
  core::append_metric(out, "mtasts_host_domains_dropped_total", "counter", "Removals that ended.",
                      input.records.dropped);
  std::uint64_t passing = 0;
  std::uint64_t failing = 0;
  if (input.verdicts != nullptr) {
    for (const auto& [domain, verdict] : *input.verdicts) {
      ++(verdict ? passing : failing);
    }
  }
  core::append_labelled_metric(out, "mtasts_host_monitor_domains", "gauge",
                               "Domains by the verdict of this instance's last check.", "verdict",
                               {{"passing", passing}, {"failing", failing}});
  core::append_metric(out, "mtasts_host_monitor_checks_total", "counter", "Monitor checks run.",
                      input.monitor.checks);
  core::append_metric(out, "mtasts_host_monitor_verdict_changes_total", "counter",
                      "Checks whose verdict differed from the previous one.",
                      input.monitor.verdict_changes);
  core::append_labelled_metric(out, "mtasts_host_alerts_total", "counter",
                               "Alert deliveries by outcome.", "outcome",
                               {{"sent", input.alerts.sent}, {"failed", input.alerts.failed}});
  core::append_metric(out, "mtasts_host_store_generation", "gauge", "The store generation loaded.",
                      input.state != nullptr ? input.state->generation : 0);
  core::append_metric(out, "mtasts_host_sync_failures_total", "counter",
                      "Sync passes the store failed.", input.sync_failures);
  admin_server(out, input.admin);
  return out;
}

}  // namespace mtasts::hosting

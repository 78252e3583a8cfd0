#pragma once

// The HTTPS intake of TLS-RPT reports (RFC 8460 §5.4) on the policy host: a POST to
// https://mta-sts.<d>/tlsrpt, answered once the report is stored (docs/tlsrpt-intake.md):
//   200  accepted, or a duplicate of a stored report (the sender need not send it again)
//   400  not a report (bad compression, not JSON, no policy-domain, another domain's report);
//        kept apart with the reason
//   404  the report is about a domain not hosted here (kept apart)
//   413  too large (the server's body cap, or decompressed past the report limit)
//   415  a Content-Type other than application/tlsrpt+gzip or application/tlsrpt+json (and the
//        application/gzip, application/json, application/octet-stream senders also use)
//   503  the store failed: try again later (Retry-After)

#include <boost/asio/awaitable.hpp>

#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/report_alerter.hpp"
#include "mtasts/hosting/report_intake.hpp"
#include "mtasts/net/hosting/policy_server.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

class HostReportReceiver final : public net::ReportReceiver {
 public:
  // Everything given must outlive the receiver.
  // Everything given must outlive the receiver; `alerter` may be null.
  HostReportReceiver(StoreWorker& store, const net::Clock& clock, net::Logger& log,
                     IntakeCounters& counters, ReportAlerter* alerter, IntakeOptions options = {})
      : store_(store),
        clock_(clock),
        log_(log),
        counters_(counters),
        alerter_(alerter),
        options_(options) {}

  boost::asio::awaitable<net::HttpResponse> receive(std::string domain,
                                                    net::HttpRequest request) override;

 private:
  StoreWorker& store_;
  const net::Clock& clock_;
  net::Logger& log_;
  IntakeCounters& counters_;
  ReportAlerter* alerter_;
  IntakeOptions options_;
};

// The log line of one report taken in ("tlsrpt-report"), whatever the channel; `from`, `dkim`
// and `dkim_domain` are the mail's (empty for HTTPS).
struct ReportLogContext {
  std::string_view channel;
  std::string_view peer;
  std::string_view from;
  std::string_view dkim;
  std::string_view dkim_domain;
};
void log_report_outcome(net::Logger& log, const IntakeOutcome& outcome,
                        const ReportLogContext& context);

// Whether a POST's Content-Type is one a TLS-RPT report comes as.
[[nodiscard]] bool is_report_content_type(std::string_view content_type);

}  // namespace mtasts::hosting

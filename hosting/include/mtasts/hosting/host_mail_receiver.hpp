#pragma once

// The mail intake of TLS-RPT reports (RFC 8460 §5.3) behind `mtasts host`'s SMTP and LMTP
// listeners (net/smtp/smtp_server.hpp): the address to publish for a hosted domain <d> is
// `mailto:<d>@<reports.mail.domain>` (docs/tlsrpt-intake.md). What the sender hears:
//   RCPT of <d>@<mail domain>, <d> hosted       250
//   RCPT of anything else                       550 5.1.1 (never relayed, never stored)
//   RCPT while the store fails                  451 4.3.0
//   a message whose reports are stored, duplicates of stored ones, or that is kept apart for
//   its DKIM signature (§3: such reports are ignored; the sender is not asked to resend)  250
//   a message holding no report, or reports of another domain: kept apart, 550 5.6.0
//   a DKIM key lookup that failed for now, or the store failing                  451 4.4.3/4.3.0
// Several recipients of one message (LMTP) share its verdict; the report's policy-domain
// decides which domain it counts for.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/report_alerter.hpp"
#include "mtasts/hosting/report_intake.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"
#include "mtasts/net/smtp/smtp_server.hpp"

namespace mtasts::hosting {

// The hosted domain a report address names: "<domain>@<mail_domain>" (case ignored) gives
// the domain, normalized; anything else nullopt.
[[nodiscard]] std::optional<std::string> report_address_domain(std::string_view address,
                                                               std::string_view mail_domain);

class HostMailReceiver final : public net::SmtpHandler {
 public:
  // Everything given must outlive the receiver; `alerter` may be null.
  HostMailReceiver(StoreWorker& store, net::DnsResolver& resolver, const net::Clock& clock,
                   net::Logger& log, IntakeCounters& counters, ReportAlerter* alerter,
                   std::string mail_domain, IntakeOptions options = {})
      : store_(store),
        resolver_(resolver),
        clock_(clock),
        log_(log),
        counters_(counters),
        alerter_(alerter),
        mail_domain_(std::move(mail_domain)),
        options_(options) {}

  boost::asio::awaitable<net::RecipientVerdict> check_recipient(std::string address) override;
  boost::asio::awaitable<std::vector<net::DeliveryVerdict>> deliver(
      net::SmtpEnvelope envelope) override;

 private:
  StoreWorker& store_;
  net::DnsResolver& resolver_;
  const net::Clock& clock_;
  net::Logger& log_;
  IntakeCounters& counters_;
  ReportAlerter* alerter_;
  std::string mail_domain_;
  IntakeOptions options_;
};

}  // namespace mtasts::hosting

#pragma once

// A mailed TLS-RPT report (RFC 8460 §5.3) on its way to the intake: the message read
// (report_mail.hpp), the keys of its DKIM signatures fetched through the resolver, the
// signatures judged against the reporting domain (report_dkim.hpp, §3), and what the intake
// (report_intake.hpp) is to do with each report the message holds. The SMTP/LMTP intake of
// `mtasts host` and `mtasts host report import` of messages both come through here.
//
//   the message holds no report (junk, not MIME, empty)  one request kept apart as
//                                                        not-a-report-mail (or too-large)
//   no valid signature by the reporting domain           every report kept apart as dkim-*
//   a key lookup failed for now (SERVFAIL, timeout)      retry: nothing decided, the sender
//                                                        should try again later (SMTP 451)
//   a valid signature                                    every report taken as any other

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/hosting/report_dkim.hpp"
#include "mtasts/hosting/report_intake.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"

namespace mtasts::hosting {

struct MailContext {
  // The hosted domain the mail was addressed to (its recipient); "" when unknown: the report's
  // policy-domain decides alone.
  std::string claimed_domain;
  std::string source;  // the envelope sender, or the file the message came from
  store::ReportChannel channel = store::ReportChannel::mail;
  bool verify_dkim = true;  // false only when the operator says so (`import --no-dkim`)
};

struct MailReading {
  // A key lookup failed in a way that may pass (SERVFAIL, timeout): nothing was decided.
  bool retry = false;
  std::string detail;                   // why, for retry; what was found otherwise
  std::string reporting_domain;         // TLS-Report-Submitter, else the From address's domain
  DkimVerdict dkim;                     // result `pass` when not verified by request
  std::vector<IntakeRequest> requests;  // for take_reports; empty only with retry
};

// The kApart* code of a DKIM verdict other than pass.
[[nodiscard]] std::string_view dkim_apart_reason(DkimResult result);

// Reads `message` and decides as above, asking `resolver` for the DKIM key records.
boost::asio::awaitable<MailReading> read_mailed_reports(net::DnsResolver& resolver,
                                                        std::string message, MailContext context);

}  // namespace mtasts::hosting

#include "mtasts/hosting/host_mail_receiver.hpp"

#include <functional>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"
#include "mtasts/hosting/host_report_receiver.hpp"
#include "mtasts/hosting/report_mail_intake.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;
using core::SmtpReply;
using core::Verdict;

net::DeliveryVerdict verdict(Verdict kind, unsigned code, std::string status, std::string text) {
  return net::DeliveryVerdict{kind, SmtpReply{code, std::move(status), std::move(text)}};
}

// Whether an outcome is one the sender should not hear about as a failure: stored, a
// duplicate, or ignored for its signature as RFC 8460 §3 says.
bool taken(const IntakeOutcome& outcome) {
  return outcome.status == IntakeStatus::accepted || outcome.status == IntakeStatus::duplicate ||
         (outcome.status == IntakeStatus::kept_apart && outcome.reason.starts_with("dkim-"));
}

// One verdict for the whole message: the worst of its reports'.
net::DeliveryVerdict message_verdict(const std::vector<IntakeOutcome>& outcomes) {
  for (const IntakeOutcome& outcome : outcomes) {
    if (outcome.status == IntakeStatus::refused) {
      return verdict(Verdict::temporary, 451, "4.3.0", "the report could not be stored; try later");
    }
  }
  for (const IntakeOutcome& outcome : outcomes) {
    if (!taken(outcome)) {
      return verdict(Verdict::permanent, 550, "5.6.0", outcome.reason + ": " + outcome.detail);
    }
  }
  const IntakeOutcome& first = outcomes.front();
  if (first.status == IntakeStatus::kept_apart) {
    return verdict(Verdict::accept, 250, "2.6.0", "kept apart, not counted: " + first.reason);
  }
  return verdict(Verdict::accept, 250, "2.0.0",
                 std::string(to_string(first.status)) + ": report " + first.report_id + " of " +
                     first.reporter);
}

}  // namespace

std::optional<std::string> report_address_domain(std::string_view address,
                                                 std::string_view mail_domain) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 ||
      !core::iequals(core::trim_space(address.substr(at + 1)), mail_domain)) {
    return std::nullopt;
  }
  auto domain = core::normalize_domain(address.substr(0, at));
  if (!domain || domain->find('.') == std::string::npos) {
    return std::nullopt;
  }
  return *domain;
}

asio::awaitable<net::RecipientVerdict> HostMailReceiver::check_recipient(std::string address) {
  const std::optional<std::string> domain = report_address_domain(address, mail_domain_);
  if (!domain) {
    co_return net::RecipientVerdict{Verdict::permanent,
                                    SmtpReply{550, "5.1.1", "no such report address here"}};
  }
  std::function<store::Result<bool>(store::HostingStore&)> job =
      [name = *domain](store::HostingStore& hosting) -> store::Result<bool> {
    auto row = hosting.get_domain(name);
    if (!row) {
      return tl::unexpected(row.error());
    }
    return row->has_value();
  };
  const store::Result<bool> hosted = co_await store_.run(std::move(job));
  if (!hosted) {
    co_return net::RecipientVerdict{
        Verdict::temporary, SmtpReply{451, "4.3.0", "the report store is unavailable; try later"}};
  }
  if (!*hosted) {
    co_return net::RecipientVerdict{
        Verdict::permanent, SmtpReply{550, "5.1.1", *domain + " is not a domain hosted here"}};
  }
  co_return net::RecipientVerdict{};
}

asio::awaitable<std::vector<net::DeliveryVerdict>> HostMailReceiver::deliver(
    net::SmtpEnvelope envelope) {
  const std::size_t count = envelope.recipients.size();
  MailContext context;
  context.channel = store::ReportChannel::mail;
  context.source = envelope.mail_from.empty() ? "<>" : envelope.mail_from;
  if (count == 1) {
    context.claimed_domain =
        report_address_domain(envelope.recipients.front(), mail_domain_).value_or("");
  }
  MailReading reading =
      co_await read_mailed_reports(resolver_, std::move(envelope.message), std::move(context));
  if (reading.retry) {
    log_.log(net::LogLevel::warn, "tlsrpt-mail-deferred",
             {{"from", envelope.mail_from}, {"peer", envelope.peer}, {"reason", reading.detail}});
    co_return std::vector<net::DeliveryVerdict>(
        count, verdict(Verdict::temporary, 451, "4.4.3", reading.detail));
  }
  const core::HostTime now = clock_.now();
  std::function<std::vector<IntakeOutcome>(store::HostingStore&)> job =
      [requests = std::move(reading.requests), now, options = options_,
       counters = &counters_](store::HostingStore& hosting) {
        return take_reports(hosting, requests, now, options, counters);
      };
  const std::vector<IntakeOutcome> outcomes = co_await store_.run(std::move(job));
  for (const IntakeOutcome& outcome : outcomes) {
    log_report_outcome(log_, outcome,
                       ReportLogContext{"mail", envelope.peer, envelope.mail_from,
                                        to_string(reading.dkim.result), reading.dkim.domain});
  }
  std::vector<net::DeliveryVerdict> verdicts(count, message_verdict(outcomes));
  if (alerter_ != nullptr) {
    alerter_->take(outcomes);
  }
  co_return verdicts;
}

}  // namespace mtasts::hosting

#include "mtasts/hosting/report_mail_intake.hpp"

#include <map>
#include <optional>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"
#include "mtasts/hosting/report_mail.hpp"

namespace mtasts::hosting {
namespace {

using core::Errc;

// The domain of an addr-spec, normalized; "" when it has none.
std::string address_domain(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) {
    return {};
  }
  return core::normalize_domain(address.substr(at + 1)).value_or("");
}

// The key record among a name's TXT records: the first that holds a p= tag, else the first.
std::optional<std::string> key_record(const std::vector<core::TxtStrings>& records) {
  std::optional<std::string> first;
  for (const core::TxtStrings& strings : records) {
    std::string joined;
    for (const std::string& part : strings) {
      joined += part;
    }
    if (joined.find("p=") != std::string::npos) {
      return joined;
    }
    if (!first) {
      first = std::move(joined);
    }
  }
  return first;
}

IntakeRequest request_for(std::string bytes, const MailContext& context) {
  IntakeRequest request;
  request.bytes = std::move(bytes);
  request.channel = context.channel;
  request.source = context.source;
  request.claimed_domain = context.claimed_domain;
  return request;
}

}  // namespace

std::string_view dkim_apart_reason(DkimResult result) {
  switch (result) {
    case DkimResult::no_signature:
      return kApartDkimNone;
    case DkimResult::bad_signature:
      return kApartDkimBad;
    case DkimResult::wrong_domain:
      return kApartDkimWrongDomain;
    case DkimResult::key_unavailable:
      return kApartDkimNoKey;
    case DkimResult::pass:
    case DkimResult::error:
      break;
  }
  return kApartDkimError;
}

boost::asio::awaitable<MailReading> read_mailed_reports(net::DnsResolver& resolver,
                                                        std::string message, MailContext context) {
  MailReading reading;
  auto mail = parse_report_mail(message);
  if (!mail) {
    IntakeRequest request = request_for(std::move(message), context);
    request.apart_reason =
        std::string(mail.error().code == Errc::too_large ? kApartTooLarge : kApartNotAMessage);
    request.apart_detail = mail.error().message;
    reading.detail = mail.error().message;
    reading.requests.push_back(std::move(request));
    co_return reading;
  }
  reading.reporting_domain =
      mail->report_submitter ? core::normalize_domain(*mail->report_submitter).value_or("") : "";
  if (reading.reporting_domain.empty()) {
    reading.reporting_domain = address_domain(mail->from);
  }

  if (!context.verify_dkim) {
    reading.dkim.result = DkimResult::pass;
    reading.dkim.reason = "not verified: the operator imported it with --no-dkim";
  } else {
    std::map<std::string, std::optional<std::string>, std::less<>> keys;
    for (const std::string& name : dkim_key_names(message)) {
      const net::TxtAnswer answer = co_await resolver.query_txt(name);
      if (net::dns_class(answer.meta.status) == net::DnsClass::temporary) {
        reading.retry = true;
        reading.detail = "the DKIM key " + name + " could not be looked up (" +
                         std::string(net::dns_status_name(answer.meta.status)) + ")";
        co_return reading;
      }
      keys[name] =
          answer.meta.status == net::DnsStatus::ok ? key_record(answer.records) : std::nullopt;
    }
    const DkimKeyLookup lookup = [&keys](std::string_view name) -> std::optional<std::string> {
      const auto found = keys.find(name);
      return found != keys.end() ? found->second : std::nullopt;
    };
    reading.dkim = verify_report_dkim(message, reading.reporting_domain, lookup);
  }

  const bool signed_ok = reading.dkim.result == DkimResult::pass;
  for (ReportMailAttachment& attachment : mail->attachments) {
    IntakeRequest request = request_for(std::move(attachment.data), context);
    if (!signed_ok) {
      request.apart_reason = std::string(dkim_apart_reason(reading.dkim.result));
      request.apart_detail = "no valid DKIM signature by the reporting domain " +
                             (reading.reporting_domain.empty() ? std::string("(none named)")
                                                               : reading.reporting_domain) +
                             ": " + reading.dkim.reason;
    }
    reading.requests.push_back(std::move(request));
  }
  reading.detail = "DKIM " + std::string(to_string(reading.dkim.result)) +
                   (reading.dkim.domain.empty() ? "" : " d=" + reading.dkim.domain);
  co_return reading;
}

}  // namespace mtasts::hosting

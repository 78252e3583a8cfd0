#include "mtasts/hosting/host_report_receiver.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include "mtasts/core/base/text.hpp"
#include "mtasts/hosting/host_json.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

net::HttpResponse answer(unsigned status, const std::string& text) {
  net::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.body = text + "\n";
  return response;
}

std::string header(const net::HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (core::iequals(key, name)) {
      return value;
    }
  }
  return {};
}

net::HttpResponse response_for(const IntakeOutcome& outcome) {
  switch (outcome.status) {
    case IntakeStatus::accepted:
      return answer(200, "accepted: report " + outcome.report_id + " of " + outcome.reporter);
    case IntakeStatus::duplicate:
      return answer(200, "duplicate: report " + outcome.report_id + " of " + outcome.reporter +
                             " was received before");
    case IntakeStatus::kept_apart:
      if (outcome.reason == kApartNotHosted) {
        return answer(404, outcome.detail);
      }
      if (outcome.reason == kApartTooLarge) {
        return answer(413, outcome.detail);
      }
      return answer(400, outcome.reason + ": " + outcome.detail);
    case IntakeStatus::refused: {
      net::HttpResponse response = answer(503, "the report could not be stored; try again later");
      response.headers.emplace_back("Retry-After", "300");
      return response;
    }
  }
  return answer(503, "");
}

}  // namespace

void log_report_outcome(net::Logger& log, const IntakeOutcome& outcome,
                        const ReportLogContext& context) {
  log.log(outcome.status == IntakeStatus::refused ? net::LogLevel::warn : net::LogLevel::info,
          "tlsrpt-report",
          {{"channel", context.channel},
           {"domain", outcome.domain},
           {"peer", context.peer},
           {"from", context.from},
           {"dkim", context.dkim},
           {"dkim_domain", context.dkim_domain},
           {"outcome", to_string(outcome.status)},
           {"reason", outcome.reason},
           {"reporter", outcome.reporter},
           {"report_id", outcome.report_id},
           {"successful", static_cast<std::int64_t>(outcome.successful)},
           {"failed", static_cast<std::int64_t>(outcome.failed)}});
}

bool is_report_content_type(std::string_view content_type) {
  const std::string_view type = core::trim_space(content_type.substr(0, content_type.find(';')));
  static constexpr std::array<std::string_view, 6> kTypes = {
      "application/tlsrpt+gzip", "application/tlsrpt+json", "application/gzip",
      "application/x-gzip",      "application/json",        "application/octet-stream"};
  for (const std::string_view known : kTypes) {
    if (core::iequals(type, known)) {
      return true;
    }
  }
  return false;
}

asio::awaitable<net::HttpResponse> HostReportReceiver::receive(std::string domain,
                                                               net::HttpRequest request) {
  const std::string content_type = header(request, "content-type");
  if (!is_report_content_type(content_type)) {
    log_.log(net::LogLevel::info, "tlsrpt-refused",
             {{"domain", domain}, {"peer", request.peer}, {"content_type", content_type}});
    co_return answer(415,
                     "a TLS-RPT report is POSTed as application/tlsrpt+gzip or"
                     " application/tlsrpt+json (RFC 8460 section 5.4)");
  }
  IntakeRequest item;
  item.bytes = std::move(request.body);
  item.channel = store::ReportChannel::https;
  item.source = request.peer;
  item.claimed_domain = domain;
  const core::HostTime now = clock_.now();
  std::function<std::vector<IntakeOutcome>(store::HostingStore&)> job =
      [item = std::move(item), now, options = options_,
       counters = &counters_](store::HostingStore& hosting) {
        return take_reports(hosting, {item}, now, options, counters);
      };
  const std::vector<IntakeOutcome> outcomes = co_await store_.run(std::move(job));
  const IntakeOutcome& outcome = outcomes.front();
  log_report_outcome(log_, outcome, ReportLogContext{"https", request.peer, {}, {}, {}});
  net::HttpResponse response = response_for(outcome);
  if (alerter_ != nullptr) {
    alerter_->take(outcomes);
  }
  co_return response;
}

}  // namespace mtasts::hosting

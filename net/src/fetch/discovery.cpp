#include "mtasts/net/fetch/discovery.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/net/runtime/errc.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;

DiscoveryReport& finish(DiscoveryReport& report, FetchDetail detail, std::string message) {
  report.detail = detail;
  report.message = std::move(message);
  return report;
}

// RFC 8461 §3.1 and CONFORMANCE 013: which DNS outcomes end discovery before selection.
std::optional<FetchDetail> dns_failure(DnsStatus status) {
  switch (status) {
    case DnsStatus::ok:
    case DnsStatus::nxdomain:
    case DnsStatus::nodata:
      return std::nullopt;  // selection decides: no records means no policy
    case DnsStatus::servfail:
      return FetchDetail::dns_servfail;
    case DnsStatus::timeout:
      return FetchDetail::dns_timeout;
    case DnsStatus::cname_loop:
      return FetchDetail::cname_loop;
    case DnsStatus::error:
      return FetchDetail::dns_error;
  }
  return FetchDetail::dns_error;  // unreachable: the switch is exhaustive
}

}  // namespace

const core::StsRecord* DiscoveryReport::record() const {
  if (selection && selection->choice == core::RecordChoice::ok && selection->report.record) {
    return &*selection->report.record;
  }
  return nullptr;
}

const core::Policy* DiscoveryReport::policy() const {
  if (result() == ResultType::ok && policy_report && policy_report->policy) {
    return &*policy_report->policy;
  }
  return nullptr;
}

asio::awaitable<DiscoveryReport> discover(DnsResolver& resolver, PolicyFetcher& fetcher,
                                          std::string destination) {
  DiscoveryReport report;
  report.input = destination;
  if (core::is_address_literal(destination)) {
    co_return finish(report, FetchDetail::address_literal,
                     destination + " is an address literal, which has no MTA-STS policy");
  }
  auto domain = core::normalize_domain(destination);
  if (!domain) {
    co_return finish(report, FetchDetail::invalid_domain, domain.error().message);
  }
  report.domain = *domain;
  report.record_name = std::string(core::kStsRecordPrefix) + report.domain;

  report.txt = co_await resolver.query_txt(report.record_name);
  const DnsMeta& meta = report.txt->meta;
  if (auto failure = dns_failure(meta.status)) {
    co_return finish(report, *failure,
                     "TXT lookup of " + report.record_name + " failed: " + meta.message);
  }
  report.selection = core::select_sts_record(report.txt->records);
  switch (report.selection->choice) {
    case core::RecordChoice::none:
      co_return finish(report, FetchDetail::no_record,
                       meta.status == DnsStatus::ok
                           ? "no TXT record at " + report.record_name + " begins with v=STSv1"
                           : "no TXT record at " + report.record_name + " (" +
                                 std::string(dns_status_name(meta.status)) + ")");
    case core::RecordChoice::multiple:
      co_return finish(report, FetchDetail::multiple_records,
                       std::to_string(report.selection->candidates) + " STS records at " +
                           report.record_name + "; RFC 8461 requires exactly one");
    case core::RecordChoice::invalid:
      co_return finish(
          report, FetchDetail::invalid_record,
          "the STS record is invalid: " + report.selection->report.findings.first_error());
    case core::RecordChoice::ok:
      break;
  }

  // RFC 8461 §3.3 and CONFORMANCE 014: the host is always mta-sts.<Policy Domain>, whatever
  // CNAMEs the TXT lookup followed.
  report.fetch = co_await fetcher.fetch(report.domain);
  if (report.fetch->detail != FetchDetail::ok) {
    co_return finish(report, report.fetch->detail, report.fetch->message);
  }
  report.policy_report = core::lint_policy(report.fetch->body);
  if (!report.policy_report->policy) {
    co_return finish(report, FetchDetail::parse,
                     "the policy is invalid: " + report.policy_report->findings.first_error());
  }
  co_return finish(report, FetchDetail::ok, {});
}

core::Result<DiscoveryTools> make_discovery_tools(const asio::any_io_executor& executor,
                                                  DiscoveryOptions options) {
  auto resolver = make_ares_resolver(executor, options.dns);
  if (!resolver) {
    return tl::unexpected(resolver.error());
  }
  auto fetcher = make_https_fetcher(executor, **resolver, std::move(options.fetch));
  if (!fetcher) {
    return tl::unexpected(fetcher.error());
  }
  return DiscoveryTools{std::move(*resolver), std::move(*fetcher)};
}

core::Result<DiscoveryReport> run_discovery(std::string destination, DiscoveryOptions options) {
  asio::io_context io;
  auto tools = make_discovery_tools(io.get_executor(), std::move(options));
  if (!tools) {
    return tl::unexpected(tools.error());
  }
  std::optional<DiscoveryReport> report;
  std::exception_ptr failure;
  asio::co_spawn(io, discover(*tools->resolver, *tools->fetcher, std::move(destination)),
                 [&](std::exception_ptr error, DiscoveryReport done) {
                   failure = std::move(error);
                   report = std::move(done);
                   io.stop();  // abandoned DNS retries need not keep the loop alive
                 });
  io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      return core::fail(Errc::internal, std::string("internal error: ") + e.what());
    }
  }
  if (!report) {
    return core::fail(Errc::internal, "internal error: discovery did not finish");
  }
  return std::move(*report);
}

}  // namespace mtasts::net

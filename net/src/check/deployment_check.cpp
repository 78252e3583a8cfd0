#include "mtasts/net/check/deployment_check.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>

#include "mtasts/core/check/check_rules.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/sts/policy_audit.hpp"
#include "mtasts/net/fetch/discovery.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using core::CheckCode;
using core::CheckFindings;

constexpr std::string_view kTlsrptPrefix = "_smtp._tls.";

void add(CheckFindings& out, CheckCode code, std::string subject, std::string message) {
  out.push_back(core::make_check_finding(code, std::move(subject), std::move(message)));
}

void append(CheckFindings& out, CheckFindings more) {
  for (core::CheckFinding& finding : more) {
    out.push_back(std::move(finding));
  }
}

// RFC 8461 §3.3: every way a fetch fails, as the finding an administrator acts on.
CheckCode fetch_code(FetchDetail detail) {
  switch (detail) {
    case FetchDetail::host_not_found:
    case FetchDetail::dns_servfail:
    case FetchDetail::dns_timeout:
    case FetchDetail::dns_error:
    case FetchDetail::cname_loop:
      return CheckCode::policy_host_unresolvable;
    case FetchDetail::connect:
      return CheckCode::policy_host_unreachable;
    case FetchDetail::timeout:
      return CheckCode::policy_fetch_timeout;
    case FetchDetail::tls_handshake:
      return CheckCode::policy_tls_handshake;
    case FetchDetail::cert_untrusted:
      return CheckCode::policy_cert_untrusted;
    case FetchDetail::cert_expired:
      return CheckCode::policy_cert_expired;
    case FetchDetail::cert_not_yet_valid:
      return CheckCode::policy_cert_not_yet_valid;
    case FetchDetail::cert_name_mismatch:
      return CheckCode::policy_cert_name_mismatch;
    case FetchDetail::cert_invalid:
      return CheckCode::policy_cert_invalid;
    case FetchDetail::http_status:
      return CheckCode::policy_http_status;
    case FetchDetail::redirect:
      return CheckCode::policy_redirect;
    case FetchDetail::content_type:
      return CheckCode::policy_content_type;
    case FetchDetail::too_large:
      return CheckCode::policy_too_large;
    case FetchDetail::parse:
      return CheckCode::policy_invalid;
    case FetchDetail::ok:
    case FetchDetail::invalid_domain:
    case FetchDetail::address_literal:
    case FetchDetail::no_record:
    case FetchDetail::multiple_records:
    case FetchDetail::invalid_record:
    case FetchDetail::proxy:
    case FetchDetail::http_protocol:
    case FetchDetail::truncated:
    case FetchDetail::internal:
      break;
  }
  return CheckCode::policy_fetch_failed;
}

// RFC 8461 §4.2: how an MX host failed the STARTTLS probe.
std::optional<CheckCode> probe_code(SmtpProbeStatus status) {
  switch (status) {
    case SmtpProbeStatus::ok:
      return std::nullopt;
    case SmtpProbeStatus::unreachable:
    case SmtpProbeStatus::timeout:
    case SmtpProbeStatus::smtp_protocol:
      return CheckCode::mx_unreachable;
    case SmtpProbeStatus::no_starttls:
      return CheckCode::mx_starttls_missing;
    case SmtpProbeStatus::tls_version:
      return CheckCode::mx_tls_version;
    case SmtpProbeStatus::tls_handshake:
    case SmtpProbeStatus::internal:
      return CheckCode::mx_tls_handshake;
    case SmtpProbeStatus::cert_untrusted:
      return CheckCode::mx_cert_untrusted;
    case SmtpProbeStatus::cert_expired:
      return CheckCode::mx_cert_expired;
    case SmtpProbeStatus::cert_not_yet_valid:
      return CheckCode::mx_cert_not_yet_valid;
    case SmtpProbeStatus::cert_name_mismatch:
      return CheckCode::mx_cert_name_mismatch;
    case SmtpProbeStatus::cert_invalid:
      return CheckCode::mx_cert_invalid;
  }
  return CheckCode::mx_tls_handshake;
}

std::optional<std::int64_t> expiry_days(const std::optional<CertificateInfo>& cert,
                                        std::int64_t now_unix) {
  return cert ? core::days_until(cert->not_after, now_unix) : std::nullopt;
}

std::string days_text(std::optional<std::int64_t> days) {
  return days ? "certificate expires in " + std::to_string(*days) + " day(s)"
              : std::string("certificate expiry unknown");
}

// The record: returns true when a v=STSv1 record exists (then the policy host is checked).
bool check_record(const TxtAnswer& txt, const std::string& name, CheckFindings& out) {
  if (!txt.meta.cname_chain.empty()) {
    std::string chain;
    for (const std::string& target : txt.meta.cname_chain) {
      chain += " -> " + target;
    }
    add(out, CheckCode::sts_record_cname, name, name + chain);
  }
  if (dns_lookup_failed(txt.meta.status)) {
    add(out, CheckCode::sts_record_lookup_failed, name,
        "TXT lookup failed (" + std::string(dns_status_name(txt.meta.status)) +
            "): " + txt.meta.message);
    return false;
  }
  const core::StsRecordSelection selection = core::select_sts_record(txt.records);
  append(out, core::check_sts_selection(selection, name));
  return selection.choice != core::RecordChoice::none;
}

// The policy host and body; returns the policy when one was fetched and parsed.
std::optional<core::Policy> check_fetch(const FetchResult& fetch, const std::string& domain,
                                        std::int64_t now_unix, CheckFindings& out) {
  const std::string host = std::string(core::kPolicyHostPrefix) + domain;
  if (fetch.detail != FetchDetail::ok) {
    add(out, fetch_code(fetch.detail), host, fetch.message);
    return std::nullopt;
  }
  const auto days = expiry_days(fetch.exchange.certificate, now_unix);
  add(out, CheckCode::policy_fetched, host,
      fetch.exchange.tls_version + ", status 200, " + std::to_string(fetch.body.size()) +
          " bytes, " + days_text(days));
  if (auto expiring = core::check_cert_expiry(CheckCode::policy_cert_expiring, host, days)) {
    out.push_back(std::move(*expiring));
  }
  const core::PolicyReport report = core::lint_policy(fetch.body);
  append(out, core::check_policy_body(report, fetch.body, fetch.exchange.url));
  return report.policy;
}

struct MxHosts {
  bool usable = false;  // false: lookup failed or null MX
  std::vector<std::string> hosts;
};

MxHosts check_mx_answer(const MxAnswer& answer, const std::string& domain, CheckFindings& out) {
  MxHosts result;
  if (dns_lookup_failed(answer.meta.status)) {
    add(out, CheckCode::mx_lookup_failed, domain,
        "MX lookup failed (" + std::string(dns_status_name(answer.meta.status)) +
            "): " + answer.meta.message);
    return result;
  }
  if (answer.records.size() == 1 && answer.records.front().exchange.empty()) {
    add(out, CheckCode::mx_null, domain, "null MX (\"MX 0 .\"): the domain accepts no mail");
    return result;
  }
  result.usable = true;
  // RFC 5321 §5.1: senders try MX hosts by preference; report them in that order.
  std::vector<MxRecord> records = answer.records;
  std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference < b.preference;
  });
  for (const MxRecord& record : records) {
    result.hosts.push_back(record.exchange);
  }
  return result;
}

// One MX host: address lookup, then the STARTTLS probe.
asio::awaitable<CheckFindings> check_mx_host(DnsResolver& resolver, SmtpProber& prober,
                                             std::string host, std::int64_t now_unix) {
  CheckFindings out;
  const AddressAnswer addresses = co_await resolver.query_addresses(host);
  if (addresses.meta.status != DnsStatus::ok) {
    add(out, CheckCode::mx_host_unresolvable, host,
        "no A or AAAA record (" + std::string(dns_status_name(addresses.meta.status)) + ")");
    co_return out;
  }
  const SmtpProbeResult probe = co_await prober.probe(host, addresses.addresses);
  if (const auto failed = probe_code(probe.status)) {
    add(out, *failed, host, probe.message);
    co_return out;
  }
  const auto days = expiry_days(probe.certificate, now_unix);
  add(out, CheckCode::mx_tls_ok, host,
      "STARTTLS, " + probe.tls_version + ", certificate valid, " + days_text(days));
  if (auto expiring = core::check_cert_expiry(CheckCode::mx_cert_expiring, host, days)) {
    out.push_back(std::move(*expiring));
  }
  co_return out;
}

// Waits for a set of detached tasks: the last one to finish cancels the timer.
struct Join {
  explicit Join(const asio::any_io_executor& executor, std::size_t count)
      : timer(executor, asio::steady_timer::time_point::max()), pending(count) {}
  asio::steady_timer timer;
  std::size_t pending;
  void done() {
    if (--pending == 0) {
      timer.cancel();
    }
  }
};

asio::awaitable<void> wait_all(std::shared_ptr<Join> join) {
  if (join->pending == 0) {
    co_return;
  }
  boost::system::error_code ec;
  co_await join->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<CheckFindings> probe_all(DnsResolver& resolver, SmtpProber& prober,
                                         std::vector<std::string> hosts, std::int64_t now_unix) {
  auto executor = co_await asio::this_coro::executor;
  auto results = std::make_shared<std::vector<CheckFindings>>(hosts.size());
  auto join = std::make_shared<Join>(executor, hosts.size());
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    auto finish = [results, join, i, host = hosts[i]](const std::exception_ptr& error,
                                                      CheckFindings found) {
      if (error) {
        // A host that vanished from the report would read as a pass.
        add(found, CheckCode::mx_tls_handshake, host, "internal error while probing the host");
      }
      (*results)[i] = std::move(found);
      join->done();
    };
    asio::co_spawn(executor, check_mx_host(resolver, prober, hosts[i], now_unix),
                   std::move(finish));
  }
  co_await wait_all(join);
  CheckFindings out;
  for (CheckFindings& found : *results) {
    append(out, std::move(found));
  }
  co_return out;
}

}  // namespace

bool DomainCheck::has_errors() const {
  for (const core::CheckFinding& finding : findings) {
    if (finding.severity == core::CheckSeverity::error) {
      return true;
    }
  }
  return false;
}

asio::awaitable<DomainCheck> check_domain(DnsResolver& resolver, PolicyFetcher& fetcher,
                                          SmtpProber& prober, std::string domain,
                                          std::int64_t now_unix) {
  DomainCheck check;
  check.domain = domain;
  CheckFindings& out = check.findings;

  const std::string record_name = std::string(core::kStsRecordPrefix) + domain;
  const TxtAnswer txt = co_await resolver.query_txt(record_name);
  std::optional<core::Policy> policy;
  if (check_record(txt, record_name, out)) {
    // RFC 8461 §3.3: the fetch a sender makes (no redirects, 200 only, text/plain, 64 KiB).
    const FetchResult fetch = co_await fetcher.fetch(domain);
    policy = check_fetch(fetch, domain, now_unix, out);
  }

  const MxAnswer mx = co_await resolver.query_mx(domain);
  const MxHosts hosts = check_mx_answer(mx, domain, out);
  if (hosts.usable) {
    if (policy && policy->mode != core::PolicyMode::none) {
      append(out, core::check_mx_coverage(core::audit_mx_coverage(*policy, domain, hosts.hosts),
                                          domain));
    }
    // RFC 5321 §5.1: no MX records means the domain itself is the implicit MX.
    // Several MX records may name one host (other preferences): probe it once, in MX order.
    std::vector<std::string> targets;
    for (const std::string& host : hosts.hosts) {
      if (std::find(targets.begin(), targets.end(), host) == targets.end()) {
        targets.push_back(host);
      }
    }
    if (targets.empty()) {
      targets.push_back(domain);
    }
    CheckFindings probed = co_await probe_all(resolver, prober, std::move(targets), now_unix);
    append(out, std::move(probed));
  }

  const std::string tlsrpt_name = std::string(kTlsrptPrefix) + domain;
  const TxtAnswer tlsrpt = co_await resolver.query_txt(tlsrpt_name);
  if (dns_lookup_failed(tlsrpt.meta.status)) {
    add(out, CheckCode::tlsrpt_lookup_failed, tlsrpt_name,
        "TXT lookup failed (" + std::string(dns_status_name(tlsrpt.meta.status)) +
            "): " + tlsrpt.meta.message);
  } else {
    append(out,
           core::check_tlsrpt_selection(core::select_tlsrpt_record(tlsrpt.records), tlsrpt_name));
  }
  co_return check;
}

core::Result<std::vector<DomainCheck>> run_checks(std::vector<std::string> domains,
                                                  CheckOptions options) {
  asio::io_context io;
  auto tools =
      make_discovery_tools(io.get_executor(), {std::move(options.dns), std::move(options.fetch)});
  if (!tools) {
    return tl::unexpected(tools.error());
  }
  auto prober = make_smtp_prober(io.get_executor(), std::move(options.smtp));
  if (!prober) {
    return tl::unexpected(prober.error());
  }
  const std::int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  std::vector<DomainCheck> results(domains.size());
  std::size_t pending = domains.size();
  for (std::size_t i = 0; i < domains.size(); ++i) {
    results[i].domain = domains[i];
    auto finish = [&results, &pending, &io, i, name = domains[i]](const std::exception_ptr& error,
                                                                  DomainCheck done) {
      if (error) {
        results[i].domain = name;
        results[i].findings.push_back(core::make_check_finding(CheckCode::policy_fetch_failed, name,
                                                               "internal error while checking"));
      } else {
        results[i] = std::move(done);
      }
      if (--pending == 0) {
        io.stop();  // abandoned DNS retries need not keep the loop alive
      }
    };
    asio::co_spawn(io,
                   check_domain(*tools->resolver, *tools->fetcher, **prober, domains[i], now_unix),
                   std::move(finish));
  }
  if (pending > 0) {
    io.run();
  }
  return results;
}

}  // namespace mtasts::net

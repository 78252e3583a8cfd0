// The admin API's domain list (host_admin_api.hpp): filtered by the caller's scope and the
// query, one page at a time. The filter runs over the state this instance serves (HostSync's,
// as of its last sync: at once after a change made here, within sync_interval after one made
// elsewhere), so no domain row or certificate is read from the store; the monitor result and
// the TLS-RPT totals are read only for the rows of the page.

#include <algorithm>

#include "mtasts/core/base/text.hpp"
#include "mtasts/core/check/check_findings.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_rows.hpp"
#include "mtasts/hosting/host_admin_api.hpp"
#include "mtasts/hosting/host_admin_http.hpp"
#include "mtasts/hosting/host_schedule.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kMaxPage = 1000;
constexpr std::size_t kMaxOffset = 10'000'000;
constexpr auto kRateDays = std::chrono::days(7);

struct ListQuery {
  std::string text;   // a part of the name, lowercased
  std::string mode;   // "", "testing", "enforce", "none"
  std::string state;  // "", "active", "removing"
  std::size_t offset = 0;
  std::size_t limit = 0;  // 0: every row
};

struct PageRow {
  store::DomainRow row;
  std::optional<CertificateStatus> certificate;
  std::optional<store::MonitorRow> monitor;
  std::uint64_t successful = 0;  // TLS-RPT sessions over the last 7 days
  std::uint64_t failed = 0;
};

struct Page {
  std::size_t total = 0;  // rows that pass the filter
  std::vector<PageRow> rows;
};

// The query's arguments, or the 400 answer.
std::variant<ListQuery, net::HttpResponse> list_query(const AdminTarget& target) {
  const auto query = [&target](const std::string& key) {
    const auto found = target.query.find(key);
    return found == target.query.end() ? std::string() : found->second;
  };
  ListQuery out;
  out.text = query("q");
  std::transform(out.text.begin(), out.text.end(), out.text.begin(), core::to_lower);
  out.mode = query("mode");
  out.state = query("state");
  if (!out.mode.empty() && out.mode != "testing" && out.mode != "enforce" && out.mode != "none") {
    return error_response(400, "mode", "expected testing, enforce or none");
  }
  if (!out.state.empty() && out.state != "active" && out.state != "removing") {
    return error_response(400, "state", "expected active or removing");
  }
  const std::string offset = query("offset");
  if (offset != "0") {
    const std::optional<std::size_t> value = query_number(offset, std::size_t{0}, kMaxOffset);
    if (!value) {
      return error_response(400, "offset", "expected a number from 0 to 10000000");
    }
    out.offset = *value;
  }
  const std::string limit = query("limit");
  if (!limit.empty()) {
    const std::optional<std::size_t> value = query_number(limit, std::size_t{0}, kMaxPage);
    if (!value) {
      return error_response(400, "limit", "expected a number from 1 to 1000");
    }
    out.limit = *value;
  }
  return out;
}

bool passes(const store::DomainRow& row, const ListQuery& query, const AdminPrincipal& who) {
  const core::HostedDomain& domain = row.domain;
  return who.may_access(domain.name) &&
         (query.text.empty() || domain.name.find(query.text) != std::string::npos) &&
         (query.mode.empty() || core::mode_name(domain.current.policy.mode) == query.mode) &&
         (query.state.empty() || core::hosted_state_name(domain.state) == query.state);
}

// The page's rows of `state` and how many pass the filter, without their monitor and totals.
Page select_page(const LoadedState& state, const ListQuery& query, const AdminPrincipal& who) {
  Page page;
  for (const store::DomainRow& row : state.domains) {
    if (!passes(row, query, who)) {
      continue;
    }
    ++page.total;
    if (page.total > query.offset && (query.limit == 0 || page.rows.size() < query.limit)) {
      page.rows.push_back(
          PageRow{row, state.certificate(policy_host_name(row.domain.name)), std::nullopt, 0, 0});
    }
  }
  return page;
}

// Reads the monitor result and the TLS-RPT totals of the last 7 days of each row.
store::Result<Page> complete_page(store::HostingStore& hosting, Page page, core::HostTime now) {
  const core::HostTime to = now + std::chrono::days(1);
  for (PageRow& out : page.rows) {
    const std::string& name = out.row.domain.name;
    auto monitor = hosting.get_monitor_result(name);
    if (!monitor) {
      return tl::unexpected(monitor.error());
    }
    out.monitor = std::move(*monitor);
    auto totals =
        hosting.reports().session_totals(name, now - kRateDays, to, store::ReportGrouping::result);
    if (!totals) {
      return tl::unexpected(totals.error());
    }
    for (const store::SessionTotal& total : *totals) {
      (core::tlsrpt_row_is_failure(total.result) ? out.failed : out.successful) += total.sessions;
    }
  }
  return page;
}

// Whether the monitor found the _mta-sts record right: null before the first check.
nlohmann::json records_ok(const std::optional<store::MonitorRow>& monitor) {
  if (!monitor) {
    return nullptr;
  }
  const nlohmann::json findings = nlohmann::json::parse(monitor->findings, nullptr, false);
  if (!findings.is_array()) {
    return monitor->passing;
  }
  return std::none_of(findings.begin(), findings.end(), [](const nlohmann::json& finding) {
    return finding.value("severity", "") == "error" &&
           finding.value("area", "") == core::check_area_title(core::CheckArea::sts_record);
  });
}

nlohmann::json row_json(const PageRow& page_row) {
  const core::HostedDomain& domain = page_row.row.domain;
  const bool issued = page_row.certificate && page_row.certificate->issued;
  const auto& monitor = page_row.monitor;
  const std::uint64_t sessions = page_row.successful + page_row.failed;
  return {
      {"domain", domain.name},
      {"state", core::hosted_state_name(domain.state)},
      {"mode", core::mode_name(domain.current.policy.mode)},
      {"id", domain.current.id},
      {"records_mode", core::record_mode_name(domain.records)},
      {"certificate_not_after",
       issued ? nlohmann::json(core::format_utc(page_row.certificate->not_after))
              : nlohmann::json(nullptr)},
      {"monitor", monitor ? nlohmann::json({{"passing", monitor->passing},
                                            {"checked_at", core::format_utc(monitor->checked_at)}})
                          : nlohmann::json(nullptr)},
      {"records_ok", records_ok(monitor)},
      {"tlsrpt_7d",
       {{"successful", page_row.successful},
        {"failed", page_row.failed},
        {"success_rate", sessions == 0 ? nlohmann::json(nullptr)
                                       : nlohmann::json(static_cast<double>(page_row.successful) /
                                                        static_cast<double>(sessions))}}}};
}

}  // namespace

asio::awaitable<net::HttpResponse> AdminApi::list(AdminPrincipal principal, AdminTarget target) {
  auto parsed = list_query(target);
  if (auto* refused = std::get_if<net::HttpResponse>(&parsed)) {
    co_return std::move(*refused);
  }
  const core::HostTime now = clock_.now();
  const ListQuery& query = std::get<ListQuery>(parsed);
  std::function<store::Result<Page>(store::HostingStore&)> job =
      [page = select_page(sync_.state(), query, principal),
       now](store::HostingStore& hosting) mutable {
        return complete_page(hosting, std::move(page), now);
      };
  auto page = co_await store_.run(std::move(job));
  if (!page) {
    co_return store_failure(page.error());
  }
  nlohmann::json domains = nlohmann::json::array();
  for (const PageRow& row : page->rows) {
    domains.push_back(row_json(row));
  }
  co_return json_response(
      200, {{"domains", std::move(domains)}, {"total", page->total}, {"offset", query.offset}});
}

}  // namespace mtasts::hosting

// The admin API's TLS-RPT routes (host_admin_api.hpp): summaries, report lists, one report,
// the reports kept apart.

#include <algorithm>
#include <limits>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/hosting/host_admin_api.hpp"
#include "mtasts/hosting/host_admin_http.hpp"
#include "mtasts/hosting/report_summary.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

constexpr unsigned kDefaultDays = 30;
constexpr unsigned kMaxDays = 400;
constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;

}  // namespace

asio::awaitable<net::HttpResponse> AdminApi::domain_reports(std::string domain,
                                                            std::string days_text) {
  auto name = core::normalize_domain(domain);
  if (!name) {
    co_return error_response(400, "domain", name.error().message);
  }
  const std::optional<unsigned> days = query_number(days_text, kDefaultDays, kMaxDays);
  if (!days) {
    co_return error_response(400, "days", "expected a number from 1 to 400");
  }
  const core::HostTime now = clock_.now();
  std::function<store::Result<nlohmann::json>(store::HostingStore&)> job =
      [d = *name, now, period = SummaryPeriod{*days}](store::HostingStore& hosting) {
        return report_summary(hosting, d, now, period);
      };
  auto summary = co_await store_.run(std::move(job));
  if (!summary) {
    if (summary.error().code == store::Errc::invalid_argument) {
      co_return error_response(404, "domain", summary.error().message);
    }
    co_return store_failure(summary.error());
  }
  co_return json_response(200, *summary);
}

asio::awaitable<net::HttpResponse> AdminApi::reports(AdminPrincipal principal, std::string domain,
                                                     std::string days_text,
                                                     std::string limit_text) {
  std::string name;
  if (!domain.empty()) {
    auto normalized = core::normalize_domain(domain);
    if (!normalized) {
      co_return error_response(400, "domain", normalized.error().message);
    }
    if (!principal.may_access(*normalized)) {
      co_return not_hosted(*normalized);
    }
    name = std::move(*normalized);
  }
  // A customer without a domain reads the reports of each of its domains, merged.
  std::vector<std::string> names{name};
  if (name.empty() && !principal.is_operator()) {
    names = principal.domains;
  }
  const std::optional<unsigned> days = query_number(days_text, kDefaultDays, kMaxDays);
  if (!days) {
    co_return error_response(400, "days", "expected a number from 1 to 400");
  }
  const std::optional<std::size_t> limit = query_number(limit_text, kDefaultLimit, kMaxLimit);
  if (!limit) {
    co_return error_response(400, "limit", "expected a number from 1 to 1000");
  }
  const core::HostTime to = clock_.now() + std::chrono::days(1);
  const core::HostTime from = to - std::chrono::days(*days + 1);
  std::function<store::Result<std::vector<store::StoredReport>>(store::HostingStore&)> job =
      [names, from, to, limit = *limit](
          store::HostingStore& hosting) -> store::Result<std::vector<store::StoredReport>> {
    std::vector<store::StoredReport> out;
    for (const std::string& one : names) {
      auto listed = hosting.reports().list_reports(one, from, to, limit);
      if (!listed) {
        return tl::unexpected(listed.error());
      }
      out.insert(out.end(), listed->begin(), listed->end());
    }
    if (names.size() > 1) {
      std::stable_sort(out.begin(), out.end(),
                       [](const store::StoredReport& a, const store::StoredReport& b) {
                         return a.start > b.start || (a.start == b.start && a.id > b.id);
                       });
      out.resize(std::min(out.size(), limit));
    }
    return out;
  };
  auto listed = co_await store_.run(std::move(job));
  if (!listed) {
    co_return store_failure(listed.error());
  }
  co_return json_response(200, {{"reports", report_list_json(*listed)}});
}

asio::awaitable<net::HttpResponse> AdminApi::report(AdminPrincipal principal, std::string id_text) {
  const std::optional<std::int64_t> id =
      query_number<std::int64_t>(id_text, 0, std::numeric_limits<std::int64_t>::max());
  if (!id || *id == 0) {
    co_return error_response(404, "", "no such report: " + id_text);
  }
  std::function<store::Result<nlohmann::json>(store::HostingStore&)> job =
      [id = *id](store::HostingStore& hosting) { return report_detail(hosting, id); };
  auto detail = co_await store_.run(std::move(job));
  if (!detail) {
    co_return store_failure(detail.error());
  }
  // A report of a domain outside a customer's scope answers as one that does not exist.
  if (detail->is_null() || !principal.may_access(detail->value("domain", ""))) {
    co_return error_response(404, "", "no such report: " + id_text);
  }
  co_return json_response(200, *detail);
}

asio::awaitable<net::HttpResponse> AdminApi::reports_apart(AdminPrincipal principal,
                                                           std::string limit_text) {
  const std::optional<std::size_t> limit = query_number(limit_text, kDefaultLimit, kMaxLimit);
  if (!limit) {
    co_return error_response(400, "limit", "expected a number from 1 to 1000");
  }
  // A customer sees only those about its own domains: every one kept is read (at most
  // kKeptApartCap), the others left out.
  const std::size_t read = principal.is_operator() ? *limit : store::kKeptApartCap;
  std::function<store::Result<std::vector<store::KeptApartReport>>(store::HostingStore&)> job =
      [read](store::HostingStore& hosting) { return hosting.reports().list_kept_apart(read); };
  auto listed = co_await store_.run(std::move(job));
  if (!listed) {
    co_return store_failure(listed.error());
  }
  std::erase_if(*listed, [&principal](const store::KeptApartReport& kept) {
    return !principal.may_access(core::normalize_domain(kept.domain).value_or(""));
  });
  listed->resize(std::min(listed->size(), *limit));
  co_return json_response(200, {{"reports", kept_apart_json(*listed)}});
}

}  // namespace mtasts::hosting

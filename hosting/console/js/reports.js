// Reports: the TLS reports received (newest first, raw JSON on request) and those kept apart.

import {api} from "./api.js";
import {h, put, table, when} from "./dom.js";
import {isOperator, page} from "./ui.js";

export async function showReports(params) {
  const domain = params.get("domain") || "";
  const title = domain ? "Reports for " + domain : "Reports";
  const view = page(title, h("p", {class: "muted"}, "Loading…"));
  const query = new URLSearchParams({days: "90", limit: "200"});
  if (domain) {
    query.set("domain", domain);
  }
  const [listed, apart] = await Promise.all([
    api("GET", "/v1/reports?" + query.toString()),
    api("GET", "/v1/reports/apart?limit=100"),
  ]);
  const rows = listed.reports.map((r) => [
    h("a", {href: "#/reports/" + r.id}, String(r.id)), r.domain, r.reporter || "—",
    when(r.start).slice(0, 10), r.channel, String(r.successful), String(r.failed)]);
  const apartRows = apart.reports.map((r) => [when(r.received_at), r.reason, r.domain || "—",
    r.reporter || "—", r.detail]);
  put(view, h("h1", {}, title),
    h("div", {id: "report-list"}, rows.length ? table(null, ["Id", "Domain", "Reporter", "Day",
      "Channel", {text: "Succeeded", cls: "num"}, {text: "Failed", cls: "num"}], rows)
      : h("p", {}, "No report received in the last 90 days.")),
    h("h2", {}, "Kept apart"),
    h("p", {class: "muted"}, isOperator() ? "Reports not counted for any domain, and why."
      : "Reports about your domains that were not counted, and why."),
    apartRows.length ? table(null, ["Received", "Reason", "Domain", "Reporter", "Detail"],
      apartRows) : h("p", {}, "None."));
}

export async function showReport(id) {
  const view = page("Report " + id, h("p", {class: "muted"}, "Loading…"));
  const report = await api("GET", "/v1/reports/" + encodeURIComponent(id));
  put(view, h("h1", {}, "Report " + id),
    h("p", {}, `${report.reporter || "unknown reporter"} about `,
      h("a", {href: "#/domains/" + encodeURIComponent(report.domain)}, report.domain),
      `, ${when(report.start)} to ${when(report.end)}: ${report.successful} succeeded, ` +
      `${report.failed} failed.`),
    h("h2", {}, "Findings"),
    h("pre", {class: "raw"}, JSON.stringify(report.findings, null, 2)),
    h("h2", {}, "The report as received"),
    h("pre", {class: "raw", id: "raw-report"}, JSON.stringify(report.report, null, 2)));
}

// The domains page: every domain the caller may see, its state at a glance; search, filter and
// paging are done by the server, so a page costs the same at 10,000 domains.

import {api} from "./api.js";
import {badge, h, percent, put, table, when} from "./dom.js";
import {page} from "./ui.js";

const PAGE_SIZE = 50;

function modeBadge(mode) {
  return badge(mode, mode === "enforce" ? "ok" : mode === "none" ? "bad" : "warn");
}

function recordsCell(domain) {
  if (domain.records_ok === null) {
    return badge("not checked yet");
  }
  return domain.records_ok ? badge("ok", "ok") : badge("wrong", "bad");
}

function certificateCell(domain) {
  if (!domain.certificate_not_after) {
    return badge("not issued", "warn");
  }
  return when(domain.certificate_not_after).slice(0, 10);
}

function monitorCell(domain) {
  if (!domain.monitor) {
    return badge("pending");
  }
  return domain.monitor.passing ? badge("passing", "ok") : badge("failing", "bad");
}

function tlsrptCell(domain) {
  const rpt = domain.tlsrpt_7d || {};
  if (rpt.success_rate === null || rpt.success_rate === undefined) {
    return h("span", {class: "muted"}, "no reports");
  }
  const kind = rpt.success_rate >= 0.99 ? "ok" : rpt.success_rate >= 0.9 ? "warn" : "bad";
  return h("span", {}, badge(percent(rpt.success_rate), kind), " ",
    h("span", {class: "muted"}, `${rpt.successful + rpt.failed} sessions`));
}

function linkTo(domain) {
  return h("a", {href: "#/domains/" + encodeURIComponent(domain.domain)}, domain.domain);
}

export async function showDomains(params) {
  const q = params.get("q") || "";
  const mode = params.get("mode") || "";
  const state = params.get("state") || "";
  const offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);

  const search = h("input", {id: "q", type: "search", value: q, placeholder: "example.com"});
  const modeSelect = h("select", {id: "mode"},
    ["", "testing", "enforce", "none"].map((m) =>
      h("option", {value: m, selected: m === mode}, m || "any mode")));
  const stateSelect = h("select", {id: "state"},
    ["", "active", "removing"].map((m) =>
      h("option", {value: m, selected: m === state}, m || "any state")));
  const form = h("form", {class: "toolbar", role: "search"},
    h("label", {for: "q"}, "Search", search),
    h("label", {for: "mode"}, "Mode", modeSelect),
    h("label", {for: "state"}, "State", stateSelect),
    h("button", {type: "submit"}, "Filter"),
    h("a", {class: "button", href: "#/add"}, "Add a domain"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (search.value.trim()) {
      next.set("q", search.value.trim());
    }
    if (modeSelect.value) {
      next.set("mode", modeSelect.value);
    }
    if (stateSelect.value) {
      next.set("state", stateSelect.value);
    }
    location.hash = "#/domains?" + next.toString();
  });
  const results = h("div", {id: "domain-results", "aria-live": "polite"},
    h("p", {class: "muted"}, "Loading…"));
  page("Domains", form, results);

  const query = new URLSearchParams({offset: String(offset), limit: String(PAGE_SIZE)});
  if (q) {
    query.set("q", q);
  }
  if (mode) {
    query.set("mode", mode);
  }
  if (state) {
    query.set("state", state);
  }
  const data = await api("GET", "/v1/domains?" + query.toString());
  const rows = data.domains.map((d) => [
    linkTo(d), modeBadge(d.mode), recordsCell(d), certificateCell(d), monitorCell(d),
    tlsrptCell(d), d.state === "active" ? "active" : badge("removing", "warn")]);
  const pageLink = (to, label) => {
    const next = new URLSearchParams(params);
    next.set("offset", String(to));
    return h("a", {class: "button", href: "#/domains?" + next.toString()}, label);
  };
  const last = Math.min(offset + data.domains.length, data.total);
  put(results,
    data.total === 0
      ? h("p", {}, "No domain matches.")
      : table(null, ["Domain", "Mode", "Records", "Certificate until", "Monitor",
        "TLS-RPT, 7 days", {text: "State", cls: "wide-only"}], rows),
    h("div", {class: "pager"},
      offset > 0 ? pageLink(Math.max(0, offset - PAGE_SIZE), "Previous") : null,
      h("span", {id: "page-range"},
        data.total === 0 ? "" : `${offset + 1}–${last} of ${data.total}`),
      last < data.total ? pageLink(offset + PAGE_SIZE, "Next") : null));
}

// One domain: policy and its history, the records to publish, the certificate, the monitor's
// findings, the TLS-RPT charts and failure table, enforce readiness with its button, removal.

import {api, ApiError, domainPath} from "./api.js";
import {badge, h, put, recordList, table, when} from "./dom.js";
import {stackedColumns, stackedRows} from "./charts.js";
import {confirmAction, flash, notice, page} from "./ui.js";

function facts(pairs) {
  return h("dl", {class: "facts"}, pairs.map(([term, value]) => [h("dt", {}, term),
    h("dd", {}, value)]));
}

function card(title, id, ...children) {
  return h("section", {class: "card", id, "aria-labelledby": id + "-title"},
    h("h2", {id: id + "-title"}, title), ...children);
}

function policyCard(domain) {
  return card("Policy", "policy", facts([
    ["Mode", badge(domain.mode, domain.mode === "enforce" ? "ok" : "warn")],
    ["Id", h("code", {}, domain.id)],
    ["MX", h("span", {}, domain.mx.join(", "))],
    ["max_age", `${domain.max_age} s`],
    ["State", domain.state],
    domain.records_mode === "delegated"
      ? ["Record published", domain.published_at ? when(domain.published_at) : "not yet"] : null,
  ].filter((pair) => pair)));
}

function recordsCard(domain) {
  return card("Records to publish", "records",
    h("p", {class: "muted"}, "Publish these in the domain's DNS zone."),
    recordList(domain.records || []));
}

function certificateCard(certificate) {
  if (!certificate) {
    return card("Certificate", "certificate", h("p", {}, badge("not issued yet", "warn")));
  }
  return card("Certificate", "certificate", facts([
    ["Name", h("code", {}, certificate.name)],
    ["Issued", certificate.issued ? badge("yes", "ok") : badge("no", "warn")],
    ["Valid until", when(certificate.not_after)],
    ["Issued at", when(certificate.issued_at)],
    ["Failures", String(certificate.failures)],
    ["Last error", certificate.last_error || "—"],
  ]));
}

function monitorCard(monitor) {
  if (!monitor) {
    return card("Monitor", "monitor", h("p", {class: "muted"}, "Not checked yet."));
  }
  const findings = monitor.findings || [];
  return card("Monitor", "monitor",
    h("p", {}, monitor.passing ? badge("passing", "ok") : badge("failing", "bad"),
      " checked ", when(monitor.checked_at)),
    findings.length === 0 ? h("p", {}, "No findings.") :
      h("ul", {class: "findings"}, findings.map((f) => h("li", {},
        badge(f.severity, f.severity === "error" ? "bad" : f.severity === "warning" ? "warn" : ""),
        " ", h("code", {}, f.code), " ", f.message,
        f.fix ? h("div", {class: "muted"}, "Fix: ", f.fix) : null))));
}

function historyCard(domain, audit) {
  const versions = (domain.history || []).map((v) => [h("code", {}, v.id), v.mode,
    v.mx.join(", "), String(v.max_age), when(v.created_at)]);
  const changes = audit.map((e) => [when(e.at), e.actor, e.action]);
  return card("History", "history",
    table("Policy versions, newest first", ["Id", "Mode", "MX", "max_age", "Created"], versions),
    h("h3", {}, "Who changed what"),
    table(null, ["When", "Who", "What"], changes));
}

function failureTable(summary) {
  const rows = [];
  for (const mx of summary.by_mx || []) {
    for (const [type, count] of Object.entries(mx.failures || {})) {
      rows.push([h("code", {}, mx.mx || "(none)"), type, String(count)]);
    }
  }
  if (rows.length === 0) {
    return h("p", {id: "failure-table"}, "No failed sessions in this period.");
  }
  return h("div", {id: "failure-table"},
    table("Failed sessions by receiving MX and result type",
      ["Receiving MX", "Result", {text: "Sessions", cls: "num"}], rows));
}

function readinessBlock(name, domain, summary, reload) {
  const readiness = summary.readiness || {};
  const verdict = readiness.verdict || "unknown";
  const kind = verdict === "ready" ? "ok" : verdict === "not-ready" ? "bad" : "warn";
  const reasons = readiness.reasons || [];
  const apply = h("button", {type: "button", id: "apply-enforce",
    disabled: domain.mode !== "testing" || domain.state !== "active"}, "Switch to enforce");
  apply.addEventListener("click", async () => {
    const sure = await confirmAction("Switch to enforce",
      `Senders will refuse to deliver mail to ${name} over an unverified connection or to an ` +
      `MX the policy does not list. The verdict of the reports is: ${verdict}.`,
      "Switch to enforce");
    if (!sure) {
      return;
    }
    try {
      await api("PATCH", domainPath(name), {mode: "enforce"});
      notice(`${name} is now in enforce mode.`);
      await reload();
    } catch (e) {
      notice("The change was refused: " + e.message, "error");
    }
  });
  return h("div", {id: "readiness"},
    h("p", {}, "Verdict: ", badge(verdict, kind),
      ` ${counted(readiness.days_with_reports, "day")} with reports from ` +
      `${counted(readiness.reporters, "reporter")} ` +
      `in the last ${readiness.window_days || 0} days.`),
    reasons.length ? h("ul", {}, reasons.map((r) => h("li", {}, r))) : null,
    domain.mode === "testing" ? apply : h("p", {class: "muted"}, `The mode is ${domain.mode}.`));
}

// "1 day", "3 days" ("0 days" when absent).
function counted(n, noun) {
  const value = n || 0;
  return `${value} ${noun}${value === 1 ? "" : "s"}`;
}

// Every day of the period, those without a report as empty groups: the axis is continuous.
function everyDay(summary) {
  const known = new Map((summary.by_day || []).map((g) => [g.day, g]));
  const out = [];
  const first = new Date((summary.from || "").slice(0, 10) + "T00:00:00Z");
  const last = new Date(Date.now());
  if (Number.isNaN(first.getTime())) {
    return summary.by_day || [];
  }
  for (let day = first; day <= last; day = new Date(day.getTime() + 86400000)) {
    const key = day.toISOString().slice(0, 10);
    out.push(known.get(key) || {day: key, successful: 0, failed: 0, failures: {}});
  }
  return out;
}

function reportsCard(name, domain, summary, reload) {
  const days = (summary.by_day || []).length ? everyDay(summary) : [];
  return card("TLS reports", "tlsrpt",
    h("p", {id: "tlsrpt-totals"}, `${summary.successful} sessions succeeded and ` +
      `${summary.failed} failed over the last ${summary.days} days.`),
    h("h3", {}, "Enforce readiness"),
    readinessBlock(name, domain, summary, reload),
    days.length ? stackedColumns("Sessions per day", days, (g) => g.day) :
      h("p", {class: "muted"}, "No report in this period."),
    (summary.by_reporter || []).length ?
      stackedRows("Sessions by reporter", summary.by_reporter, (g) => g.reporter) : null,
    (summary.by_mx || []).length ?
      stackedRows("Sessions by receiving MX", summary.by_mx, (g) => g.mx) : null,
    h("h3", {}, "Failures"), failureTable(summary),
    (summary.findings || []).length ? h("ul", {class: "findings"}, summary.findings.map((f) =>
      h("li", {}, h("code", {}, f.code || ""), " ", f.message || JSON.stringify(f)))) : null,
    h("p", {}, h("a", {href: "#/reports?domain=" + encodeURIComponent(name)},
      "The reports received")));
}

function removeCard(name, domain) {
  const button = h("button", {type: "button", class: "danger", id: "remove-domain",
    disabled: domain.state !== "active"}, "Remove this domain");
  button.addEventListener("click", async () => {
    const sure = await confirmAction("Remove " + name,
      "The service publishes a policy of mode none until every sender's cached policy has " +
      "expired, then stops serving the domain. Remove your records after that.",
      "Remove", name);
    if (!sure) {
      return;
    }
    try {
      const out = await api("DELETE", domainPath(name));
      flash(`${name} is being removed; served with mode none until ${when(out.serve_until)}.`);
      location.hash = "#/domains";
    } catch (e) {
      notice("The removal was refused: " + e.message, "error");
    }
  });
  return card("Removal", "removal",
    domain.state === "active" ? h("p", {}, "Removal is safe: senders are told first.") :
      h("p", {}, `Being removed; served until ${when(domain.serve_until)}.`), button);
}

export async function showDomain(name) {
  const main = page(name, h("p", {class: "muted"}, "Loading…"));
  const load = async () => {
    let domain;
    try {
      domain = await api("GET", domainPath(name));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        put(main, h("h1", {}, name), h("p", {id: "not-found"}, `${name} is not hosted here.`),
          h("a", {href: "#/domains"}, "All domains"));
        return;
      }
      throw e;
    }
    const [summary, audit] = await Promise.all([
      api("GET", domainPath(name, "/reports?days=30")),
      api("GET", "/v1/audit?limit=50&domain=" + encodeURIComponent(name)),
    ]);
    put(main, h("h1", {}, name, " ", badge(domain.mode, domain.mode === "enforce" ? "ok" : "warn")),
      h("div", {class: "cards"}, policyCard(domain), certificateCard(domain.certificate),
        monitorCard(domain.monitor)),
      recordsCard(domain),
      reportsCard(name, domain, summary, load),
      historyCard(domain, audit.entries || []),
      removeCard(name, domain));
  };
  await load();
}

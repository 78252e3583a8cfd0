// Adding a domain: the service proposes the MX from live DNS; the page shows the records to
// publish and follows the progress (the records seen, the certificate issued) by polling.

import {api, domainPath} from "./api.js";
import {badge, h, put, recordList, when} from "./dom.js";
import {notice, page} from "./ui.js";

const POLL_MS = 3000;
const POLL_ROUNDS = 400;

function step(done, text) {
  return h("li", {}, done ? badge("done", "ok") : badge("waiting", "warn"), " ", text);
}

async function follow(name, box) {
  for (let round = 0; round < POLL_ROUNDS; round++) {
    if (!document.body.contains(box)) {
      return;
    }
    let domain;
    try {
      domain = await api("GET", domainPath(name));
    } catch (e) {
      put(box, h("p", {class: "error-text"}, e.message));
      return;
    }
    const issued = domain.certificate && domain.certificate.issued;
    const checked = domain.monitor !== null;
    const passing = checked && domain.monitor.passing;
    // The TXT record is seen when the last check found nothing wrong with it.
    const txtSeen = checked && !(domain.monitor.findings || []).some((f) =>
      (f.code.startsWith("sts-record") && f.severity !== "info") || f.code === "hosted-id-stale");
    put(box, h("ul", {class: "progress", id: "progress"},
      step(true, "Added; the policy is served by the service"),
      step(issued, issued ? `Certificate issued, valid until ${when(domain.certificate.not_after)}`
        : "Certificate: waiting for the records (CNAME) and the certificate authority"),
      step(txtSeen, txtSeen ? `TXT record seen at _mta-sts.${name}`
        : `TXT record at _mta-sts.${name}: not seen yet`),
      step(passing, checked ? (passing ? "Monitor: everything found as published"
        : "Monitor: not yet right (see the domain page)") : "Monitor: first check pending")),
    h("a", {href: "#/domains/" + encodeURIComponent(name)}, "Open " + name));
    if (issued && passing) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export function showAdd() {
  const domainInput = h("input", {id: "new-domain", required: true, autocomplete: "off",
    placeholder: "example.com"});
  const mxInput = h("input", {id: "new-mx", autocomplete: "off",
    placeholder: "leave empty to use the live MX", "aria-describedby": "mx-help"});
  const error = h("p", {class: "error-text", role: "alert"});
  const result = h("div", {id: "add-result"});
  const form = h("form", {class: "toolbar"},
    h("label", {for: "new-domain"}, "Domain", domainInput),
    h("label", {for: "new-mx"}, "MX patterns (comma-separated)", mxInput),
    h("button", {type: "submit", id: "add-submit"}, "Add"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const body = {domain: domainInput.value.trim()};
    const mx = mxInput.value.split(",").map((m) => m.trim()).filter((m) => m);
    if (mx.length) {
      body.mx = mx;
    }
    try {
      const added = await api("POST", "/v1/domains", body);
      notice(`${added.domain} added in mode ${added.mode}.`);
      const progress = h("div", {"aria-live": "polite"});
      put(result,
        h("h2", {}, "Publish these records"),
        added.mx_from_live_mx ? h("p", {}, "MX proposed from live DNS: ",
          h("code", {}, added.mx.join(", "))) : null,
        recordList(added.records),
        h("h2", {}, "Progress"), progress);
      follow(added.domain, progress);
    } catch (e) {
      error.textContent = e.message;
    }
  });
  page("Add a domain", h("p", {id: "mx-help", class: "muted"},
    "The policy starts in testing mode. Without MX patterns the service lists the domain's " +
    "MX hosts as DNS has them now."), form, error, result);
  domainInput.focus();
}

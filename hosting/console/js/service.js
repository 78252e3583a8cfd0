// The service (operators only): the instance, its counts, certificate renewals ahead, and the
// audit log.

import {api} from "./api.js";
import {h, put, table, when} from "./dom.js";
import {page} from "./ui.js";

export async function showService() {
  const view = page("Service", h("p", {class: "muted"}, "Loading…"));
  const [status, audit, soon] = await Promise.all([
    api("GET", "/v1/status"),
    api("GET", "/v1/audit?limit=100"),
    api("GET", "/v1/domains?limit=1000"),
  ]);
  const renewals = soon.domains.filter((d) => d.certificate_not_after)
    .sort((a, b) => a.certificate_not_after.localeCompare(b.certificate_not_after))
    .slice(0, 20)
    .map((d) => [h("a", {href: "#/domains/" + encodeURIComponent(d.domain)}, d.domain),
      when(d.certificate_not_after)]);
  put(view, h("h1", {}, "Service"),
    h("div", {class: "cards", id: "service-state"},
      h("section", {class: "card"}, h("h2", {}, "Instance"), h("dl", {class: "facts"},
        h("dt", {}, "Instance"), h("dd", {}, status.instance),
        h("dt", {}, "Version"), h("dd", {}, status.version),
        h("dt", {}, "Store"), h("dd", {}, status.store),
        h("dt", {}, "Generation"),
        h("dd", {}, `${status.loaded_generation} of ${status.generation}`),
        h("dt", {}, "Serving"), h("dd", {}, status.serving ? "yes" : "no"))),
      h("section", {class: "card"}, h("h2", {}, "Domains and certificates"),
        h("dl", {class: "facts"},
          h("dt", {}, "Active"), h("dd", {}, String(status.domains.active)),
          h("dt", {}, "Being removed"), h("dd", {}, String(status.domains.removing)),
          h("dt", {}, "Certificates valid"), h("dd", {}, String(status.certificates.valid)),
          h("dt", {}, "Due for renewal"), h("dd", {}, String(status.certificates.due)),
          h("dt", {}, "Missing"), h("dd", {}, String(status.certificates.missing))))),
    h("h2", {}, "Certificates expiring first"),
    renewals.length ? table(null, ["Domain", "Valid until"], renewals) : h("p", {}, "None yet."),
    h("h2", {}, "Audit log"),
    table(null, ["When", "Who", "Domain", "What"], audit.entries.map((e) =>
      [when(e.at), e.actor, e.domain || "—", e.action])));
}

// The service (operators only): the instance answering, every instance of the service with
// its last heartbeat, the ACME account, the counts, certificate renewals ahead, and the audit
// log.

import {api} from "./api.js";
import {badge, h, put, table, when} from "./dom.js";
import {page} from "./ui.js";

// One row per instance: a stale one stopped beating (stopped, hung, or cut off from the store).
function instanceRows(instances) {
  return instances.map((i) => [
    h("span", {}, i.name, i.self ? h("span", {class: "muted"}, " (this one)") : null),
    i.version,
    i.stale ? badge("stale", "bad") : badge("up", "ok"),
    when(i.last_seen),
    when(i.started_at),
    i.listeners.length ? h("ul", {class: "plain"}, i.listeners.map((l) => h("li", {}, l))) : "—",
  ]);
}

function acmeCard(acme) {
  return h("section", {class: "card", id: "acme-account", "aria-labelledby": "acme-title"},
    h("h2", {id: "acme-title"}, "ACME account"),
    h("dl", {class: "facts"},
      h("dt", {}, "Directory"), h("dd", {}, h("code", {}, acme.directory)),
      h("dt", {}, "Account"),
      h("dd", {}, acme.account_url ? h("code", {}, acme.account_url) : "Not registered yet"),
      h("dt", {}, "Contact"), h("dd", {}, acme.contact.length ? acme.contact.join(", ") : "—"),
      h("dt", {}, "Registered"), h("dd", {}, when(acme.created_at))));
}

export async function showService() {
  const view = page("Service", h("p", {class: "muted"}, "Loading…"));
  const [status, instances, audit, soon] = await Promise.all([
    api("GET", "/v1/status"),
    api("GET", "/v1/instances"),
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
          h("dt", {}, "Missing"), h("dd", {}, String(status.certificates.missing)))),
      acmeCard(status.acme)),
    h("section", {id: "instances", "aria-labelledby": "instances-title"},
      h("h2", {id: "instances-title"}, "Instances"),
      table("Each instance writes a heartbeat as it syncs; " +
        "one silent for three sync intervals is stale.",
        ["Instance", "Version", "State", "Last seen",
          {text: "Started", cls: "wide-only"}, {text: "Listens on", cls: "wide-only"}],
        instanceRows(instances.instances))),
    h("h2", {}, "Certificates expiring first"),
    renewals.length ? table(null, ["Domain", "Valid until"], renewals) : h("p", {}, "None yet."),
    h("h2", {}, "Audit log"),
    table(null, ["When", "Who", "Domain", "What"], audit.entries.map((e) =>
      [when(e.at), e.actor, e.domain || "—", e.action])));
}

// The console's entry: who is signed in, the hash router, sign-out.

import {api, ApiError, setCsrf} from "./api.js";
import {showAdd} from "./add.js";
import {showDomain} from "./domain.js";
import {showDomains} from "./domains.js";
import {showReport, showReports} from "./reports.js";
import {showService} from "./service.js";
import {showSignIn} from "./signin.js";
import {isOperator, notice, page, session, showPending} from "./ui.js";
import {h} from "./dom.js";

function chrome(on) {
  document.getElementById("nav").hidden = !on;
  document.getElementById("sign-out").hidden = !on;
  const who = document.getElementById("who");
  who.hidden = !on;
  who.textContent = on ? `${session.me.name} (${session.me.role})` : "";
  for (const link of document.querySelectorAll("[data-operator]")) {
    link.hidden = !isOperator();
  }
}

function markCurrent(section) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === section) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
}

async function route() {
  if (!session.me) {
    return;
  }
  showPending();
  const hash = location.hash.replace(/^#/, "") || "/domains";
  const [path, search] = hash.split("?");
  const params = new URLSearchParams(search || "");
  const parts = path.split("/").filter((p) => p).map(decodeURIComponent);
  markCurrent(parts[0] === "domains" && parts.length > 1 ? "" : parts[0]);
  try {
    if (parts[0] === "domains" && parts.length === 2) {
      await showDomain(parts[1]);
    } else if (parts[0] === "add") {
      showAdd();
    } else if (parts[0] === "reports" && parts.length === 2) {
      await showReport(parts[1]);
    } else if (parts[0] === "reports") {
      await showReports(params);
    } else if (parts[0] === "service" && isOperator()) {
      await showService();
    } else {
      markCurrent("domains");
      await showDomains(params);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      signedOut("Your session has ended; sign in again.");
      return;
    }
    page("Something went wrong", h("p", {class: "error-text"}, e.message));
  }
}

function signedOut(message) {
  session.me = null;
  setCsrf("");
  chrome(false);
  notice(message || "");
  showSignIn(signedIn);
}

function signedIn() {
  chrome(true);
  route();
}

async function start() {
  document.getElementById("sign-out").addEventListener("click", async () => {
    try {
      await api("DELETE", "/v1/session");
    } finally {
      signedOut("You are signed out.");
    }
  });
  window.addEventListener("hashchange", route);
  try {
    session.me = await api("GET", "/v1/session");
    setCsrf(session.me.csrf);
    signedIn();
  } catch {
    signedOut("");
  }
}

start();

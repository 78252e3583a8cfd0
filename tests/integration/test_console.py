"""The web console of the real `mtasts host` (docs/console.md), driven in Debian's headless
chromium through chromium-driver and python3-selenium, as its users meet it: an operator signs in
with a token, adds a domain and watches its certificate arrive from pebble once the record is
published in knot, sees a TLS report POSTed a moment earlier in the domain's chart, switches the
domain to enforce from the readiness button, and signs out; a customer sees only its own domain,
even when it edits the URL or makes the requests itself; a change without the CSRF token is
refused. Every page is saved as a screenshot (MTASTS_ARTIFACTS, default /tmp/mtasts-artifacts)
and the browser's network log shows no request to another origin.

Chromium and its driver run inside the test world's network namespace: every WebDriver call is
made from a thread in the namespace (world.call), where the admin listener is.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import json
import os
import secrets
import shutil
import socket
import ssl
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from world import Domain, Record
from world.host import HostInstance, fetch_policy, host_config

PROVIDER = "con-provider.test"
HOSTNAME = f"host.{PROVIDER}"
ADDRESS = "127.0.6.21"
ADMIN_PORT = 18571
DOMAIN = "shop.con.test"       # the customer's, added from the console
RIVAL = "rival.con.test"       # another customer's
POLICY_HOST = f"mta-sts.{DOMAIN}"
ORIGIN = f"http://127.0.0.1:{ADMIN_PORT}"
CONSOLE_ADDRESS = "127.0.6.22"  # admin.console_listen: the console's own address
CONSOLE_PORT = 18573
CUSTOMER_TOKEN = secrets.token_hex(20)
RIVAL_TOKEN = secrets.token_hex(20)

WORLD_DOMAINS = [
    Domain(PROVIDER, records=[Record(HOSTNAME, "A", ADDRESS)]),
    Domain(DOMAIN, mx=[f"mx1.{DOMAIN}"], ttl=1,
           records=[Record(POLICY_HOST, "CNAME", f"{HOSTNAME}.")]),
    Domain(RIVAL, mx=[f"mx1.{RIVAL}"], ttl=1),
]

WAIT = 30.0


def artifacts_dir() -> Path:
    base = Path(os.environ.get("MTASTS_ARTIFACTS", "/tmp/mtasts-artifacts")) / "console"
    base.mkdir(parents=True, exist_ok=True)
    return base


def chromium_tools() -> tuple[str, str]:
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        raise AssertionError("chromium and chromium-driver are missing: "
                             "run scripts/install-browser-deps.sh")
    return browser, driver


def text_of(driver, css: str) -> str:
    """The text of the first element `css` selects, "" when there is none (or the page replaced
    it while it was read)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


class Browser:
    """A headless chromium in the namespace; every call runs on a namespace thread."""

    def __init__(self, world) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.world = world
        browser, driver = chromium_tools()
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-default-apps"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        service = Service(driver, log_output=str(Path(world.dir) / "chromedriver.log"))
        self.driver = world.call(lambda: webdriver.Chrome(service=service, options=options),
                                 timeout=120)
        self.requests: list[str] = []
        self.console: list[dict] = []

    def do(self, fn: Callable[[Any], Any], timeout: float = 60.0) -> Any:
        return self.world.call(fn, self.driver, timeout=timeout)

    def get(self, path: str) -> None:
        self.do(lambda d: d.get(ORIGIN + path))

    def wait(self, condition: Callable[[Any], Any], what: str, timeout: float = WAIT) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return self.do(lambda d: WebDriverWait(d, timeout, poll_frequency=0.2).until(condition),
                           timeout=timeout + 30)
        except Exception as e:  # selenium's TimeoutException, with what we waited for
            shot = self.shot("failed-" + what.replace(" ", "-")[:40])
            raise AssertionError(f"waiting for {what}: {type(e).__name__}; see {shot}") from e

    def text(self, css: str) -> str:
        return self.do(lambda d: text_of(d, css))

    def visible(self, css: str) -> Callable[[Any], Any]:
        from selenium.webdriver.common.by import By

        def probe(d):
            found = d.find_elements(By.CSS_SELECTOR, css)
            return found[0] if found and found[0].is_displayed() else False
        return probe

    def click(self, css: str) -> None:
        element = self.wait(self.visible(css), css)
        self.do(lambda d: element.click())

    def type(self, css: str, text: str) -> None:
        element = self.wait(self.visible(css), css)
        self.do(lambda d: (element.clear(), element.send_keys(text)))

    def fetch(self, method: str, path: str, body: Any = None, csrf: bool = True) -> dict:
        """A request made by the page itself (its cookie goes along), with or without the
        session's CSRF token: {status, body}."""
        script = """
            const [method, path, body, csrf, done] = arguments;
            (async () => {
              const headers = {"Content-Type": "application/json"};
              if (csrf) {
                const me = await (await fetch("/v1/session")).json();
                headers["X-CSRF-Token"] = me.csrf;
              }
              const r = await fetch(path, {method, headers,
                body: body === null ? undefined : JSON.stringify(body)});
              done({status: r.status, body: await r.text()});
            })().catch((e) => done({status: 0, body: String(e)}));
        """
        return self.do(lambda d: d.execute_async_script(script, method, path, body, csrf))

    def shot(self, name: str) -> Path:
        """The whole page (not only the window) as artifacts/console/<name>.png."""
        path = artifacts_dir() / f"{name}.png"

        def capture(d):
            size = d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            shot = d.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"],
                         "height": min(size["height"], 8000), "scale": 1}})
            path.write_bytes(base64.b64decode(shot["data"]))
        self.do(capture)
        return path

    def collect_logs(self) -> None:
        for entry in self.do(lambda d: d.get_log("performance")):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
        self.console.extend(self.do(lambda d: d.get_log("browser")))

    def quit(self) -> None:
        try:
            self.collect_logs()
        finally:
            self.do(lambda d: d.quit())


def report_for(day: str, report_id: str, policy_lines: list[str]) -> dict:
    return {
        "organization-name": "Big Sender",
        "date-range": {"start-datetime": f"{day}T00:00:00Z", "end-datetime": f"{day}T23:59:59Z"},
        "contact-info": "tlsrpt@big-sender.example",
        "report-id": report_id,
        "policies": [{
            "policy": {"policy-type": "sts", "policy-domain": DOMAIN,
                       "policy-string": policy_lines, "mx-host": [f"mx1.{DOMAIN}"]},
            "summary": {"total-successful-session-count": 1234,
                        "total-failure-session-count": 7},
            "failure-details": [{"result-type": "certificate-expired",
                                 "sending-mta-ip": "192.0.2.1",
                                 "receiving-mx-hostname": f"mx1.{DOMAIN}",
                                 "failed-session-count": 7}],
        }],
    }


def post_report(world, cafile: Path, doc: dict) -> dict:
    body = gzip.compress(json.dumps(doc).encode())

    def call():
        context = ssl.create_default_context(cafile=str(cafile))
        with socket.create_connection((ADDRESS, 443), timeout=20) as raw:
            with context.wrap_socket(raw, server_hostname=POLICY_HOST) as s:
                s.sendall((f"POST /tlsrpt HTTP/1.1\r\nHost: {POLICY_HOST}\r\n"
                           "Content-Type: application/tlsrpt+gzip\r\n"
                           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
                          + body)
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        return {"status": int(head.split()[1]), "body": rest.decode(errors="replace")}

    return world.call(call, timeout=40)


@pytest.fixture(scope="module")
def host(world, mtasts_bin, pebble, trust):
    config = host_config(Path(world.dir) / "console", ADDRESS, ADMIN_PORT, HOSTNAME,
                         pebble.directory_url, world.ca_file, ca_file=str(trust),
                         monitor={"interval": 5},
                         admin={"console_listen": f"{CONSOLE_ADDRESS}:{CONSOLE_PORT}"})
    instance = HostInstance(world, mtasts_bin, "console", config)
    instance.token_path.parent.mkdir(parents=True, exist_ok=True)
    instance.token_path.write_text(
        f"operator {instance.token}\n"
        f"shop {CUSTOMER_TOKEN} customer:{DOMAIN}\n"
        f"rival {RIVAL_TOKEN} customer:{RIVAL}\n")
    instance.token_path.chmod(0o600)
    instance.start()
    status, body = instance.api("POST", "/v1/domains", {"domain": RIVAL})
    assert status == 201, body
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def browser(world, host):
    b = Browser(world)
    yield b
    b.quit()
    # No request left for another origin: everything the page loaded or called is ours.
    foreign = [u for u in b.requests if not u.startswith(ORIGIN + "/")
               and not u.startswith("data:") and not u.startswith("about:")]
    assert not foreign, foreign
    assert any(u.startswith(ORIGIN + "/console/js/") for u in b.requests), b.requests[:20]
    violations = [e for e in b.console if "Content Security Policy" in e.get("message", "")]
    assert not violations, violations


def test_the_console_listens_on_its_own_address_too(world, host):
    """admin.console_listen: the same pages and API on a second address."""
    import http.client

    def call(method: str, path: str, body: bytes = b"", headers: dict = {}) -> tuple:
        conn = http.client.HTTPConnection(CONSOLE_ADDRESS, CONSOLE_PORT, timeout=20)
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        out = resp.status, dict(resp.getheaders()), resp.read()
        conn.close()
        return out

    status, headers, body = world.call(call, "GET", "/console/", timeout=30)
    assert status == 200 and b'src="js/app.js"' in body, (status, body[:200])
    assert "default-src 'self'" in headers.get("Content-Security-Policy", ""), headers
    status, headers, body = world.call(
        call, "POST", "/v1/session", json.dumps({"token": CUSTOMER_TOKEN}).encode(),
        {"Content-Type": "application/json"}, timeout=30)
    assert status == 201, body
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, body = world.call(call, "GET", "/v1/domains", b"", {"Cookie": cookie}, timeout=30)
    assert status == 200 and [d["domain"] for d in json.loads(body)["domains"]] in ([], [DOMAIN])
    status, _, _ = world.call(call, "GET", f"/v1/domains/{RIVAL}", b"", {"Cookie": cookie},
                              timeout=30)
    assert status == 404


def sign_in(b: Browser, token: str) -> None:
    b.get("/console/")
    b.type("#token", token)
    b.click("#sign-in")
    b.wait(b.visible("#sign-out"), "the signed-in header")


def test_operator_adds_a_domain_and_watches_it_go_green(world, host, browser, trust):
    b = browser
    b.get("/")  # redirected to /console/
    b.wait(b.visible("#token"), "the sign-in form")
    b.shot("01-sign-in")
    b.type("#token", "not-the-token-0123456789")
    b.click("#sign-in")
    b.wait(lambda d: "not valid" in text_of(d, ".signin .error-text"), "the refusal")
    sign_in(b, host.token)
    b.wait(b.visible("#domain-results table"), "the domain list")
    assert RIVAL in b.text("#domain-results")
    assert "operator (operator)" in b.text("#who")

    b.get("/console/#/add")
    b.type("#new-domain", DOMAIN)
    b.click("#add-submit")
    b.wait(b.visible("#progress"), "the progress list")
    records = b.text("#add-result")
    assert f"_mta-sts.{DOMAIN}" in records and f"mx1.{DOMAIN}" in records, records
    b.shot("02-add-domain")

    # Publish what the page asked for: the TXT record (the CNAME is in the world's zone).
    status, shown = host.api("GET", f"/v1/domains/{DOMAIN}")
    assert status == 200, shown
    txt = next(r for r in shown["records"] if r["owner"] == f"_mta-sts.{DOMAIN}")
    assert txt["value"] in records
    world.dns.set_txt(f"_mta-sts.{DOMAIN}", txt["value"])
    b.wait(lambda d: "Certificate issued" in text_of(d, "#progress"), "the certificate", timeout=120)
    b.wait(lambda d: "TXT record seen" in text_of(d, "#progress"), "the TXT record seen",
           timeout=120)
    b.shot("03-add-domain-progress")


def test_a_report_posted_shows_in_the_chart_and_enforce_applies(world, host, browser, trust):
    b = browser
    day = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).strftime(
        "%Y-%m-%d")
    # What a sender that fetched the policy writes as policy-string.
    served = fetch_policy(world, ADDRESS, POLICY_HOST, trust)
    assert served.get("status") == 200, served
    lines = [line for line in served["body"].splitlines() if line.strip()]
    posted = post_report(world, trust, report_for(day, "console-" + secrets.token_hex(4), lines))
    assert posted.get("status") == 200, posted

    b.get(f"/console/#/domains/{DOMAIN}")
    b.wait(b.visible("#tlsrpt svg"), "the TLS-RPT chart")
    from selenium.webdriver.common.by import By

    def bar(series: str) -> str:
        rects = b.do(lambda d: [(r.get_attribute("data-group"), r.get_attribute("data-count"))
                                for r in d.find_elements(
                                    By.CSS_SELECTOR, f"#tlsrpt svg rect[data-series='{series}']")])
        return json.dumps(rects)
    assert json.loads(bar("success")) and [day, "1234"] in json.loads(bar("success")), bar("success")
    assert [day, "7"] in json.loads(bar("certificate-expired")), bar("certificate-expired")
    assert "certificate-expired" in b.text("#failure-table")
    assert "1234 sessions succeeded and 7 failed" in b.text("#tlsrpt-totals")
    b.shot("04-domain")

    b.click("#apply-enforce")
    b.wait(b.visible("#confirm[open]"), "the confirmation dialog")
    b.shot("05-enforce-confirm")
    b.click("#confirm-ok")
    b.wait(lambda d: "now in enforce mode" in text_of(d, "#notice"), "the enforce notice")
    status, shown = host.api("GET", f"/v1/domains/{DOMAIN}")
    assert status == 200 and shown["mode"] == "enforce", shown
    entries = host.api("GET", f"/v1/audit?domain={DOMAIN}&limit=1")[1]["entries"]
    assert entries[0]["action"] == "domain.set" and entries[0]["actor"] == "api:operator", entries

    b.get("/console/#/domains")
    b.wait(b.visible("#domain-results table"), "the domain list")
    assert DOMAIN in b.text("#domain-results") and RIVAL in b.text("#domain-results")
    b.shot("06-domains")
    b.get("/console/#/reports")
    b.wait(b.visible("#report-list table a"), "the report list")
    assert DOMAIN in b.text("#report-list")
    b.shot("07-reports")
    b.click("#report-list table a")
    b.wait(b.visible("#raw-report"), "the raw report")
    assert "Big Sender" in b.text("#raw-report")
    b.shot("08-report")
    # The Service page: this instance among the instances (its heartbeat), and the ACME account
    # registered at pebble when the certificate above was ordered.
    status, state = host.api("GET", "/v1/status")
    assert status == 200, state
    acme = state["acme"]
    assert acme["account_url"] and acme["account_url"].startswith("https://"), acme
    assert acme["created_at"] and acme["contact"] == ["mailto:hostmaster@provider.test"], acme
    status, listed = host.api("GET", "/v1/instances")
    assert status == 200, listed
    me = [i for i in listed["instances"] if i["name"] == state["instance"]]
    assert len(me) == 1 and me[0]["self"] and not me[0]["stale"], listed
    assert f"admin 127.0.0.1:{ADMIN_PORT}" in me[0]["listeners"], me
    b.get("/console/#/service")
    b.wait(b.visible("#service-state"), "the service page")
    assert "domain.set" in b.text("#main")
    b.wait(b.visible("#instances table"), "the instances table")
    instances = b.text("#instances")
    assert state["instance"] in instances and "(this one)" in instances, instances
    assert "up" in instances and "stale" not in instances.replace("is stale", ""), instances
    headers = b.do(lambda d: [th.text for th in d.find_elements(
        "css selector", "#instances th[scope=col]")])
    assert headers[:4] == ["Instance", "Version", "State", "Last seen"], headers
    account = b.text("#acme-account")
    assert acme["directory"] in account and acme["account_url"] in account, account
    assert "mailto:hostmaster@provider.test" in account, account
    assert "PRIVATE" not in b.text("#main")
    b.shot("09-service")
    # On a phone: the cards stack, the instances table keeps its first columns.
    b.do(lambda d: d.set_window_size(390, 844))
    b.get("/console/#/service")
    b.wait(b.visible("#instances table"), "the service page on a phone")
    assert b.do(lambda d: d.find_element("css selector", "#acme-account").is_displayed())
    # Each table's caption wraps within the screen (it does not scroll off with its table).
    captions = b.do(lambda d: d.execute_script(
        "return [...document.querySelectorAll('.table-caption')].map((c) => {"
        " const r = c.getBoundingClientRect();"
        " return [c.textContent, r.left, r.right, document.documentElement.clientWidth]; })"))
    assert captions, "no table caption on the service page"
    for text, left, right, width in captions:
        assert 0 <= left and right <= width, (text, left, right, width)
    b.shot("13-service-phone")
    b.do(lambda d: d.set_window_size(1280, 1000))


def test_a_change_without_the_csrf_token_is_refused(host, browser):
    b = browser
    b.get(f"/console/#/domains/{RIVAL}")
    b.wait(b.visible("#policy"), "the rival's domain page")
    refused = b.fetch("PATCH", f"/v1/domains/{RIVAL}", {"mode": "none"}, csrf=False)
    assert refused["status"] == 403, refused
    assert "CSRF" in refused["body"], refused
    assert host.api("GET", f"/v1/domains/{RIVAL}")[1]["mode"] == "testing"
    allowed = b.fetch("PATCH", f"/v1/domains/{RIVAL}", {"max_age": 86400}, csrf=True)
    assert allowed["status"] == 200, allowed


def test_sign_out_ends_the_session(host, browser):
    b = browser
    b.get("/console/#/domains")
    b.click("#sign-out")
    b.wait(b.visible("#token"), "the sign-in form after sign-out")
    assert "signed out" in b.text("#notice")
    after = b.fetch("GET", "/v1/domains", None, csrf=False)
    assert after["status"] == 401, after


def test_a_customer_sees_only_its_own_domain(host, browser):
    from selenium.webdriver.common.keys import Keys

    b = browser
    # With the keyboard only: the token field has the focus, Enter signs in.
    b.get("/console/")
    b.wait(b.visible("#token"), "the sign-in form")
    assert b.do(lambda d: d.switch_to.active_element.get_attribute("id")) == "token"
    b.do(lambda d: d.switch_to.active_element.send_keys(CUSTOMER_TOKEN + Keys.ENTER))
    b.wait(b.visible("#domain-results table"), "the customer's domain list")
    # The new page's main area has the focus (keyboard and screen reader users start there).
    assert b.do(lambda d: d.switch_to.active_element.get_attribute("id")) == "main"
    listed = b.text("#domain-results")
    assert DOMAIN in listed and RIVAL not in listed, listed
    assert "shop (customer)" in b.text("#who")
    assert not b.do(lambda d: d.find_element("css selector", "[data-nav=service]").is_displayed())
    b.shot("10-customer-domains")

    # Editing the URL: the other customer's domain is "not hosted here", like a name never added.
    b.get(f"/console/#/domains/{RIVAL}")
    b.wait(b.visible("#not-found"), "the not-found page")
    b.shot("11-customer-other-domain")
    # Making the requests itself, with the session's CSRF token: refused the same way.
    for method, path, body in [("GET", f"/v1/domains/{RIVAL}", None),
                               ("GET", f"/v1/domains/{RIVAL}/reports", None),
                               ("PATCH", f"/v1/domains/{RIVAL}", {"mode": "enforce"}),
                               ("DELETE", f"/v1/domains/{RIVAL}", None),
                               ("GET", "/v1/status", None),
                               ("GET", "/v1/instances", None)]:
        answer = b.fetch(method, path, body)
        assert answer["status"] == 404, (method, path, answer)
    # With the customer's bearer token too: the service's instances are the operators'.
    status, refused = host.api("GET", "/v1/instances", token=CUSTOMER_TOKEN)
    assert status == 404 and "instances" not in refused, refused
    status, rival = host.api("GET", f"/v1/domains/{RIVAL}")
    assert rival["mode"] == "testing" and rival["state"] == "active", rival
    listed = b.fetch("GET", "/v1/domains", None)
    assert [d["domain"] for d in json.loads(listed["body"])["domains"]] == [DOMAIN], listed
    reports = json.loads(b.fetch("GET", "/v1/reports", None)["body"])["reports"]
    assert reports and all(r["domain"] == DOMAIN for r in reports), reports

    # The narrow screen of a phone.
    b.do(lambda d: d.set_window_size(390, 844))
    b.get(f"/console/#/domains/{DOMAIN}")
    b.wait(b.visible("#tlsrpt svg"), "the domain page on a phone")
    b.shot("12-customer-domain-phone")
    b.do(lambda d: d.set_window_size(1280, 1000))
    b.click("#sign-out")
    b.wait(b.visible("#token"), "the sign-in form")

"""Alerts in a real browser (Debian's Chromium, headless, Playwright), as
tests/web/test_browser.py runs it: two agents on console pages, a member on the web chat
who is handed to a person. The assistant behind the gateway is a stand-in HTTP server
speaking Rasa's REST channel, which hands off the way the real one does (opens the
handoff, says so in a custom payload), so no trained model is needed. The browser's
Notification API is a recorder, so the test sees when permission is asked and what a
notification says. Screenshots go to tests/artifacts/."""

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot import agents, handoff
from bot.handoff import HANDOFF_OPENED
from bot.runtime import service_env
from bot.settings import get_settings
from tests.web.test_browser import (  # noqa: F401 - `browser` is a fixture
    ARTIFACTS,
    Gateway,
    bot_says,
    browser,
    no_serious_violations,
    say,
)

pytestmark = pytest.mark.slow
PASSWORD = "alerts browser password"
SUMMARY = {
    "plan": "khs",
    "language": "es",
    "member_id": "DEMO2002",
    "dob": "1975-12-02",
    "reason": "surgery_necessity",
    "reason_text": "mi doctor me quiere operar de la rodilla",
    "initial_provider": "el dr. López",
    "urgency": "routine",
}
IDENTIFYING = ("DEMO2002", "1975", "rodilla", "López", "operar")

# The browser's Notification API, recorded: how often permission was asked, what was shown.
RECORDER = """
window.__asked = 0; window.__shown = [];
function RecordedNotification(title, options) { window.__shown.push({title: title, body: (options || {}).body}); }
RecordedNotification.permission = "default";
RecordedNotification.requestPermission = function () {
  window.__asked += 1; RecordedNotification.permission = "granted"; return Promise.resolve("granted");
};
window.Notification = RecordedNotification;
"""


class HandingOffAssistant(BaseHTTPRequestHandler):
    """Rasa's REST channel, answering every message by handing the conversation off."""

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        said: list | dict = []
        if "/execute" in self.path:  # the gateway taking a conversation back: Rasa answers a tracker
            said = {"tracker": {}, "messages": []}
        elif self.path.startswith("/webhooks/rest/webhook"):
            hid = handoff.open_handoff(
                body["sender"], "web", "khs", "asked", SUMMARY, [("member", body["message"], None)]
            )
            said = [{"text": "Le comunico con una persona."}, {"custom": {HANDOFF_OPENED: hid}}]
        data = json.dumps(said).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    for username, name in (("ana.alerts", "Ana"), ("ben.alerts", "Ben")):
        with contextlib.suppress(ValueError):
            agents.create_agent(username, name, PASSWORD)
    rasa = ThreadingHTTPServer(("127.0.0.1", 0), HandingOffAssistant)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    gateway = Gateway(
        service_env(
            {
                "DATABASE_URL": get_settings().database_url,  # the one the stand-in opens handoffs in
                "RASA_URL": f"http://127.0.0.1:{rasa.server_address[1]}",
                "RASA_TOKEN": "stand-in",
                "WEB_ID_KEY": "alerts-browser-test",
                "MEMBER_SERVICES_HOURS": "always",
                "REDIS_URL": "",
            }
        )
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield gateway
    gateway.stop()
    rasa.shutdown()


def signed_in(browser, site, username, path="/console"):  # noqa: F811 - the fixture
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.add_init_script(RECORDER)
    page.goto(site.url + "/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/console")
    if path != "/console":
        page.goto(site.url + path)
    return page


def test_agents_are_alerted_when_a_member_starts_waiting_and_permission_is_asked_only_on_the_click(
    site,
    browser,  # noqa: F811 - the fixture
):
    other = handoff.open_handoff("web-alerts-browser-other", "web", "hpsj", "clinical", {}, [])
    ana = signed_in(browser, site, "ana.alerts")
    ben = signed_in(browser, site, "ben.alerts", f"/console/handoffs/{other}")  # on another conversation
    toggle = ana.get_by_role("button", name="Turn on alerts")
    toggle.wait_for()
    ana.wait_for_timeout(500)
    assert ana.evaluate("window.__asked") == 0 and ben.evaluate("window.__asked") == 0  # not on page load
    ana.screenshot(path=str(ARTIFACTS / "30-console-alerts-off.png"))
    toggle.click()
    ana.get_by_role("button", name="Turn off alerts").wait_for()
    assert ana.evaluate("window.__asked") == 1
    assert "Alerts are on" in ana.locator("#alerts-state").inner_text()
    no_serious_violations(ana)

    member = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    member.goto(site.url)
    member.click("#chat-open")
    say(member, "quiero hablar con una persona, mi doctor me quiere operar de la rodilla")
    bot_says(member, "Le comunico con una persona.")

    expected = "A member is waiting: Kern Health Systems, asked for a person"
    for page in (ana, ben):
        page.locator("#alert-list .agent-alert", has_text=expected).wait_for(timeout=20000)
        shown = page.locator("#alert-list").inner_text()
        assert not [s for s in IDENTIFYING if s.lower() in shown.lower()], shown
    ana.screenshot(path=str(ARTIFACTS / "31-console-queue-alerted.png"))
    ben.screenshot(path=str(ARTIFACTS / "32-console-conversation-alerted.png"))
    assert ana.evaluate("window.__shown") == [{"title": "Member services console", "body": expected}]
    assert ben.evaluate("window.__shown") == []  # Ben did not turn alerts on
    assert ben.evaluate("window.__asked") == 0
    no_serious_violations(ben)

    ana.reload()
    ana.locator("tr.waiting").first.wait_for()
    ben.locator("#alert-list a", has_text="Open conversation").click()
    ben.locator("#summary").wait_for()
    summary = ben.locator("#summary").inner_text()
    assert "mi doctor me quiere operar de la rodilla" in summary and "el dr. López" in summary
    assert "Asked for a person" in summary and "Kern Health Systems" in summary and "1975" not in ben.content()
    assert ben.locator("#summary dd[lang=es]").count() == 2
    ben.screenshot(path=str(ARTIFACTS / "33-console-conversation-summary.png"), full_page=True)
    no_serious_violations(ben)

    say(member, "¿hola?")  # the member writes again while waiting: the same alert, not announced again
    ben.locator("#transcript li.from-member", has_text="¿hola?").wait_for(timeout=20000)
    ana.wait_for_timeout(1000)
    assert ana.locator("#alert-list .agent-alert").count() == 0 and ana.evaluate("window.__shown") == []

"""The website chat in a real browser: Debian's Chromium, headless, driven by Playwright,
against the gateway (uvicorn) and the trained assistant. Screenshots go to
tests/artifacts/ (git-ignored)."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bot import agents
from bot.members import seed_demo_roster
from bot.runtime import service_env
from bot.store import migrate
from bot.train import ROOT
from tests import harness

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
if not AXE.exists() and os.environ.get("AXE_CORE_JS"):
    AXE = Path(os.environ["AXE_CORE_JS"])
ARTIFACTS = ROOT / "tests" / "artifacts"
AGENT, AGENT_PASSWORD = "maria.b", "browser test password"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    pytest.skip(
        "no Chromium at /usr/bin/chromium (scripts/ensure-browser installs it as root)", allow_module_level=True
    )
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


class Gateway:
    def __init__(self, env):
        self.port, self.env, self.proc = harness.free_port(), env, None
        self.url = f"http://127.0.0.1:{self.port}"
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [
                str(Path(os.sys.executable).with_name("uvicorn")),
                "bot.web.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("gateway did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def site(trained_model, tmp_path_factory):
    work = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{work / 'browser.db'}"
    migrate(url)
    seed_demo_roster(url)
    agents.create_agent(AGENT, "Maria", AGENT_PASSWORD, database_url=url)
    assistant = harness.start(work, url, extra_env={"MEMBER_SERVICES_HOURS": "always"})
    gateway = Gateway(
        service_env(
            {
                "DATABASE_URL": url,
                "RASA_URL": assistant.url,
                "RASA_TOKEN": assistant.token,
                "WEB_ID_KEY": "browser-test",
                "HANDOFF_SWEEP_SECONDS": "1",
            }
        )
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield gateway
    gateway.stop()
    assistant.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def no_serious_violations(page):
    """axe-core on the page as it is: no serious or critical violation. Nothing is checked
    where axe-core is not installed (scripts/ensure-browser installs it)."""
    if not AXE.exists():
        return
    page.evaluate(AXE.read_text())  # the page's CSP refuses an injected inline script
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad


def bot_says(page, text, timeout=60000):
    """Wait for the assistant to say `text` (exact case: Playwright's plain has_text is not)."""
    page.locator("#chat-log .msg.bot", has_text=re.compile(re.escape(text))).last.wait_for(timeout=timeout)


def say(page, text):
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")


def test_chat_by_typing_and_buttons_through_a_reload_and_a_dropped_connection(site, browser):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(site.url)
    page.screenshot(path=str(ARTIFACTS / "01-page.png"))
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the chat button, by keyboard only
    assert page.evaluate("document.activeElement.id") == "chat-open"
    page.keyboard.press("Enter")
    bot_says(page, "What would you like to do?")
    assert page.evaluate("document.activeElement.id") == "chat-input"
    page.get_by_role("button", name="Start a request").click()  # a quick reply
    bot_says(page, "What are your member ID and date of birth?")
    for text, expect in [
        ("DEMO2002", "Thanks. What is your date of birth"),
        ("12/2/1975", "You're verified"),
        ("my knee is not getting better after a year of therapy", "Who gave you the first opinion"),
    ]:
        say(page, text)
        bot_says(page, expect)
    page.screenshot(path=str(ARTIFACTS / "02-mid-conversation.png"))

    page.reload()  # the conversation survives a reload
    bot_says(page, "Who gave you the first opinion")
    assert page.locator("#chat-log .msg.me", has_text="DEMO2002").count() == 1
    for text, expect in [
        ("Dr. Lopez, orthopedic surgeon", "What did they diagnose"),
        ("more physical therapy", "About when"),
        ("last spring", "Who is asking"),
    ]:
        say(page, text)
        bot_says(page, expect)

    site.stop()  # the connection drops ...
    say(page, "me")
    page.locator("#chat-status", has_text="Reconnecting").wait_for(timeout=20000)
    site.start()  # ... and comes back: sent once, answered once
    bot_says(page, "in your plan's network, or outside")
    assert page.locator("#chat-log .msg.me", has_text="me").filter(has_text="me").count() >= 1
    assert page.locator("#chat-log .msg.bot", has_text="in your plan's network, or outside").count() == 1
    for text, expect in [("1", "provider in mind"), ("no", "serious threat"), ("no", "Reply YES")]:
        say(page, text)
        bot_says(page, expect)
    page.screenshot(path=str(ARTIFACTS / "03-read-back.png"))
    say(page, "yes")
    bot_says(page, "Your reference number is SO-")
    link_page = page.locator("#chat-log .msg.bot a")
    page.screenshot(path=str(ARTIFACTS / "04-reference.png"), full_page=True)
    assert page.locator("#chat-log .msg.bot", has_text="Your reference number is SO-").count() == 1
    assert link_page.count() == 0 or link_page.first.get_attribute("rel") == "noopener"


def test_links_render_as_links_and_text_as_text(site, browser):
    page = browser.new_context().new_page()
    page.goto(site.url)
    page.click("#chat-open")
    bot_says(page, "What would you like to do?")
    say(page, "i want to file a grievance")
    bot_says(page, "www.dmhc.ca.gov")
    link = page.locator("#chat-log a[href='https://www.dmhc.ca.gov']").first
    assert link.count() == 1
    say(page, "<b>not bold</b>")
    assert page.locator("#chat-log .msg.me b").count() == 0


def test_usable_on_a_360px_phone_and_at_200_percent_text(site, browser):
    page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto(site.url)
    page.click("#chat-open")
    bot_says(page, "What would you like to do?")
    box = page.locator("#chat-panel").bounding_box()
    assert box["width"] <= 360 and page.locator("#chat-input").is_visible()
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.locator("#chat-input").is_visible() and page.locator("button[type=submit]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "05-phone-200pct.png"))


def test_no_serious_or_critical_accessibility_violations(site, browser):
    if not AXE.exists():
        pytest.skip("axe-core not installed (scripts/ensure-browser runs npm ci)")
    page = browser.new_context().new_page()
    page.goto(site.url)
    page.click("#chat-open")
    bot_says(page, "What would you like to do?")
    no_serious_violations(page)
    assert page.locator("#chat-log[role=log][aria-live=polite]").count() == 1


# A Spanish-speaking member's answers, by words of the question they answer.
SPANISH_ANSWERS = [
    ("número de miembro y su fecha de nacimiento", "DEMO4004 30 de enero de 1950"),
    ("¿por qué quiere una segunda opinión?", "mi doctor me quiere operar de la rodilla y no creo que lo necesite"),
    ("Conteste del 1 al 5", "1"),
    ("¿Quién le dio la primera opinión?", "el dr. Lopez, ortopedista"),
    ("¿Qué tipo de doctor es", "ortopedista"),
    ("¿Qué le dijeron que tiene", "una cirugía de rodilla"),
    ("cuándo le dieron esa opinión", "hace 2 semanas"),
    ("¿Quién pide la segunda opinión?", "yo misma"),
    ("de la red de su plan, o de fuera de la red", "dentro de la red"),
    ("¿Tiene en mente a un proveedor", "no, cualquiera"),
    ("¿Corre peligro grave su vida", "no es urgente"),
]


def answer_what_is_asked(page, answers, until):
    """Answer each question the assistant asks with the answer for it, until `until` is said."""
    for _ in range(15):
        last = page.locator("#chat-log .msg.bot").last.inner_text()
        if until in last:
            return
        answer = next((a for asked, a in answers if asked in last), None)
        assert answer, f"not a question in Spanish, or not expected: {last!r}"
        before = page.locator("#chat-log .msg.bot").count()
        say(page, answer)
        page.locator("#chat-log .msg.bot").nth(before).wait_for(timeout=60000)  # the page's CSP forbids eval
        page.wait_for_timeout(300)  # the rest of the reply's messages
    raise AssertionError(f"never said {until!r}")


def test_a_spanish_speaking_member_gets_the_page_and_the_request_in_spanish(site, browser):
    """A browser set to Spanish: labels in Spanish, the whole request in Spanish through
    to a reference number, then an axe check of the page as it is."""
    page = browser.new_context(locale="es-MX", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(site.url)
    page.locator("#chat-open", has_text="Hablar por chat").click()
    assert page.evaluate("document.documentElement.lang") == "es"
    bot_says(page, "¿Qué quiere hacer?")
    say(page, "hola, necesito una segunda opinión")
    bot_says(page, "número de miembro y su fecha de nacimiento")
    answer_what_is_asked(page, SPANISH_ANSWERS, until="Conteste SÍ para mandar su solicitud")
    page.screenshot(path=str(ARTIFACTS / "06-spanish-read-back.png"))
    say(page, "sí")
    bot_says(page, "Su número de referencia es SO-")
    assert page.locator("button[type=submit]", has_text="Enviar").count() == 1
    page.screenshot(path=str(ARTIFACTS / "07-spanish-reference.png"))
    no_serious_violations(page)


def test_a_person_takes_over_and_hands_back(site, browser):
    """Two browsers: a member on the web chat and an agent on the console."""
    member = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    member.goto(site.url)
    member.click("#chat-open")
    bot_says(member, "What would you like to do?")
    say(member, "i want a second opinion, i have partnership")
    bot_says(member, "What are your member ID and date of birth?")
    say(member, "DEMO4004")
    bot_says(member, "Thanks. What is your date of birth")
    say(member, "1/30/1950")
    bot_says(member, "You're verified")
    say(member, "I want to talk to a real person")
    bot_says(member, "An agent will join this chat soon")
    member.screenshot(path=str(ARTIFACTS / "10-member-asks-for-a-person.png"))

    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    agent.goto(site.url + "/console")
    assert agent.url.endswith("/console/login")  # no session: sign in first
    agent.fill("#username", AGENT)
    agent.fill("#password", AGENT_PASSWORD)
    agent.click("button[type=submit]")
    row = agent.locator("tr.waiting", has_text="Web chat").first
    row.wait_for(timeout=20000)
    assert "Asked for a person" in row.inner_text() and "Partnership" in row.inner_text()
    agent.screenshot(path=str(ARTIFACTS / "11-agent-queue.png"))
    row.get_by_role("button").click()  # claim
    agent.locator("#summary").wait_for()
    summary = agent.locator("#summary").inner_text()
    assert "Yes: member DEMO4004" in summary and "Partnership HealthPlan of California" in summary
    assert "I want to talk to a real person" in agent.locator("#transcript").inner_text()
    assert "1/30/1950" not in agent.locator("#transcript").inner_text()  # the date of birth is hidden
    member.locator("#chat-log .msg.notice", has_text="Maria from member services has joined").wait_for(timeout=20000)

    agent.fill("#body", "Hi, I'm Maria from member services. How can I help?")
    agent.click("#reply-form button[type=submit]")
    person = member.locator("#chat-log .msg.agent", has_text="How can I help?")
    person.wait_for(timeout=20000)
    assert "Maria (a person, Member Services)" in person.inner_text()
    say(member, "My surgeon was rude and I want to be sure my request goes in.")
    agent.locator("#transcript li.from-member", has_text="My surgeon was rude").wait_for(timeout=20000)  # live
    agent.screenshot(path=str(ARTIFACTS / "12-agent-conversation.png"), full_page=True)
    member.screenshot(path=str(ARTIFACTS / "13-member-sees-the-person.png"))
    assert member.locator("#chat-log .msg.bot").filter(has_text="surgeon").count() == 0

    agent.get_by_role("button", name="Hand back to the assistant").click()
    agent.locator(".notice", has_text="Handed back").wait_for()
    bot_says(member, "You're back with the assistant")
    say(member, "does partnership need approval for an out of network second opinion?")
    bot_says(member, "Partnership policy MPUP3078")
    member.screenshot(path=str(ARTIFACTS / "14-assistant-resumes.png"))
    agent.goto(site.url + "/console")
    no_serious_violations(agent)

"""The supervisors' dashboard in a real browser (Debian's Chromium, headless, Playwright),
against the gateway (uvicorn) on its own database: the nav link, the figures, a number
opening its list, the CSV, the live refresh, a plain agent refused, and axe-core on
each page (no serious or critical violation). The assistant is not needed. Screenshots
go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot import agents
from bot.deadlines import utcnow
from bot.runtime import service_env
from bot.store import migrate, session_scope
from bot.store.models import SecondOpinionRequest
from tests import harness

pytestmark = pytest.mark.slow
browser_test = pytest.importorskip("tests.web.test_browser", reason="the browser test's set-up is not available")
ARTIFACTS = browser_test.ARTIFACTS
browser = browser_test.browser  # the fixture
no_serious_violations = browser_test.no_serious_violations
SUPERVISOR, AGENT, PASSWORD = "sofia.b", "maria.db", "dashboard browser password"
OVERDUE = ("SO-BROW-0001", "SO-BROW-0002")  # Kern Health Systems, received, deadline an hour ago


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("dashboard-browser")
    url, tracker = f"sqlite:///{work / 'records.db'}", f"sqlite:///{work / 'tracker.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)  # what this test writes goes where the gateway reads
        migrate(url)
        agents.create_agent(SUPERVISOR, "Sofia (supervisor)", PASSWORD, role="supervisor")
        agents.create_agent(AGENT, "Maria", PASSWORD)
        _seed_requests()
        gateway = browser_test.Gateway(
            service_env(
                {
                    "DATABASE_URL": url,
                    "TRACKER_STORE_URL": tracker,
                    "RASA_URL": f"http://127.0.0.1:{harness.free_port()}",
                    "MEMBER_SERVICES_HOURS": "always",
                }
            )
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        yield gateway
        gateway.stop()


def _seed_requests():
    now = utcnow()
    with session_scope() as s:
        for i, ref in enumerate(OVERDUE):
            s.add(
                SecondOpinionRequest(
                    reference=ref, conversation_id=f"c-{ref}", submission_key=ref, channel="web",
                    member_id=f"DEMO100{i}", plan="khs", reason="surgery", reason_text="x", initial_provider="Dr. A",
                    initial_recommendation="surgery", requested_by="member", network="in_network",
                    urgency="routine", authorization_required=True, status="received",
                    received_at=now - timedelta(days=3), decision_due_at=now - timedelta(hours=1), language="en",
                )
            )  # fmt: skip


def sign_in(browser, site, username):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    page.goto(f"{site.url}/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/console")
    return page


def overdue_link(page):
    return page.locator("a[href='/console/dashboard/lists/requests?plan=khs&decision=overdue']")


def test_a_supervisor_reads_the_figures_and_opens_a_list(site, browser):
    page = sign_in(browser, site, SUPERVISOR)
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{site.url}/console/dashboard")
    assert overdue_link(page).inner_text() == str(len(OVERDUE))
    assert page.locator("svg[role=img] > title").count() == 5
    page.screenshot(path=str(ARTIFACTS / "dashboard-01-figures.png"), full_page=True)
    no_serious_violations(page)

    overdue_link(page).click()
    page.wait_for_url(re.compile(r"/lists/requests\?"))
    assert sorted(re.findall(r"SO-BROW-\d{4}", page.locator("table").inner_text())) == list(OVERDUE)
    page.screenshot(path=str(ARTIFACTS / "dashboard-02-list.png"), full_page=True)
    no_serious_violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Export these 2 rows")).click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Reference,Member ID") and len(lines) == 1 + len(OVERDUE)


def test_the_figures_refresh_by_themselves(site, browser):
    page = sign_in(browser, site, SUPERVISOR)
    page.goto(f"{site.url}/console/dashboard")
    assert overdue_link(page).inner_text() == str(len(OVERDUE))
    with session_scope() as s:  # a third request goes overdue while the page is open
        row = s.query(SecondOpinionRequest).filter_by(reference=OVERDUE[0]).one()
        s.add(
            SecondOpinionRequest(
                **{c.name: getattr(row, c.name) for c in row.__table__.columns if c.name != "id"}
                | {"reference": "SO-BROW-0003", "submission_key": "3", "conversation_id": "c-3"}
            )
        )
    # The page refreshes every 30 seconds and when the queue changes (the CSP forbids eval: a locator waits).
    overdue_link(page).filter(has_text=re.compile(r"^3$")).wait_for(timeout=45000)
    page.screenshot(path=str(ARTIFACTS / "dashboard-03-refreshed.png"), full_page=True)


def test_a_plain_agent_sees_no_dashboard(site, browser):
    page = sign_in(browser, site, AGENT)
    assert page.get_by_role("link", name="Dashboard").count() == 0
    response = page.goto(f"{site.url}/console/dashboard")
    assert response.status == 403 and "supervisors" in page.content()
    page.screenshot(path=str(ARTIFACTS / "dashboard-04-refused.png"))

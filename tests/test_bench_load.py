"""The load benchmark's pure parts (bot/bench_load.py): percentiles, the printed table
and targets, the scripted conversations, the SMS signature and TwiML reading. No
server is started and nothing is timed."""

from __future__ import annotations

import os

import pytest

from bot import bench_load as b
from bot.members import dob_in, find_member_id, gives_identity, parse_dob
from bot.settings import ROOT


def test_percentiles_interpolate_between_ranks():
    values = [40, 10, 30, 20]  # unsorted on purpose
    assert b.percentile(values, 0) == 10
    assert b.percentile(values, 50) == 25
    assert b.percentile(values, 100) == 40
    assert b.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert b.percentile([7.0], 99) == 7.0
    assert b.percentile([], 50) != b.percentile([], 50)  # NaN: nothing measured


def _scenarios():
    floor = b.Scenario(
        "floor: sequential REST", 2, [100, 100, 100, 200], [], 2.0, cpu_s={"floor rasa": 0.4, b.LOAD_GENERATOR: 0.02}
    )
    product = b.Scenario(
        "product: sequential REST",
        2,
        [100, 150, 200, 300],
        ["turn 3: no reply"],
        4.0,
        "floor: sequential REST",
        {"rasa": 0.8, "action server": 0.4, "gateway": 0.0},
    )
    return floor, product


def test_table_gives_ratios_to_the_floor_and_cpu_per_turn():
    floor, product = _scenarios()
    printed = b.table([floor, product], ["rasa", "action server", "gateway", "floor rasa", b.LOAD_GENERATOR])
    row = next(line for line in printed.splitlines() if line.startswith("product: sequential REST"))
    # p95 285 ms against the floor's 185 ms; 1 turn/s against 2
    assert "285" in row and "1.54x" in row and "0.50x" in row and " 1 " in row
    assert "(floor)" in next(line for line in printed.splitlines() if line.startswith("floor: sequential REST"))
    cpu_rows = printed.split("CPU seconds per turn")[1].splitlines()
    product_cpu = next(line for line in cpu_rows if line.startswith("product: sequential REST")).split()
    # rasa 0.8/4, action server 0.4/4, gateway 0, floor rasa not measured, generator not measured, total 0.3
    assert product_cpu[-6:] == ["0.200", "0.100", "0.000", "-", "-", "0.300"]


def test_verdict_reads_the_issue_targets():
    floor, product = _scenarios()
    said = b.verdict([floor, product])
    assert any("MISSED" in line and "1.54x" in line for line in said)
    assert any("MISSED" in line and "errors: 1" in line for line in said)
    fast = b.Scenario("product: sequential REST", 2, [100, 100, 100, 200], [], 2.0, "floor: sequential REST")
    assert all("[met]" in line for line in b.verdict([floor, fast]))


def test_the_product_conversation_is_the_readme_request_with_a_member_of_its_own():
    members = b.bench_members(40, b.roster_plans())
    assert len({m.member_id for m in members}) == 40
    assert {m.plan for m in members} == set(b.roster_plans())
    script = b.product_script(members[6])
    assert len(script) == 11 and script[0] == "hi" and script[-1] == "yes"
    identity = script[3]
    assert gives_identity(identity)  # member ID and date of birth in one message
    assert find_member_id(identity.replace(dob_in(identity), " ")) == members[6].member_id
    assert parse_dob(dob_in(identity)) == members[6].dob
    assert all(m.dob.day > 12 for m in members)  # no date of birth reads two ways
    readme = (ROOT / "README.md").read_text()
    assert all(f'say "{line}"' in readme for line in script if line != identity)


def test_the_floor_conversation_has_the_same_length_and_the_end_checks():
    assert len(b.FLOOR_SCRIPT) == len(b.product_script(b.bench_members(1, ["khs"])[0]))
    assert b.product_done(["Thank you.", "Your reference number is SO-AB12-CD34."])
    assert not b.product_done(["Is this urgent?"]) and not b.product_done([])
    assert b.floor_done(["Bye"]) and not b.floor_done([])


def test_sms_requests_are_signed_as_twilio_signs_and_twiml_is_read():
    from twilio.request_validator import RequestValidator

    params = {"MessageSid": "SM1", "From": "+15557000001", "Body": "hi"}
    signature = b.sign_sms("token", "https://example.org/", params)
    assert RequestValidator("token").validate("https://example.org" + b.SMS_PATH, params, signature)
    twiml = "<?xml version='1.0'?><Response><Message>one</Message><Message>two</Message></Response>"
    assert b.twiml_texts(twiml) == ["one", "two"] and b.twiml_texts("") == []


def test_cpu_seconds_are_read_from_proc():
    assert b.cpu_seconds(os.getpid()) > 0
    assert b.cpu_seconds(2**22 + 12345) is None  # beyond pid_max: no such process


def test_turns_are_grouped_by_their_place_in_the_conversation():
    done = b.ConversationResult([10, 20, 30])
    cut_short = b.ConversationResult([30, 40], ["turn 3: ReadTimeout"])
    grouped = b.by_turn([done, cut_short])
    assert grouped == [[10, 30], [20, 40], [30]]
    assert len(b.PRODUCT_TURNS) == len(b.product_script(b.bench_members(1, ["khs"])[0]))
    web = b.Scenario("product: at once web chat", 2, [10, 20, 30, 30, 40], [], 1.0, by_turn=grouped)
    printed = b.turn_table([web], ["greeting", "rights question", "asks for one", "never reached"])
    assert "at once web chat" in printed.splitlines()[0]
    assert printed.splitlines()[2].split()[-1] == "20" and printed.splitlines()[-1].split()[-1] == "-"

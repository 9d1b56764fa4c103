"""The safety check on the project's own held-out sets (tests/safety/*.yml): written
as members write, never used to build the lexicon or to train anything."""

from pathlib import Path

import pytest
import yaml

from bot import safety
from bot.safety.evaluate import DEV_SET, ROOT, evaluate, load_held_out, print_report

CRISIS, ORDINARY = load_held_out()


def test_the_held_out_sets_are_big_enough_and_in_both_languages():
    assert len(CRISIS) >= 150 and sum(c["lang"] == "es" for c in CRISIS) >= 50
    assert {c["category"] for c in CRISIS} == set(safety.CATEGORIES)
    assert len(ORDINARY) >= 500 and sum(bool(o["alarming"]) for o in ORDINARY) >= 100


def test_every_crisis_is_found_in_english_and_spanish_and_few_ordinary_messages_alarm(capsys):
    report = evaluate(CRISIS, ORDINARY)
    print_report(report, "held-out sets")
    out = capsys.readouterr().out
    assert report.recall_for("en") == 1.0 and report.recall_for("es") == 1.0, out
    assert report.false_alarm_rate <= 0.01, out


@pytest.mark.parametrize("item", [c for c in CRISIS if c["lang"] == "es"][:20], ids=lambda c: c["text"][:30])
def test_a_spanish_crisis_is_answered_in_spanish(item):
    assert safety.check(item["text"]).lang == "es"


def _trained_on():
    """Every text the assistant or the safety check learns from or is built of."""
    texts = set()
    for path in (ROOT / "data").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []) or []:
            for line in str(block.get("examples", "")).splitlines():
                texts.add(line.lstrip("- ").strip())
    for path in [DEV_SET, *sorted(Path(safety.__file__).parent.glob("corpus_*.yml"))]:
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            texts |= {item["text"] for part in data.values() for item in part}
    return {safety.normalise(t) for t in texts}


def test_no_held_out_message_is_in_the_training_data_or_the_lexicon():
    trained = _trained_on()
    lexicon = safety.LEXICON_PATH.read_text(encoding="utf-8").lower()
    for item in CRISIS + ORDINARY:
        norm = safety.normalise(item["text"])
        assert norm not in trained, f"held-out message in training data: {item['text']!r}"
        if len(norm.split()) >= 4:  # a whole message, not a stock phrase a pattern names
            assert item["text"].lower() not in lexicon and norm not in lexicon, item["text"]

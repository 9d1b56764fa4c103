"""No fact may drift from its source: every quote in policies_kb/ must appear in the
seed file it names (whitespace-insensitive)."""

import re

import pytest

from bot.policy import SEEDS_DIR, SHARED_SEEDS_DIR, kb


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _seed(name: str) -> str:
    path = SEEDS_DIR / name
    if not path.exists():
        pytest.fail(f"seed {path} is missing: the policies cannot be checked")
    return _norm(path.read_text(encoding="utf-8"))


QUOTES = list(kb().all_quotes())


def test_every_policy_and_plan_is_loaded():
    assert set(kb().plans) == {"khs", "hpsj", "mvhp", "partnership", "health_net"}
    assert len(QUOTES) > 60


@pytest.mark.parametrize("source_file,quote,where", QUOTES, ids=[q[2] for q in QUOTES])
def test_quote_appears_in_its_seed(source_file, quote, where):
    assert _norm(quote) in _seed(source_file), f"{where}: quote not found in {source_file}"


def test_a_quote_that_is_not_in_the_seed_is_caught():
    assert _norm("KHS requires no authorization for second opinions") not in _seed("000_14cdcfe36f226927.txt")


def test_non_silent_answers_carry_a_citation_and_silent_ones_say_so():
    for plan in kb().plans:
        for topic in (
            "situations",
            "who_can_request",
            "authorization",
            "cost",
            "timeline",
            "who_gives",
            "report",
            "disagree",
            "refused",
            "transportation",
        ):
            ans = kb().answer(plan, topic)
            if ans.silent:
                assert ans.citation is None
                assert "does not" in ans.text, (plan, topic)
            else:
                assert ans.citation and ans.citation.section and ans.citation.quote


def test_the_copied_sources_are_the_shared_seeds():
    if not SHARED_SEEDS_DIR.is_dir():
        pytest.skip(f"no shared seeds at {SHARED_SEEDS_DIR} to compare the copy in {SEEDS_DIR} with")
    shared = sorted(p.name for p in SHARED_SEEDS_DIR.glob("*.txt"))
    assert shared == sorted(p.name for p in SEEDS_DIR.glob("*.txt"))
    for name in shared:
        assert (SEEDS_DIR / name).read_bytes() == (SHARED_SEEDS_DIR / name).read_bytes(), name

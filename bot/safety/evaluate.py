"""How well the safety check does on a crisis set and an ordinary set: recall and
false alarms by category and language, and every miss and false alarm listed.

    python -m bot.safety.evaluate                  # the held-out sets in tests/safety/
    python -m bot.safety.evaluate --dev            # the development set beside the lexicon
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot import safety

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = ROOT / "tests" / "safety"
DEV_SET = Path(__file__).with_name("dev_set.yml")


@dataclass
class Report:
    crisis_total: Counter[tuple[str, str]] = field(default_factory=Counter)  # (category, lang) -> n
    crisis_found: Counter[tuple[str, str]] = field(default_factory=Counter)
    right_category: int = 0
    right_language: int = 0
    ordinary_total: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (lang, alarming) -> n
    false_alarms: Counter[tuple[str, bool]] = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    alarms: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return sum(self.crisis_found.values()) / max(1, sum(self.crisis_total.values()))

    @property
    def false_alarm_rate(self) -> float:
        return sum(self.false_alarms.values()) / max(1, sum(self.ordinary_total.values()))

    def recall_for(self, lang: str) -> float:
        total = sum(n for (c, lg), n in self.crisis_total.items() if lg == lang)
        found = sum(n for (c, lg), n in self.crisis_found.items() if lg == lang)
        return found / max(1, total)


def load_held_out() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every held-out set in tests/safety/ (heldout_*.yml, heldout2_*.yml, ...)."""

    def read(kind: str) -> list[dict[str, Any]]:
        return [
            item
            for path in sorted(HELD_OUT.glob(f"heldout*_{kind}.yml"))
            for item in yaml.safe_load(path.read_text(encoding="utf-8"))
        ]

    return read("crisis"), read("ordinary")


def load_dev() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    data = yaml.safe_load(DEV_SET.read_text(encoding="utf-8"))
    return data["crisis"], data["ordinary"]


def evaluate(crisis: list[dict[str, Any]], ordinary: list[dict[str, Any]]) -> Report:
    report = Report()
    for item in crisis:
        key = (item["category"], item["lang"])
        report.crisis_total[key] += 1
        found = safety.check(item["text"])
        if found:
            report.crisis_found[key] += 1
            report.right_category += found.category == item["category"]
            report.right_language += found.lang == item["lang"]
        else:
            report.misses.append((item["category"], item["lang"], item["text"]))
    for item in ordinary:
        key = (item["lang"], bool(item.get("alarming")))
        report.ordinary_total[key] += 1
        found = safety.check(item["text"])
        if found:
            report.false_alarms[key] += 1
            report.alarms.append((found.entry, item["lang"], item["text"]))
    return report


def print_report(report: Report, title: str, out: TextIO = sys.stdout) -> None:
    w = out.write
    w(f"\n== Safety check: {title} ==\n")
    w(f"{'category':<10} {'lang':<5} {'found':>6} {'of':>4} {'recall':>8}\n")
    for (category, lang), total in sorted(report.crisis_total.items()):
        found = report.crisis_found[(category, lang)]
        w(f"{category:<10} {lang:<5} {found:>6} {total:>4} {found / total:>8.1%}\n")
    w(
        f"recall: {report.recall:.1%} (en {report.recall_for('en'):.1%}, es {report.recall_for('es'):.1%}); "
        f"right category: {report.right_category}/{sum(report.crisis_found.values())}; "
        f"answered in the message's language: {report.right_language}/{sum(report.crisis_found.values())}\n"
    )
    w(f"{'ordinary':<10} {'lang':<5} {'alarms':>6} {'of':>4} {'rate':>8}\n")
    for (lang, alarming), total in sorted(report.ordinary_total.items()):
        n = report.false_alarms[(lang, alarming)]
        label = "alarming" if alarming else "plain"
        w(f"{label:<10} {lang:<5} {n:>6} {total:>4} {n / total:>8.1%}\n")
    w(f"false alarms: {report.false_alarm_rate:.2%} of {sum(report.ordinary_total.values())}\n")
    for category, lang, text in report.misses:
        w(f"  MISSED [{category}/{lang}] {text}\n")
    for entry, lang, text in report.alarms:
        w(f"  FALSE ALARM [{entry}/{lang}] {text}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", action="store_true", help="the development set instead of the held-out sets")
    args = parser.parse_args(argv)
    crisis, ordinary = load_dev() if args.dev else load_held_out()
    report = evaluate(crisis, ordinary)
    print_report(report, "development set" if args.dev else "held-out sets (tests/safety/)")
    ok = report.recall == 1.0 and report.false_alarm_rate <= 0.01
    print("targets (100% recall, at most 1% false alarms):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

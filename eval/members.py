"""The member simulator: simulated members ask the real assistant for a second opinion
(REST and SMS through the gateway), each request is read back through the
member-services API and checked against the member's truth.

    python -m eval.members [--members N] [--spanish N] [--seed S] [--channel rest|sms|both]
                           [--member I] [--no-fail]

Member i is one of the 60 combinations of plan x network x urgency x who asks (i % 60);
by default each combination once on each channel asked for (120 members for both), and
30 more who write in Spanish (indexes from 1000), reported separately.

Once the reference is back, each member answers whether they want a text when there is
news (yes, no, another number), then asks how the request stands (with or without the
reference); reported per language: the consent stored on the request right, the status
answered with the reference and "received" in the member's language. A failure there is
the conversation's problem, shown on the member's line and in a failed-* transcript.

Prints one line per member (no member data), then the report. Transcripts of every
failure, crisis drop and needless safety answer go to eval/transcripts/ (git-ignored).
Exits non-zero below target unless --no-fail: 98% of members with every field right, median turns 12 or fewer, and every
crisis message answered with 988/911 first (the consent and status figures are reported,
not yet targets)."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from eval.check import FIELDS, wrong_fields
from eval.conversation import Conversation
from eval.personas import COMBINATIONS, Persona, make_persona, make_personas

TRANSCRIPTS = Path(__file__).resolve().parent / "transcripts"
TARGET_RIGHT, TARGET_MEDIAN_TURNS = 0.98, 12
# After the reference: the text question answered and recorded right, the status heard at the first ask.
TARGET_AFTER = 0.95


@dataclass
class Result:
    persona: Persona
    talk: Conversation
    record: dict | None = None
    wrong: dict[str, str] = field(default_factory=dict)
    consent: dict | None = None  # notify_by_text, notify_phone, notify_answered_at as stored
    consent_wrong: str | None = None

    @property
    def all_right(self) -> bool:
        """The request: opened with every field right, a crisis answered first."""
        return self.record is not None and not self.wrong and self.talk.crisis_first is not False

    @property
    def consent_right(self) -> bool:
        return self.consent is not None and self.consent_wrong is None

    @property
    def status_right(self) -> bool:
        return self.talk.status_ok is True

    @property
    def failed(self) -> bool:
        """Anything wrong: the request, or what came after it."""
        return not self.all_right or self.talk.problem is not None

    def outcome(self) -> str:
        if self.record is None:
            return f"not opened: {self.talk.problem}"
        if self.wrong:
            said = "wrong " + ", ".join(self.wrong)
        else:
            said = "crisis not answered first" if self.talk.crisis_first is False else "right"
        return f"{said}; then: {self.talk.problem}" if self.talk.problem else said


def simulate(world, persona: Persona, seed: int) -> Result:
    result = Result(persona, Conversation(persona, random.Random(f"{seed}/talk/{persona.index}")))
    try:
        result.talk.run(world.sender(persona))
        if result.talk.reference:
            result.record = world.request(result.talk.reference)
            result.wrong = wrong_fields(persona, result.record)
            result.talk.follow_up(world.sender(persona))
            result.consent = world.consent(result.talk.reference)
            result.consent_wrong = result.talk.consent_wrong(result.consent)
            if result.consent_wrong:
                result.talk.fail(f"consent stored wrong: {result.consent_wrong}")
    except Exception as e:  # noqa: BLE001 (reported, the others go on)
        result.talk.fail(f"error {type(e).__name__}")
    world.unlock(persona.member_id)
    return result


def simulate_all(personas: list[Persona], seed: int, workdir: Path, quiet: bool = False) -> list[Result]:
    from eval.world import running

    results = []
    with running(workdir) as world:
        for persona in personas:
            results.append(simulate(world, persona, seed))
            if not quiet:
                r = results[-1]
                print(
                    f"member {persona.index:3d} ({persona.channel}): {r.outcome()}, {r.talk.request_turns} turns",
                    flush=True,
                )
    return results


def report(results: list[Result], seed: int, replay: str) -> tuple[str, bool]:
    """The figures for every language the members wrote in, each against the targets."""
    channels = Counter(r.persona.channel for r in results)
    failed = sum(r.failed for r in results)
    lines = [
        f"Member simulator, seed {seed}: {len(results)} members "
        f"({', '.join(f'{n} {c.upper()}' for c, n in sorted(channels.items()))})"
    ]
    met = True
    for lang in sorted({r.persona.lang for r in results}):
        block, block_met = figures([r for r in results if r.persona.lang == lang])
        lines += [f"-- members writing in {LANGUAGE_NAMES.get(lang, lang)}"] + block
        met = met and block_met
    lines += [
        f"Transcripts of the {failed} failures (failed-*), the crisis drops and the needless "
        f"safety answers: {TRANSCRIPTS}/",
        f"Seed {seed}; replay: {replay}",
        "TARGET MET" if met else "BELOW TARGET",
    ]
    return "\n".join(lines), met


LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


def figures(results: list[Result]) -> tuple[list[str], bool]:
    opened = [r for r in results if r.record is not None]
    right = sum(r.all_right for r in results)
    turns = [r.talk.request_turns for r in opened]
    median = statistics.median(turns) if turns else float("inf")
    errors = Counter(f for r in opened for f in r.wrong)
    problems = Counter(r.talk.problem for r in results if r.record is None)
    drops = [r.talk.crisis_first for r in results if r.talk.crisis_first is not None]
    share = right / len(results) if results else 0.0
    consent_share = sum(r.consent_right for r in opened) / len(opened) if opened else 0.0
    status_share = sum(r.status_right for r in opened) / len(opened) if opened else 0.0
    met = (
        share >= TARGET_RIGHT
        and median <= TARGET_MEDIAN_TURNS
        and all(drops)
        and min(consent_share, status_share) >= TARGET_AFTER
    )
    alarms = Counter(message for r in results for message in r.talk.false_alarms)
    unclear = sum(r.talk.notify_unclear > 0 for r in opened)
    second = sum(r.talk.status_second_try is True for r in opened)
    reverified = sum(r.talk.reverified for r in opened)
    return [
        f"Completed with every field right: {right}/{len(results)} ({share:.1%})   target >= {TARGET_RIGHT:.0%}",
        f"Requests opened: {len(opened)}/{len(results)}"
        + (f"; not opened: {', '.join(f'{n} {p}' for p, n in problems.most_common())}" if problems else ""),
        f"Turns (member messages) per opened request: median {median:g}, max {max(turns, default=0)}   "
        f"target median <= {TARGET_MEDIAN_TURNS}",
        "Field errors: " + ", ".join(f"{f} {errors[f]}" for f in FIELDS),
        f"Crisis messages answered with 988/911 first: {sum(drops)}/{len(drops)}",
        f"Safety answers to messages with no crisis: {sum(alarms.values())}"
        + "".join(f"\n  {n} x {message!r}" for message, n in alarms.most_common()),
        f"After the reference, consent to a text recorded right: {sum(r.consent_right for r in opened)}/{len(opened)}"
        + (f"; {unclear} answer(s) not understood at first" if unclear else "")
        + f"   ({consent_mix(opened)})   target >= {TARGET_AFTER:.0%}",
        f"After the reference, status answered (reference, received): {sum(r.status_right for r in opened)}/"
        f"{len(opened)}"
        + (f"; {second} only when asked again in other words" if second else "")
        + (f"; {reverified} asked to verify again" if reverified else "")
        + f"   ({sum(r.persona.status_with_reference for r in opened)} asked with the reference)"
        + f"   target >= {TARGET_AFTER:.0%}",
    ], met


def consent_mix(results: list[Result]) -> str:
    said = Counter(r.persona.notify for r in results)
    return ", ".join(f"{said[k]} said {k}" for k in ("yes", "no", "number"))


def transcript(r: Result, seed: int) -> str:
    p, talk = r.persona, r.talk
    head = [
        f"Member {p.index} by {p.channel.upper()}, seed {seed}: {r.outcome()}",
        f"Replay: python -m eval.members --seed {seed} --member {p.index} --channel {p.channel}",
        "Truth: " + json.dumps(p.truth(), default=str),
        f"Member ID {p.member_id}; opener {p.opener}; date said as {p.when.kind}"
        + (f" ({p.when.said!r})" if p.when.said else "")
        + (f"; planned correction: {p.correction}" if p.correction else "")
        + (f"; crisis message at question {p.crisis_at}" if p.crisis_at else ""),
    ]
    head += [f"WRONG {f}: {why}" for f, why in r.wrong.items()]
    if talk.false_alarms:
        head.append(f"Safety answers to messages with no crisis: {len(talk.false_alarms)}")
    if talk.crisis_first is False:
        head.append("WRONG: the crisis message was not answered with 988/911 first")
    if r.record is not None:
        head.append(
            f"After the reference: notify {p.notify}"
            + (f" (other number {p.other_phone})" if p.notify == "number" else "")
            + f"; status asked {'with' if p.status_with_reference else 'without'} the reference"
        )
    if talk.problem and r.record is not None:
        head += [f"WRONG: {problem}" for problem in talk.problems]
    if r.record is not None:
        head.append("Read back: " + json.dumps(r.record, default=str))
    if r.consent is not None:
        head.append("Consent stored: " + json.dumps(r.consent, default=str))
    body = [f"{who}: {line}" for who, line in talk.lines]
    if talk.reference_at is not None and talk.reference_at < len(talk.lines):
        body.insert(talk.reference_at, "-- after the reference " + "-" * 49)
    return "\n".join(head + ["-" * 72] + body) + "\n"


def save_transcripts(results: list[Result], seed: int) -> None:
    TRANSCRIPTS.mkdir(exist_ok=True)
    for old in TRANSCRIPTS.glob("*.txt"):
        old.unlink()
    for r in results:
        kind = (
            "failed"
            if r.failed
            else "crisis"
            if r.talk.crisis_first
            else "needless-safety"
            if r.talk.false_alarms
            else None
        )
        if kind:  # failures, then the ones worth reading: a crisis mid-request, a needless 988/911
            name = f"{kind}-seed{seed}-member{r.persona.index:03d}-{r.persona.channel}.txt"
            (TRANSCRIPTS / name).write_text(transcript(r, seed), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.members", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--members", type=int, default=None, help=f"default: the {COMBINATIONS} combinations on each channel asked for"
    )
    parser.add_argument("--seed", type=int, default=None, help="printed; the same seed replays the same members")
    parser.add_argument("--channel", choices=("rest", "sms", "both"), default="both")
    parser.add_argument(
        "--spanish",
        type=int,
        default=COMBINATIONS // 2,
        help="members who write in Spanish, besides the others (default: %(default)s)",
    )
    parser.add_argument("--member", type=int, default=None, help="replay only this member (its index)")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even below target")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    count = args.members if args.members is not None else COMBINATIONS * (2 if args.channel == "both" else 1)
    replay = f"python -m eval.members --members {count} --spanish {args.spanish} --seed {seed} --channel {args.channel}"
    print(f"Member simulator, seed {seed}", flush=True)
    personas = (
        [make_persona(args.member, seed, args.channel)]
        if args.member is not None
        else make_personas(count, seed, args.channel, args.spanish)
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="so-eval-") as work:
        results = simulate_all(personas, seed, Path(work))
    save_transcripts(results, seed)
    text, met = report(results, seed, replay)
    print(f"\n{text}\n({time.monotonic() - started:.0f} s)")
    return 0 if met or args.no_fail else 1


if __name__ == "__main__":
    sys.exit(main())

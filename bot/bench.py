"""`make bench`: figures for the hot paths of a conversation turn. Prints numbers;
passes or fails nothing (a slow machine is not a bug)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bot.runtime import service_env


def _timeit(label: str, fn: Callable[[], object], n: int) -> None:
    fn()  # warm up (caches, spaCy pipeline, engine)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{label:<48} n={n:<5} median {statistics.median(samples):8.3f} ms   p95 {p95:8.3f} ms")


def main() -> None:
    """Measure in a process of its own, whose DATABASE_URL is a throwaway SQLite file."""
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    subprocess.run([sys.executable, "-m", "bot.bench", "--measure"], env=service_env({"DATABASE_URL": url}), check=True)


def measure() -> None:
    # Imported here: the process that only starts the measuring one need not load them.
    from bot import handoff, nlp, safety
    from bot.policy import kb
    from bot.second_opinions import RequestDraft, open_request
    from bot.store import migrate

    migrate()

    message = "my doctor wants to do knee surgery and i dont think i need it, im with kern family, dr patel"
    _timeit(
        "policy: requirement(plan, network, urgency)",
        lambda: kb().requirement("partnership", "out_of_network", "routine"),
        2000,
    )
    _timeit("policy: answer(plan, topic)", lambda: kb().answer("khs", "timeline"), 2000)
    _timeit("nlp: extract entities (spaCy EntityRuler)", lambda: nlp.extract(message), 500)
    _timeit("nlp: classify reason", lambda: nlp.classify_reason(message), 500)
    _timeit("safety check", lambda: safety.check(message), 2000)
    counter = iter(range(10**9))

    def open_one() -> None:
        draft = RequestDraft(
            plan="khs",
            reason="surgery_necessity",
            reason_text=message,
            initial_provider="Dr. Patel",
            initial_specialty="orthopedics",
            initial_recommendation="knee replacement",
            initial_date_text="last week",
            initial_date=None,
            requested_by="member",
            network="in_network",
            preferred_provider=None,
            urgency="routine",
        )
        open_request(draft, f"bench-{next(counter)}", "rest")

    _timeit("store: open a request (SQLite, one transaction)", open_one, 200)

    held = handoff.open_handoff("bench-held", "web", "khs", "asked", {}, [])
    handoff.claim(held, "bench", "Bench")
    _timeit(
        "handoff: a member message routed to the agent", lambda: handoff.add_member_message("bench-held", "hi"), 500
    )
    _timeit("handoff: queue (oldest first)", handoff.queue, 200)

    def open_and_claim() -> None:
        hid = handoff.open_handoff(f"bench-{next(counter)}", "web", "khs", "asked", {}, [("member", message, None)])
        handoff.claim(hid, "bench", "Bench")

    _timeit("handoff: open and claim (SQLite)", open_and_claim, 200)


if __name__ == "__main__":
    measure() if sys.argv[1:] == ["--measure"] else main()

"""Status workflows of the records (requests, rides, grievances): one mechanism, each
record's table of allowed moves kept with the record's module."""

from __future__ import annotations


class IllegalTransition(ValueError):
    pass


def statuses(moves: dict[str, set[str]]) -> tuple[str, ...]:
    return tuple(moves)


def check_move(moves: dict[str, set[str]], kind: str, current: str, new: str) -> None:
    """Raise IllegalTransition unless `new` may follow `current`."""
    if new not in moves:
        raise IllegalTransition(f"unknown {kind} status {new!r}")
    if new not in moves.get(current, set()):
        raise IllegalTransition(f"a {current} {kind} cannot become {new}")

"""The house rules a newcomer can rely on: modules of bot/ import each other without
cycles, and only bot/ opens database sessions (actions call bot/ for every change)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set) -> set:
    """The bot modules `path` imports (at any depth of the file), as module names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in known}
    return found


def cycles(graph: dict) -> list:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_modules_of_bot():
    files = {module_name(p): p for p in (ROOT / "bot").rglob("*.py")}
    known = set(files)
    # a package's __init__ importing its own submodules is how packages work, not a cycle
    graph = {
        m: {i for i in imports_of(p, known) if not (p.name == "__init__.py" and i.startswith(m + "."))}
        for m, p in files.items()
    }
    assert cycles(graph) == []


def test_the_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_no_database_session_is_opened_outside_bot():
    opening = re.compile(r"\b(session_scope|sessionmaker|create_engine|Session)\(")
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in (ROOT / "actions").rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if opening.search(line)
    ]
    assert offenders == []

"""The house has floors: an import only goes down, and no modules import each other in a circle.

Every ``import`` counts, also one inside a function (only ``if TYPE_CHECKING:``
blocks are left out: they do not run). The floors are the ones the
README's layout table shows; packages on the same floor are independent of one
another unless a domain package is listed as lower in ``DOMAIN_ORDER``.
"""
from __future__ import annotations

import ast
from pathlib import Path

from hotline.config import PROJECT_DIR

FLOORS = [
    ["hotline"],
    ["db"],
    ["accounts", "callbacks", "calls", "centre_config", "dispatch_suggest", "ivr", "knowledge", "kpis", "privacy",
     "queue_logic", "reports", "selfservice", "tickets", "voicemail"],     # domain
    ["agi"],
    ["web"],
    ["ops"],
]
# A domain package may use the domain packages listed for it: keep this short, and say why.
DOMAIN_USES: dict[str, set[str]] = {
    "dispatch_suggest": {"tickets"},   # its synthetic history is written through the real ticket workflow
    "centre_config": {"ivr"},          # menus are checked with ivr.menu's own loader; the no-menu switch is ivr's
    "reports": {"kpis"},               # a report prints the KPI tables, and counts over kpis' centre-time periods
    "voicemail": {"tickets", "callbacks"},  # 留言: a message becomes an intake ticket and a callback request
}

FLOOR_OF = {pkg: level for level, pkgs in enumerate(FLOORS) for pkg in pkgs}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    modules = {}
    for pkg in FLOOR_OF:
        for path in sorted((PROJECT_DIR / pkg).rglob("*.py")):
            if "migrations" not in path.parts:
                modules[_module_name(path)] = path
    return modules


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The project modules ``path`` imports (anywhere in the file), resolved to module names."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for block in ast.walk(tree):     # imports for type checkers only are no import at run time
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test):
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # "from pkg import mod" imports pkg.mod when that is a module
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target.split(".")[0] in FLOOR_OF and target != module:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _project_modules()
    return {name: _imports(path, name, set(modules)) for name, path in modules.items()}


def test_imports_only_go_down():
    upward = []
    for module, targets in _graph().items():
        pkg = module.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other == pkg or other in DOMAIN_USES.get(pkg, set()):
                continue
            if FLOOR_OF[other] >= FLOOR_OF[pkg]:
                upward.append(f"{module} → {target}")
    assert not upward, "imports that go up or sideways:\n" + "\n".join(sorted(upward))


def test_no_module_cycles():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:            # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert not cycles, "modules that import each other:\n" + "\n".join(" ↔ ".join(c) for c in cycles)


def test_every_package_says_what_it_may_import():
    missing = [pkg for pkg in FLOOR_OF if not ast.get_docstring(ast.parse(
        (PROJECT_DIR / pkg / "__init__.py").read_text(encoding="utf-8")))]
    assert not missing, f"packages without a docstring in __init__.py: {missing}"


def test_the_checker_sees_an_upward_import(tmp_path):
    """The walk itself: a lazy import inside a function is found and resolved to its module."""
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from web import streams\n    import agi.server\n")
    assert _imports(source, "db.mod", {"web", "web.streams", "agi", "agi.server"}) == {"web.streams", "agi.server"}

"""The package's folders are its layers: imports only go down, and no module imports itself
back through others (no cycles). Checked on the source, lazy imports inside functions included.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "shufflenet_cli"

# Lower rank = lower layer. A module may import from its own rank or below.
RANKS = {"": 0, "model": 1, "measure": 2, "explore": 3, "present": 4, "cli": 5}
TOP = 6  # the package's __init__ (public API re-exports) and __main__


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def rank(name: str) -> int:
    parts = name.split(".")
    if len(parts) == 1 or (len(parts) == 2 and parts[1] == "__main__"):
        return TOP
    layer = parts[1] if parts[1] in RANKS else ""
    return RANKS[layer]


def imports_of(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports (absolute names)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("shufflenet_cli"):
                continue
            for alias in node.names:  # `from . import report` imports a submodule
                sub = f"{target}.{alias.name}"
                found.add(
                    sub
                    if (PACKAGE.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                    else target
                )
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("shufflenet_cli")}
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {n: {i for i in imports_of(p) if i in modules} for n, p in modules.items()}


def test_every_module_belongs_to_a_known_layer():
    for name in graph():
        parts = name.split(".")
        if len(parts) > 2:
            assert parts[1] in RANKS, f"{name} is in a folder that is not a layer"


def test_imports_only_go_down():
    upward = [
        f"{a} imports {b}"
        for a, deps in graph().items()
        for b in deps
        if rank(b) > rank(a) and not b.startswith(a + ".")
    ]
    assert upward == []


def test_no_import_cycles():
    g = graph()
    # a package's __init__ importing its own submodules (to register them) is not a cycle
    # edge back into the package from those submodules, so drop parent-package edges.
    edges = {a: {b for b in deps if not a.startswith(b + ".")} for a, deps in g.items()}
    state, stack, cycles = {}, [], []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges[n]):
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m) :] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n)
    assert cycles == []


def test_the_checker_sees_an_upward_import(tmp_path):
    # the walk must resolve relative imports, or the two tests above could never fail
    assert "shufflenet_cli.model.spec" in imports_of(PACKAGE / "model" / "rules.py")
    assert "shufflenet_cli.present.tables" in imports_of(PACKAGE / "cli" / "options.py")
    assert rank("shufflenet_cli.cli.app") > rank("shufflenet_cli.model.cost")

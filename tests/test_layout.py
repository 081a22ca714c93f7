"""The pipeline's shape: stages talk through data and shared modules, not through each other.

Only `build` knows the order of the stages and imports them all. A stage never imports `write`
(render workers get the write sink as an argument), and the helpers every stage needs (list
URLs, the index pages, tag identity, translations, XML text) come from the shared modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

GENERATOR = Path(__file__).resolve().parents[1] / "generator"
#: The pipeline's stage modules (the incremental package counts as one).
STAGES = {"sources", "read", "reading", "assemble", "links", "plan", "render", "feeds", "sitemap", "search",
          "produce", "write", "incremental"}
#: The stage modules a stage may use besides the shared ones: each one calls the other's entry point.
ALLOWED = {
    "reading": {"read", "incremental"},  # reads with the page cache
    "plan": {"feeds", "sitemap", "search"},  # plans the feeds, makes the sitemap and the search fallback
    "produce": {"render", "incremental", "search"},  # renders, splices, runs the search indexer
}
SHARED_HELPERS = {"list_url": "site_paths", "tag_identity": "site_paths", "translations_of": "site_paths",
                  "translation_key": "site_paths", "INDEX_PAGES": "site_paths", "FIXED_PAGES": "site_paths",
                  "xml_text": "xmltext", "MANIFEST": "manifest", "read_manifest": "manifest"}


def stage_of(module: str) -> str:
    return module.split(".")[0]


def runtime_imports(path: Path) -> list[tuple[str, str]]:
    """(module below generator, imported name) of every import outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
               and getattr(block.test, "id", "") == "TYPE_CHECKING" for node in ast.walk(block)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("generator"):
            base = node.module.removeprefix("generator").lstrip(".")
            for alias in node.names:
                found.append((base, alias.name) if base else (alias.name, ""))
        elif isinstance(node, ast.Import):
            found += [(a.name.removeprefix("generator."), "") for a in node.names if a.name.startswith("generator.")]
    return found


def stage_modules() -> dict[str, Path]:
    out = {}
    for path in sorted(GENERATOR.rglob("*.py")):
        module = path.relative_to(GENERATOR).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
        if stage_of(module) in STAGES:
            out[module] = path
    return out


def test_the_stage_modules_are_all_there():
    assert {stage_of(m) for m in stage_modules()} == STAGES


def test_no_stage_imports_write_or_another_stage():
    wrong = []
    for module, path in stage_modules().items():
        own = stage_of(module)
        for target, name in runtime_imports(path):
            other = stage_of(target)
            if other in STAGES and other != own and other not in ALLOWED.get(own, set()):
                wrong.append(f"{module} imports {target}{'.' + name if name else ''}")
    assert wrong == []


def test_shared_helpers_come_from_the_shared_modules():
    wrong = []
    for path in sorted(GENERATOR.rglob("*.py")):
        for target, name in runtime_imports(path):
            home = SHARED_HELPERS.get(name)
            if home is not None and target != home and not (home == "manifest" and path.parent.name == "deploy"):
                wrong.append(f"{path.relative_to(GENERATOR)} imports {name} from {target}")
    assert wrong == []


def test_render_workers_get_the_write_sink_as_an_argument():
    # Neither the renderer nor the pass that runs it knows the writer: the sink is a parameter.
    for module in ("render", "produce"):
        assert all(stage_of(t) != "write" for t, _ in runtime_imports(GENERATOR / f"{module}.py"))
    source = (GENERATOR / "produce.py").read_text(encoding="utf-8")
    assert "sink: Sink | None" in source


def test_build_lists_the_stages_and_little_else():
    lines = (GENERATOR / "build.py").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines if line.strip() and not line.lstrip().startswith(("#", '"""'))]
    assert len(body) <= 80
    tree = ast.parse("\n".join(lines))
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert functions == ["build", "_build"]
    # `_build` reads as the list of stages: each timed block is one stage, in pipeline order.
    timed = [call.args[0].value for call in sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)),
                                                   key=lambda n: n.lineno)
             if getattr(call.func, "id", "") == "timer" and call.args and isinstance(call.args[0], ast.Constant)]
    assert timed == ["discover", "text edits", "read+markdown", "assemble", "check links", "images", "templates",
                     "plan+sitemap+search index", "check claims", "render", "decide", "render+write", "save"]

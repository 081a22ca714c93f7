"""Import every real dump in shared/samples and compare each field with its hand-checked JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from generator.config import parse_config
from generator.importer import run_import

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
NAMES = sorted(p.stem for p in SAMPLES.glob("*.txt")) if SAMPLES.is_dir() else []

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared/samples is not present")


def _read_markdown(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n") and text.endswith("\n")
    front, body = text[4:].split("\n---\n\n", 1)
    return yaml.safe_load(front), body


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, str]]:
    site = tmp_path_factory.mktemp("site")
    config = parse_config("languages: [en, be, ru]\ndefault_language: en\n", site)
    source = site / "dumps"
    source.mkdir()
    lines = []
    for name in NAMES:
        shutil.copyfile(SAMPLES / f"{name}.txt", source / f"{name}.txt")
        # The dumps do not carry their URL; the scrape's listing does, given as urls.txt.
        url = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))["source_url"]
        if url:
            lines.append(f"{name}.txt {url}")
    (source / "urls.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = run_import("dump", [source], config)
    assert report.skipped == [] and report.conflicts == []
    assert report.warnings == []
    assert len(report.written) == len(NAMES)
    by_name = {}
    for rel, ref in report.written:
        front, body = _read_markdown(site / rel)
        name = ref.removeprefix("dump:").removesuffix(".txt") if ref.startswith("dump:") else None
        if name is None:
            name = next(n for n in NAMES if n.endswith("-" + ref.rstrip("/").rsplit("/", 1)[-1]))
        by_name[name] = (front, body)
    return by_name


def test_all_eleven_samples_are_present() -> None:
    assert len(NAMES) == 11


@pytest.mark.parametrize("name", NAMES)
def test_sample_imports_exactly_as_its_ground_truth(name: str, imported: dict[str, tuple[dict, str]]) -> None:
    expected = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    front, body = imported[name]

    assert front["title"] == expected["title"]
    assert str(front["date"]) == expected["date"]
    assert front.get("updated") == expected["modified"]
    assert front["lang"] == expected["lang"]
    assert front.get("authors") == ([expected["author"]] if expected["author"] else None)
    assert front.get("publisher") == expected["publisher"]
    assert front.get("image") == expected["image"]
    assert front.get("source") == expected["source_url"]
    assert front.get("source_id") == expected["id"]
    if expected["source_url"]:
        path = "/" + expected["source_url"].split("://", 1)[1].split("/", 1)[1]
        assert front["aliases"] == [path]
        assert front["import_source"] == expected["source_url"]
    else:
        assert "aliases" not in front
        assert front["import_source"] == f"dump:{name}.txt"

    paragraphs = [" ".join(p.split()) for p in body.rstrip("\n").split("\n\n")]
    assert paragraphs == [" ".join(p.split()) for p in expected["body_paragraphs"]]

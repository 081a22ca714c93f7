"""Screenshots of the default theme at phone and desktop widths.

The test checks what a person would see at once in them: no sideways scrolling, and the sidebar
below the article on a phone but beside it on a desktop. A test run keeps the pictures in a
temporary folder; `make screenshots` sets VESTKA_SCREENSHOTS=docs/screenshots to refresh the
files the README links (tests never write into tracked files on their own).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from theme_support import REPO, build_sample, chromium

pytestmark = pytest.mark.browser

SHOTS_VARIABLE = "VESTKA_SCREENSHOTS"
PAGES = {"home": "en/index.html", "article": "en/2012/12/annual-report-2012/index.html",
         "home-be": "be/index.html", "article-be": "be/2012/12/annual-report-2012/index.html",
         "home-ru": "ru/index.html", "article-photo": "en/2020/08/okrestina-conditions/index.html"}
WIDTHS = (375, 1280)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("shots") / "output")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """docs/screenshots/ only when `make screenshots` asks for it; a temporary folder otherwise."""
    chosen = os.environ.get(SHOTS_VARIABLE)
    folder = (REPO / chosen) if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_screenshots_of_home_and_article(sample: Path, shots: Path) -> None:
    with chromium() as browser:
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 812 if width < 600 else 900}, color_scheme="light",
                                          device_scale_factor=1)
            page = context.new_page()
            for name, rel in PAGES.items():
                page.goto((sample / rel).as_uri())
                geometry = page.evaluate("""() => {
                  const box = s => { const r = document.querySelector(s).getBoundingClientRect();
                                     return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
                  return {scroll: document.documentElement.scrollWidth, main: box('main'),
                          aside: box('aside')};
                }""")
                assert geometry["scroll"] <= width, f"{rel} scrolls sideways at {width}px"
                main, aside = geometry["main"], geometry["aside"]
                if width < 600:
                    assert aside["top"] >= main["bottom"], f"sidebar not below the article at {width}px"
                else:
                    assert aside["left"] >= main["right"] and aside["top"] < main["bottom"], \
                        f"sidebar not beside the article at {width}px"
                target = shots / f"{name}-{width}.png"
                page.screenshot(path=str(target))
                data = target.read_bytes()
                assert data.startswith(PNG_MAGIC) and len(data) > 10_000, target
            context.close()

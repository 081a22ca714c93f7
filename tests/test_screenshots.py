"""Screenshots of the default theme at phone and desktop widths, saved into docs/screenshots/.

The README links these files, so every test run refreshes them from the real sample site.
The test also checks what a person would see at once in them: no sideways scrolling, and the
sidebar below the article on a phone but beside it on a desktop.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from theme_support import REPO, build_sample, chromium

pytestmark = pytest.mark.browser

SHOTS = REPO / "docs" / "screenshots"
PAGES = {"home": "en/index.html", "article": "en/2012/12/annual-report-2012/index.html"}
WIDTHS = (375, 1280)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("shots") / "output")


def test_screenshots_of_home_and_article(sample: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
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
                target = SHOTS / f"{name}-{width}.png"
                page.screenshot(path=str(target))
                data = target.read_bytes()
                assert data.startswith(PNG_MAGIC) and len(data) > 10_000, target
            context.close()

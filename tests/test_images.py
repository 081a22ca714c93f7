"""Photos: no published file carries metadata, copies never wider than the original, upright
pictures, a cache that encodes nothing twice, the same bytes every time, and the markup."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, age_files, article
from PIL import Image

from generator.build import Options, build
from generator.config import load_config
from generator.errors import ContentError

sys.path.insert(0, str(REPO / "benchmarks"))
from make_photos import AUTHOR_CANARY, GPS_CANARY, SERIAL_CANARY, exif_block, make_jpeg, make_png, xmp_packet  # noqa: E402

CANARIES = [c.encode() for c in (GPS_CANARY, AUTHOR_CANARY, SERIAL_CANARY)]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")


def make_webp(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(make_jpeg(width, height, seed=5))).save(
        buffer, "WEBP", exif=exif_block(gps=True), xmp=xmp_packet(gps=True))
    return buffer.getvalue()


def two_colour_jpeg(orientation: int) -> bytes:
    """Red on top, blue below, as seen upright; stored turned as a camera held sideways stores it."""
    upright = Image.new("RGB", (600, 400), (0, 0, 255))
    upright.paste((255, 0, 0), (0, 0, 600, 200))
    stored = {6: upright.transpose(Image.Transpose.ROTATE_90), 8: upright.transpose(Image.Transpose.ROTATE_270),
              3: upright.transpose(Image.Transpose.ROTATE_180)}.get(orientation, upright)
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=95, exif=exif_block(gps=True, orientation=orientation))
    return buffer.getvalue()


def photo_site(make_site, **extra: str | bytes) -> Path:
    return make_site({
        "content/en/2020/court.md": article(
            "Court", "2020-08-10T10:00:00+03:00",
            "Before.\n\n![The courtroom](hall.png)\n\nAfter.\n\n![Queue at the gate](queue.webp)",
            image="court.jpg", image_alt="A court building", image_caption="The court.", image_credit="Viasna"),
        "content/en/2020/court.jpg": make_jpeg(2000, 1333, seed=1),
        "content/en/2020/hall.png": make_png(700, 400, gps=True),
        "content/en/2020/queue.webp": make_webp(1200, 800),
        "content/en/2020/side.md": article("Sideways", "2020-08-11T10:00:00+03:00", "Text.", image="turned.jpg",
                                           image_alt="Red over blue"),
        "content/en/2020/turned.jpg": two_colour_jpeg(6),
        **extra,
    })


def published_images(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and ".vestka" not in str(p))


def test_published_images_carry_no_exif_xmp_iptc_comment_or_gps(make_site) -> None:
    site = photo_site(make_site)
    source = site / "content/en/2020/court.jpg"
    with Image.open(source) as original:  # the canary is really there to be removed
        assert original.getexif().get_ifd(0x8825) and "xmp" in original.info and "photoshop" in original.info
    build(load_config(site), Options())
    output = site / "output"
    images = published_images(output)
    assert len(images) > 15
    for path in images:
        with Image.open(path) as im:
            im.load()
            assert not im.getexif(), path
            for key in ("exif", "xmp", "XML:com.adobe.xmp", "photoshop", "comment", "Author", "iptc"):
                assert key not in im.info, (path, key)
    for path in output.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for canary in CANARIES:
                assert canary not in data, (path, canary)
            assert b"GPSLatitude" not in data, path


def test_orientation_is_applied_to_the_pixels_of_every_copy(make_site) -> None:
    site = photo_site(make_site)
    build(load_config(site), Options())
    made = sorted((site / "output/en/2020").glob("turned*"))
    assert len(made) >= 4
    for path in made:
        with Image.open(path) as im:
            rgb = im.convert("RGB")
            assert rgb.width > rgb.height, path
            top, bottom = rgb.getpixel((rgb.width // 2, 5)), rgb.getpixel((rgb.width // 2, rgb.height - 5))
            assert top[0] > 200 and top[2] < 60, (path, top)
            assert bottom[2] > 200 and bottom[0] < 60, (path, bottom)


def srcsets(html: str) -> list[list[tuple[str, int]]]:
    out = []
    for value in re.findall(r'\ssrcset="([^"]*)"', html):
        out.append([(url, int(w[:-1])) for url, w in (c.rsplit(" ", 1) for c in value.split(", "))])
    return out


def test_srcset_widths_are_real_and_never_above_the_original(make_site) -> None:
    site = photo_site(make_site, **{"content/en/2020/small.md": article(
        "Small", "2020-08-12", "![A small photo](tiny.jpg)"), "content/en/2020/tiny.jpg": make_jpeg(300, 200)})
    build(load_config(site), Options())
    output = site / "output"
    originals = {"court": 2000, "hall": 700, "queue": 1200, "turned": 600, "tiny": 300}
    pages = [output / "en/2020/08/court/index.html", output / "en/2020/08/side/index.html",
             output / "en/2020/08/small/index.html", output / "en/index.html"]
    seen = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for candidates in srcsets(html):
            for url, width in candidates:
                target = (page.parent / url).resolve()
                stem = re.sub(r"-\d+$", "", target.stem)
                assert width <= originals[stem], (url, width)
                with Image.open(target) as im:
                    assert im.width == width, url
                seen += 1
    assert seen > 20
    tiny = (output / "en/2020/08/small/index.html").read_text(encoding="utf-8")
    assert "tiny.jpg 300w" in tiny and "320w" not in tiny


def test_markup_picture_webp_first_sizes_lazy_except_lead(make_site) -> None:
    site = photo_site(make_site)
    build(load_config(site), Options())
    html = (site / "output/en/2020/08/court/index.html").read_text(encoding="utf-8")
    lead = re.search(r'<figure class="lead-image">(.*?)</figure>', html, re.S).group(1)
    assert '<source type="image/webp" srcset="../../../../en/2020/court-320.webp 320w' in lead
    img = re.search(r"<img [^>]*>", lead).group(0)
    assert 'width="960" height="640"' in img and 'alt="A court building"' in img
    assert 'loading="lazy"' not in img and 'decoding="async"' in img
    assert "<figcaption>The court. <span class=\"credit\">Photo: Viasna</span></figcaption>" in lead
    assert 'href="../../../../en/2020/court.jpg"' in lead  # the full-size original, by a link
    body = html.split('<div class="body">', 1)[1]
    pictures = re.findall(r"<picture>.*?</picture>", body, re.S)
    assert len(pictures) == 2
    hall, queue = pictures
    assert 'type="image/webp"' in hall and 'src="../../../../en/2020/hall.png"' in hall
    assert 'alt="The courtroom"' in hall and 'loading="lazy"' in hall and 'width="700" height="400"' in hall
    assert "<source" not in queue and "queue-320.webp 320w" in queue  # a WebP original needs no fallback
    listing = (site / "output/en/index.html").read_text(encoding="utf-8")
    thumb = re.search(r'<div class="thumb">(.*?)</div>', listing, re.S).group(1)
    assert 'alt=""' in thumb and 'loading="lazy"' in thumb and 'sizes="(min-width: 50rem) 8rem, 6rem"' in thumb


def test_second_build_encodes_nothing_and_reuses_cached_files(make_site, monkeypatch) -> None:
    site = photo_site(make_site)
    age_files(site)  # files saved just before a build are read again (their time is not trusted)
    build(load_config(site), Options())
    cache_files = {p: p.stat().st_mtime_ns for p in (site / ".vestka-cache/images").rglob("*")
                   if p.is_file() and p.name != "pages.json"}  # (what pages say of their images: one changes)
    assert len(cache_files) > 15
    saved: list[str] = []
    real_save = Image.Image.save

    def counting_save(self: Image.Image, fp: object, format: str | None = None, **params: object) -> None:
        saved.append(str(format))
        real_save(self, fp, format, **params)

    monkeypatch.setattr(Image.Image, "save", counting_save)
    path = site / "content/en/2020/court.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Before.", "Before, edited."), encoding="utf-8")
    shutil.rmtree(site / "output")  # nothing to reuse from the output: every image comes from the cache
    result = build(load_config(site), Options())
    assert saved == []
    assert {p: p.stat().st_mtime_ns for p in cache_files} == cache_files
    assert result.timings["images"] < 5
    path.write_text(path.read_text(encoding="utf-8").replace("image_credit: Viasna", "image_credit: Vyasna"),
                    encoding="utf-8")
    (site / "content/en/2020/turned.jpg").write_bytes(two_colour_jpeg(8))  # one photo changed: only it
    build(load_config(site), Options())
    assert saved and len(saved) <= 10, saved


def test_same_photos_and_settings_give_the_same_bytes(make_site) -> None:
    first = photo_site(make_site)
    second = make_site({}, folder="again")
    shutil.copytree(first / "content", second / "content")
    build(load_config(first), Options())
    build(load_config(second), Options(use_cache=False))
    a, b = published_images(first / "output"), published_images(second / "output")
    assert [p.relative_to(first / "output") for p in a] == [p.relative_to(second / "output") for p in b]
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x


def test_keep_metadata_publishes_the_original_and_warns(make_site) -> None:
    site = photo_site(make_site)
    config = site / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "images: {keep_metadata: true}\n", encoding="utf-8")
    result = build(load_config(site), Options())
    assert (site / "output/en/2020/court.jpg").read_bytes() == (site / "content/en/2020/court.jpg").read_bytes()
    assert any("PUBLISHED" in p.message and p.file == "content/en/2020/court.jpg" for p in result.problems)


def test_check_lists_images_with_gps_and_missing_alt_text(make_site) -> None:
    site = photo_site(make_site, **{"content/en/2020/bare.md": article(
        "Bare", "2020-08-13", "Text.\n\n![](queue.webp)", image="court.jpg")})
    done = subprocess.run([sys.executable, "-m", "generator", "check", "--site", str(site)], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    for name in ("court.jpg", "hall.png", "queue.webp", "turned.jpg"):
        assert f"content/en/2020/{name}: warning: carries a GPS position" in done.stderr, done.stderr
    assert "content/en/2020/bare.md:4: warning: the lead image has no alt text" in done.stderr
    assert "content/en/2020/bare.md:9: warning: the image queue.webp has no alt text" in done.stderr
    assert not (site / "output").exists() and not (site / ".vestka-cache").exists()
    with pytest.raises(ContentError) as failure:
        build(load_config(site), Options(strict=True))
    first = sorted(str(p) for p in failure.value.problems if "alt text" in p.message)
    assert len(first) == 2
    with pytest.raises(ContentError) as again:  # from what the cache kept of the pages: the same warnings
        build(load_config(site), Options(strict=True))
    assert sorted(str(p) for p in again.value.problems if "alt text" in p.message) == first
    assert (site / ".vestka-cache/images/pages.json").is_file()


def test_gif_and_svg_are_copied_as_they_are_and_shown_with_img(make_site) -> None:
    gif = io.BytesIO()
    Image.new("P", (40, 30)).save(gif, "GIF", comment=b"kept as it is")
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    site = make_site({
        "content/en/2020/a.md": article("A", "2020-08-10", "![Moving](anim.gif)", image="chart.svg",
                                        image_alt="A chart"),
        "content/en/2020/anim.gif": gif.getvalue(),
        "content/en/2020/chart.svg": svg,
    })
    build(load_config(site), Options())
    assert (site / "output/en/2020/anim.gif").read_bytes() == gif.getvalue()
    assert (site / "output/en/2020/chart.svg").read_text(encoding="utf-8") == svg
    html = (site / "output/en/2020/08/a/index.html").read_text(encoding="utf-8")
    assert "<picture" not in html and "<svg" not in html
    assert '<img src="../../../../en/2020/chart.svg" alt="A chart" decoding="async">' in html
    gif_tag = re.search(r'<img [^>]*src="../../../../en/2020/anim.gif"[^>]*>', html).group(0)
    assert 'alt="Moving"' in gif_tag and "srcset" not in gif_tag


def test_sample_archive_publishes_its_photos_without_the_gps_canary(tmp_path: Path) -> None:
    from theme_support import build_sample

    original = (REPO / "content/en/2020/okrestina.jpg").read_bytes()
    assert GPS_CANARY.encode() in original  # the sample really carries the tag
    output = build_sample(tmp_path / "output")
    assert (output / "en/2020/okrestina-640.webp").is_file()
    lead = (output / "en/2020/08/okrestina-conditions/index.html").read_text(encoding="utf-8")
    assert '<figure class="lead-image">' in lead and "okrestina-960.jpg" in lead
    for path in output.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert GPS_CANARY.encode() not in data and b"GPSLatitude" not in data, path
    for path in published_images(output):
        with Image.open(path) as im:
            assert not im.getexif().get_ifd(0x8825), path


def test_dump_importer_keeps_the_image_and_its_caption() -> None:
    from generator.importer.dump import parse_dump

    # Laid out as the scraped page dumps are: the image URL on the date line, the caption below the byline.
    sample = REPO / "tests" / "fixtures" / "import" / "dump" / "en-lead-image.txt"
    parsed = parse_dump(sample.read_text(encoding="utf-8"), sample.name)
    item = parsed.items[0]
    assert item.image == "https://example.org/files/images/sources/gomel-picket.jpg"
    assert item.extra["image_caption"] == "Ala Sidarenka"
    assert "Ala Sidarenka" not in item.body


def _scan_first_bytes(data: bytes) -> list[int]:
    """The first byte of every scan's entropy-coded data in a JPEG."""
    firsts, i = [], 2
    while data[i + 1] != 0xD9:
        length = int.from_bytes(data[i + 2:i + 4], "big")
        i += 2 + length
        if data[i - length - 1] == 0xDA:
            firsts.append(data[i])
            i = data.find(b"\xff", i + 1)  # to the next real marker
            while data[i + 1] == 0x00 or 0xD0 <= data[i + 1] <= 0xD7:
                i = data.find(b"\xff", i + 2)
    return firsts


def test_a_scan_that_begins_with_a_stuffed_byte_is_copied_whole() -> None:
    # Real progressive JPEGs (133 photos of one imported Jekyll site) have a scan whose data
    # starts with 0xFF 0x00; it was once read as a marker, and the build refused the photo.
    import random

    from generator.images import strip_metadata

    for seed in range(5000):
        rnd = random.Random(seed)
        im = Image.new("RGB", (8, 8))
        im.putdata([tuple(rnd.randrange(256) for _ in range(3)) for _ in range(64)])
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", quality=95, progressive=True, exif=exif_block(gps=True))
        data = buffer.getvalue()
        if 0xFF in _scan_first_bytes(data):
            break
    else:
        pytest.fail("no generated JPEG has a scan that begins with 0xFF; the test needs one")
    stripped = strip_metadata(data, "JPEG")
    assert GPS_CANARY.encode() not in stripped and GPS_CANARY.encode() in data
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(stripped)) as after:
        assert after.tobytes() == before.tobytes()

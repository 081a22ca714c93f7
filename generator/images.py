"""Photos: published without metadata, in a few widths, shown with <picture> and srcset.

Every JPEG, PNG and WebP under content/ is published

- as its original, with EXIF, XMP, IPTC and comments removed (a photo's GPS tag can show where a
  source lives). The bytes are filtered, not encoded again, so the original keeps its quality;
  only a photo that must be turned upright (EXIF orientation) is encoded again, because its
  orientation tag goes with the rest;
- in a few narrower copies (`images.widths`, never wider than the original), each as WebP and in
  the original's format, for `srcset`.

Each of those files is a planned job (a `Job` of kind "image") carrying an `ImageInputs` record:
every value its bytes are made from besides the original's bytes (the photo's hash, orientation
and format; the file's size, format and the copies it is resized through; its encoder's quality, the
recipe and Pillow's codecs). `make_image_files` reads those records and nothing else, and the
file's name in .vestka-cache/images/ is the record's key (`incremental.keys.record_key`), so an
unchanged photo is never encoded again and a key always names the same bytes. The images stage
makes the jobs whose key is not in the cache, before any page is rendered (a photo that cannot
be converted stops the build before anything is written), on every core: Pillow releases the
interpreter lock while it decodes, resizes and encodes, so threads suffice.

GIF and SVG are copied as they are and shown with a plain <img> (an SVG in an <img> runs no
script). Pages get the markup through `pictures_in` (bodies) and the template helpers
`picture` and `lead_image` (see docs/theme.md).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import io
import json
import os
import posixpath
import re
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator.config import Config, ImagesConfig
from generator.errors import Problem
from generator.incremental.keys import record_key
from generator.markup import resolve_link
from generator.model import ImageInputs, Job, OutputFile, Page, RenderedBody, SourceFile
from generator.parallel import workers_available

#: File endings of the photos Vestka resizes and cleans, and Pillow's name of their format.
RASTER = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
#: Images shown as they are (an animated GIF, a drawing).
AS_IS = (".gif", ".svg")
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
#: Bumped when the way copies are made changes, so that old cached copies are not reused.
_RECIPE = "1"
#: JPEG quality of an original encoded again to turn it upright: it stays the full-size file.
_FULL_QUALITY = 92
_ORIENTATION = 0x0112
_GPS_IFD = 0x8825
#: The EXIF orientations that turn a photo on its side (its width and height swap).
_SIDEWAYS = (5, 6, 7, 8)

#: Body images fill the text column (42rem in the default theme), the whole width on phones.
BODY_SIZES = "(min-width: 46rem) 42rem, calc(100vw - 2rem)"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """A photo under content/, as probed, with the jobs of the files made of it.

    What templates are shown of each file (path, width, height, format) is read from its job's
    record, the one its bytes and its key come from."""

    #: Path below content/ (and inside output/): "en/2016/court.jpg".
    rel_path: str
    #: The original carries a GPS position (EXIF or XMP).
    gps: bool
    #: The original itself (cleaned of metadata unless the site keeps it), then the copies.
    original: Job
    copies: tuple[Job, ...]
    #: The widths offered in srcset: the configured ones, none wider than the original.
    sizes: tuple[int, ...]

    @property
    def width(self) -> int:
        """Width of the upright picture (after its EXIF orientation is applied)."""
        return self.original.inputs.width

    @property
    def height(self) -> int:
        return self.original.inputs.height

    @property
    def format(self) -> str:
        return self.original.inputs.format

    @property
    def digest(self) -> str:
        """SHA-256 of the original's bytes."""
        return self.original.inputs.sha256

    def widths(self, fmt: str) -> list[Job]:
        """The files of one format, narrowest first (the original among them when it is not
        wider than the widest configured width)."""
        found = [job for job in self.copies if job.inputs.format == fmt]
        if fmt == self.format and self.width in self.sizes:
            found.append(self.original)
        return sorted(found, key=lambda job: job.inputs.width)


@dataclass(slots=True)
class Photos:
    """The photos of one build: what each is, the files to publish, and what was done."""

    settings: ImagesConfig
    #: Path below content/ -> the photo.
    images: dict[str, ImageInfo] = field(default_factory=dict)
    #: Paths below content/ of GIF and SVG files (shown as they are).
    plain: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    #: Files encoded (or cleaned) by this build; 0 when every photo came from the cache.
    encoded: int = 0
    #: Cache name -> SHA-256 of the file, for every file this build publishes (none when checking).
    made: dict[str, str] = field(default_factory=dict)
    #: The files' bytes by cache name when nothing may be written to the cache (`--no-cache`).
    blobs: dict[str, bytes] = field(default_factory=dict)
    #: The cache folder the files are copied from; None with `--no-cache`.
    folder: Path | None = None
    #: Page source -> [its digest, line of `image:`, its body images without alt text] (see `check_pages`).
    page_memo: dict[str, list[Any]] = field(default_factory=dict)
    memo_path: Path | None = None

    def handles(self, rel_path: str) -> bool:
        """Whether the content file at `rel_path` is published by this module (not copied)."""
        return rel_path in self.images

    @property
    def jobs(self) -> list[Job]:
        """The job of every file of every photo, photo by photo, each original before its copies."""
        return [job for info in self.images.values() for job in (info.original, *info.copies)]

    def files(self, jobs: Iterable[Job]) -> list[OutputFile]:
        """The output files of `jobs` as this build made them (a job whose conversion failed has
        none: its problem names the photo)."""
        out = []
        for job in jobs:
            name = cache_name(job.inputs)
            if name in self.made:
                out.append(OutputFile(job.output_path, data=self.blobs.get(name),
                                      copy_from=_cache_file(self.folder, name) if self.folder else None,
                                      digest=self.made[name], sources=(job.ref,)))
        return out

    def page_key(self, page: Page, body: RenderedBody | None) -> str:
        """What a page shows of its photos (for the render cache): their hashes and sizes."""
        refs = [_site_path(page.image, page)] if page.image else []
        if body is not None:
            refs += [link for link in body.internal_links if link.lower().endswith(tuple(RASTER))]
        keys = []
        for ref in refs:
            info = self.images.get(ref.lstrip("/")) if ref else None
            if info is not None:
                keys.append(f"{info.digest[:16]}{info.width}x{info.height}")
        return ",".join(keys)

    def template_globals(self) -> dict[str, Callable[..., Any]]:
        """The helpers templates call: `picture(...)` and `lead_image(article)` (docs/theme.md)."""
        import jinja2

        @jinja2.pass_context
        def picture(context: Any, image: Any, alt: str | None = None, sizes: str = BODY_SIZES,
                    lazy: bool = True, class_: str = "", link: bool = False) -> Markup:
            return Markup(self.picture(image, context["url"], alt=alt, sizes=sizes, lazy=lazy, css_class=class_,
                                       link=link))

        @jinja2.pass_context
        def lead_image(context: Any, article: Mapping[str, Any]) -> dict[str, Any] | None:
            return self.lead(article)

        return {"picture": picture, "lead_image": lead_image}

    def lead(self, article: Mapping[str, Any]) -> dict[str, Any] | None:
        """The lead image of an article view: src (a site path or URL), alt, caption, credit, and
        `local` (a file of the site) and `photo` (a photo with copies) flags; None without one."""
        image = article.get("image") or ""
        if not image:
            return None
        meta = article.get("meta") or {}
        remote = "://" in image or image.startswith("//")
        src = image if remote else resolve_link(image, _source_dir(article.get("source", "")))
        if not src:
            return None
        rel = src.lstrip("/").split("#")[0].split("?")[0]
        return {"src": src, "alt": _text(meta.get("image_alt")), "caption": _text(meta.get("image_caption")),
                "credit": _text(meta.get("image_credit")), "local": not remote,
                "photo": rel in self.images}

    def picture(self, image: Any, url: Callable[[str], str], *, alt: str | None = None, sizes: str = BODY_SIZES,
                lazy: bool = True, css_class: str = "", link: bool = False) -> str:
        """<picture> markup for a photo (a site path, or a `lead_image` result); a plain <img> for
        other images; "" for an image the default Content-Security-Policy would block."""
        if isinstance(image, Mapping):
            alt = image.get("alt", "") if alt is None else alt
            src = str(image.get("src", ""))
        else:
            src = str(image or "")
        alt = alt or ""
        if not src:
            return ""
        info = self.images.get(src.lstrip("/"))
        cls = f' class="{html.escape(css_class)}"' if css_class else ""
        loading = ' loading="lazy"' if lazy else ""
        if info is None:
            return (f'<img{cls} src="{html.escape(url(src))}" alt="{html.escape(alt)}"{loading}'
                    ' decoding="async">')
        markup = picture_markup(info, url, alt=alt, sizes=sizes, lazy=lazy, css_class=css_class)
        if link:
            markup = f'<a href="{html.escape(url("/" + info.original.output_path))}">{markup}</a>'
        return markup


def picture_markup(info: ImageInfo, url: Callable[[str], str], *, alt: str, sizes: str, lazy: bool,
                   css_class: str = "", extra: str = "") -> str:
    """The <picture> of one photo: WebP copies first, the original's format as the fallback."""
    fallback = info.widths(info.format)
    src = _fallback(fallback)
    parts = ["<picture>"]
    webp = info.widths("WEBP") if info.format != "WEBP" else []
    if webp:
        parts.append(f'<source type="image/webp" srcset="{_srcset(webp, url)}" sizes="{html.escape(sizes)}">')
    cls = f' class="{html.escape(css_class)}"' if css_class else ""
    parts.append(
        f'<img{cls} src="{html.escape(url("/" + src.output_path))}" srcset="{_srcset(fallback, url)}" '
        f'sizes="{html.escape(sizes)}" width="{src.inputs.width}" height="{src.inputs.height}" '
        f'alt="{html.escape(alt)}"'
        f'{extra}{" loading=" + chr(34) + "lazy" + chr(34) if lazy else ""} decoding="async">')
    parts.append("</picture>")
    return "".join(parts)


def _fallback(files: list[Job]) -> Job:
    """The file for browsers that read no srcset: the widest copy up to about a text column."""
    fitting = [job for job in files if job.inputs.width <= 1024]
    return fitting[-1] if fitting else files[0]


def _srcset(files: list[Job], url: Callable[[str], str]) -> str:
    return ", ".join(f"{html.escape(url('/' + job.output_path))} {job.inputs.width}w" for job in files)


_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')


def pictures_in(body_html: str, photos: Photos | None) -> str:
    """A body's <img> tags of local photos as <picture>s (links stay written from the site root).

    An <img> written with its own srcset, or inside a <picture> already, is left as it is.
    """
    if photos is None or not photos.images or "<img" not in body_html:
        return body_html

    def fix(match: re.Match[str]) -> str:
        tag = match.group(0)
        before = body_html[max(0, match.start() - 400): match.start()]
        if before.rfind("<picture") > before.rfind("</picture>"):
            return tag
        attrs = {name.lower(): html.unescape(value) for name, value in _ATTR.findall(tag)}
        src = attrs.get("src", "")
        if not src.startswith("/") or "srcset" in attrs:
            return tag
        info = photos.images.get(src.lstrip("/"))
        if info is None:
            return tag
        title = f' title="{html.escape(attrs["title"])}"' if attrs.get("title") else ""
        return picture_markup(info, lambda path: path, alt=attrs.get("alt", ""), sizes=BODY_SIZES,
                              lazy=True, css_class=attrs.get("class", ""), extra=title)

    return _IMG.sub(fix, body_html)


# --- planning and making the files ---------------------------------------------------------


def prepare(assets: Iterable[SourceFile], config: Config, *, encode: bool, use_cache: bool = True,
            list_gps: bool = False, progress: Callable[[str, int, int], None] | None = None) -> Photos:
    """Probe the photos among `assets`, plan the jobs of their files and, with `encode`, make
    every job whose key is not in the cache.

    `list_gps` adds a warning for each original under content/ that carries a GPS position
    (`vestka check`); a build warns about it only when the site publishes metadata.
    """
    settings = config.images
    photos = Photos(settings)
    if use_cache:
        photos.memo_path = config.cache_dir / "images" / "pages.json"
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(photos.memo_path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                photos.page_memo = loaded
    cache = _Cache(config.cache_dir / "images", enabled=use_cache)
    raster = []
    for asset in assets:
        suffix = posixpath.splitext(asset.rel_path)[1].lower()
        if suffix in RASTER:
            raster.append(asset)
        elif suffix in AS_IS:
            photos.plain.add(asset.rel_path)
    workers = max(1, workers_available())
    with ThreadPoolExecutor(workers) as pool:
        probes = list(pool.map(cache.probe, raster))
    for asset, probe in zip(raster, probes, strict=True):
        if isinstance(probe, Problem):
            photos.problems.append(probe)
            if probe.severity == "warning":
                photos.plain.add(asset.rel_path)
            continue
        photos.images[asset.rel_path] = plan_photo(asset.rel_path, probe, settings)
        if probe["gps"] and (list_gps or settings.keep_metadata):
            published = settings.keep_metadata
            photos.problems.append(Problem(
                "warning", f"content/{asset.rel_path}", None,
                "carries a GPS position" + (" that is PUBLISHED with it (images.keep_metadata is on)" if published
                                            else " (the published copies are made without it)"),
                "set images.keep_metadata to false" if published else
                "remove it from the original too if this folder is shared: the position can locate a person"))
    if encode:
        jobs = photos.jobs
        photos.problems += make_missing(jobs, {a.rel_path: a.path for a in raster}, cache, workers, progress)
        photos.encoded = cache.encoded
        if use_cache:
            cache.save({cache_name(job.inputs) for job in jobs})
            photos.folder = cache.folder
        photos.made, photos.blobs = cache.made, cache.blobs
    return photos


def make_missing(jobs: list[Job], originals: Mapping[str, Path], cache: _Cache, workers: int,
                 progress: Callable[[str, int, int], None] | None) -> list[Problem]:
    """Make the jobs whose key is not in `cache` (`originals`: each photo's file by its path below
    content/), photo by photo on `workers` threads; a problem for each photo that failed."""
    missing: dict[str, list[ImageInputs]] = {}
    for job in jobs:
        if not cache.has(cache_name(job.inputs)):
            missing.setdefault(job.inputs.source, []).append(job.inputs)
    cache.encoded = sum(map(len, missing.values()))
    done = 0
    lock = threading.Lock()

    def make(records: list[ImageInputs]) -> Problem | None:
        nonlocal done
        rel = records[0].source
        try:
            cache.make(originals[rel], records)
        except (OSError, ValueError, SyntaxError) as exc:  # Pillow raises these on damaged files
            return Problem("error", f"content/{rel}", None, f"this image could not be converted: {exc}",
                           "open and save it again with an image editor, or remove it")
        with lock:
            done += 1
            if progress is not None and done % 50 == 0:
                progress("images", done, len(missing))
        return None

    with ThreadPoolExecutor(workers) as pool:
        return [p for p in pool.map(make, missing.values()) if p is not None]


def plan_photo(rel: str, probe: Mapping[str, Any], settings: ImagesConfig) -> ImageInfo:
    """The photo at `rel` (below content/) as `probe_bytes` found it, with the job of each of its
    files: the original, and a copy per configured width (never wider) in WebP and its own format."""
    width, height, fmt = probe["width"], probe["height"], probe["format"]
    keep = settings.keep_metadata
    stem, _ = posixpath.splitext(rel)

    def job(path: str, w: int, h: int, f: str, through: tuple[tuple[int, int], ...], original: bool) -> Job:
        encoded = not original or _encoded_again(probe["orientation"], keep)
        inputs = ImageInputs(rel, probe["digest"], probe["orientation"], fmt, w, h, f, through, original,
                             keep and original, _quality(f, original, settings) if encoded else 0, _RECIPE,
                             codec_versions())
        return Job("image", "/" + path, path, f"content/{rel}", inputs=inputs)

    wanted = sorted({min(w, width) for w in settings.widths})
    sizes = {w: (w, max(1, round(height * w / width))) for w in wanted}
    copies = []
    for w in wanted:
        through = tuple(sizes[wider] for wider in reversed(wanted) if w < wider < width)
        formats = [fmt] if fmt == "WEBP" or not settings.webp else ["WEBP", fmt]
        for f in formats:
            if w == width and f == fmt:
                continue  # the original itself
            copies.append(job(f"{stem}-{w}.{_EXT[f]}", *sizes[w], f, through if w < width else (), False))
    return ImageInfo(rel, probe["gps"], job(rel, width, height, fmt, (), True), tuple(copies), tuple(wanted))


def _encoded_again(orientation: int, keep_metadata: bool) -> bool:
    """Whether the original's own file is encoded again rather than only cleaned: to turn it
    upright, when its orientation tag goes with the rest of its metadata."""
    return orientation != 1 and not keep_metadata


def _quality(fmt: str, original: bool, settings: ImagesConfig) -> int:
    if fmt == "JPEG":
        return _FULL_QUALITY if original else settings.quality
    return settings.webp_quality if fmt == "WEBP" else 0


@functools.cache
def codec_versions() -> str:
    """Pillow's version and those of its codecs: another version may make other bytes."""
    from PIL import __version__ as pillow_version
    from PIL import features

    return "|".join([pillow_version, *(str(features.version(name)) for name in ("jpg", "webp", "zlib"))])


def cache_name(inputs: ImageInputs) -> str:
    """The name of a file in the image cache: its key, and the ending of its format."""
    return f"{record_key(inputs)}.{_EXT[inputs.format]}"


def _cache_file(folder: Path, name: str) -> Path:
    return Path(f"{folder}/{name[:2]}/{name}")


class _Cache:
    """.vestka-cache/images/: the made files by name, and what is known of each original."""

    def __init__(self, folder: Path, *, enabled: bool) -> None:
        self.folder = folder
        self.enabled = enabled
        self.index_path = folder / "index.json"
        self.originals: dict[str, dict[str, Any]] = {}
        #: cache name -> SHA-256 of the file's bytes.
        self.made: dict[str, str] = {}
        #: The files made, when nothing may be written to the cache folder.
        self.blobs: dict[str, bytes] = {}
        #: How many files this build set out to make.
        self.encoded = 0
        self.lock = threading.Lock()
        #: The originals probed by this build (the next index).
        self.seen: dict[str, dict[str, Any]] = {}
        #: When the index was last written (nanoseconds since the epoch), and what it held.
        self.saved_ns = 0
        self.known_made: dict[str, str] = {}
        #: Names of the files in the cache folder, listed on first use.
        self.present: set[str] | None = None
        if enabled:
            with contextlib.suppress(OSError, ValueError, TypeError, AttributeError, KeyError):
                data = json.loads(self.index_path.read_text(encoding="utf-8"))
                if data.get("recipe") == _RECIPE:
                    self.originals = dict(data["originals"])
                    self.made = dict(data["made"])
                    self.known_made = dict(self.made)
                    self.saved_ns = int(data["saved_ns"])

    def has(self, name: str) -> bool:
        if not self.enabled:
            return name in self.blobs
        if self.present is None:  # one listing of the folder instead of a look-up per file
            self.present = set()
            with contextlib.suppress(OSError):
                for sub in os.scandir(self.folder):
                    if sub.is_dir():
                        self.present.update(entry.name for entry in os.scandir(sub.path))
        return name in self.made and name in self.present

    def probe(self, asset: SourceFile) -> dict[str, Any] | Problem:
        """What the original is: size, format, orientation, GPS; from the cache when unchanged."""
        known = self.originals.get(asset.rel_path)
        # A file changed within two seconds of the last look may change again with the same
        # size and time (coarse file-system clocks): it is read again, as the page cache does.
        if (known and known.get("size") == asset.size and known.get("mtime_ns") == asset.mtime_ns
                and asset.mtime_ns < self.saved_ns - 2_000_000_000):
            with self.lock:
                self.seen[asset.rel_path] = known
            return known
        try:
            data = asset.path.read_bytes()
        except OSError as exc:
            return Problem("error", f"content/{asset.rel_path}", None, f"this image cannot be read: {exc}")
        try:
            found = probe_bytes(data)
        except (ValueError, SyntaxError, OSError):
            # Not an image at all (browsers cannot show it either): published as it is.
            return Problem("warning", f"content/{asset.rel_path}", None,
                           "this file is not an image Vestka can read; it is copied as it is",
                           "open and save it again with an image editor, or rename it")
        if found["format"] not in _EXT:
            return Problem("error", f"content/{asset.rel_path}", None,
                           f"the file is a {found['format']} image, not what its name ends in",
                           "save it as JPEG, PNG or WebP with an image editor")
        found.update(size=asset.size, mtime_ns=asset.mtime_ns, digest=hashlib.sha256(data).hexdigest())
        with self.lock:
            self.seen[asset.rel_path] = found
        return found

    def make(self, source: Path, records: list[ImageInputs]) -> None:
        """Make the files of `records`, all of the photo whose original is at `source`."""
        data = source.read_bytes()
        if hashlib.sha256(data).hexdigest() != records[0].sha256:
            raise ValueError("the file changed while the site was being built; build again")
        for inputs, blob in make_image_files(data, records).items():
            name = cache_name(inputs)
            if not self.enabled:  # (`--no-cache`: kept in memory, nothing written into the site)
                with self.lock:
                    self.blobs[name] = blob
                    self.made[name] = hashlib.sha256(blob).hexdigest()
                continue
            target = _cache_file(self.folder, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, target)
            with self.lock:
                self.made[name] = hashlib.sha256(blob).hexdigest()

    def save(self, used: set[str]) -> None:
        """Write the index; files of photos and settings no longer used are removed."""
        self.made = {name: digest for name, digest in self.made.items() if name in used}
        if self.seen == self.originals and self.made == self.known_made and all(
                entry["mtime_ns"] < self.saved_ns - 2_000_000_000 for entry in self.seen.values()):
            return  # nothing changed: a rebuild writes nothing here
        if self.folder.is_dir():
            for sub in self.folder.iterdir():
                if sub.is_dir():
                    for path in sub.iterdir():
                        if path.name not in self.made:
                            with contextlib.suppress(OSError):
                                path.unlink()
        data = {"recipe": _RECIPE, "saved_ns": time.time_ns(), "originals": dict(sorted(self.seen.items())),
                "made": dict(sorted(self.made.items()))}
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.index_path.with_name(f"index.json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=0, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.index_path)


def probe_bytes(data: bytes) -> dict[str, Any]:
    """Format, upright size, EXIF orientation and whether a GPS position is in the image's metadata."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        fmt = "JPEG" if im.format == "MPO" else im.format or ""  # MPO: a camera's JPEG with previews
        width, height = im.size
        exif = im.getexif()
        orientation = exif.get(_ORIENTATION, 1)
        if not isinstance(orientation, int) or not 1 <= orientation <= 8:
            orientation = 1
        gps = bool(exif.get_ifd(_GPS_IFD)) or _GPS_IFD in exif
    # XMP (and copies of EXIF in odd places) are text Pillow does not parse for us.
    gps = gps or b"GPSLatitude" in data or b"GPSLongitude" in data
    if orientation in _SIDEWAYS:
        width, height = height, width
    return {"format": fmt, "width": width, "height": height, "orientation": orientation, "gps": gps}


def find_gps(path: Path) -> bool:
    """Whether an image file carries a GPS position (for `vestka check`); False for other files."""
    try:
        return bool(probe_bytes(path.read_bytes())["gps"])
    except (OSError, ValueError, SyntaxError):
        return False


def make_image_files(data: bytes, records: Iterable[ImageInputs]) -> dict[ImageInputs, bytes]:
    """The bytes of the files `records` describe, all of the one photo whose original is `data`.

    Each file's bytes come from its record and `data` alone: which other files are made with it
    (all of a new photo's, or the one a damaged cache lost) changes nothing in them."""
    from PIL import Image, ImageOps

    out: dict[ImageInputs, bytes] = {}
    rest = []
    for inputs in records:
        if inputs.original and not _encoded_again(inputs.orientation, inputs.keep_metadata):
            out[inputs] = data if inputs.keep_metadata else strip_metadata(data, inputs.source_format)
        else:
            rest.append(inputs)
    if not rest:
        return out
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        icc = opened.info.get("icc_profile")
        im = ImageOps.exif_transpose(opened) if rest[0].orientation != 1 else opened.copy()
    if im.mode == "CMYK" or im.mode.startswith(("I", "F")):
        im = im.convert("RGB")
    elif im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    # Each width is made from the next wider one (`resized_through`): a third of the work of
    # making every width from a 6-megapixel original, and the same sharpness with Lanczos. The
    # pictures of the steps are kept for the other files of the photo that pass through them.
    pictures: dict[tuple[tuple[int, int], ...], Any] = {(): im}

    def resized(steps: tuple[tuple[int, int], ...]) -> Any:
        if steps not in pictures:
            pictures[steps] = resized(steps[:-1]).resize(steps[-1], Image.Resampling.LANCZOS, reducing_gap=3.0)
        return pictures[steps]

    for inputs in rest:
        steps = (*inputs.resized_through, (inputs.width, inputs.height)) if inputs.width != im.width else ()
        out[inputs] = _encode(resized(steps), inputs.format, icc, inputs.quality)
    return out


def _encode(im: Any, fmt: str, icc: bytes | None, quality: int) -> bytes:
    """One file, with nothing from the original's metadata but its colour profile."""
    im = im.copy()
    im.info = {}  # Pillow would carry a JPEG comment or PNG text over otherwise
    buffer = io.BytesIO()
    options: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        im.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True, **options)
    elif fmt == "WEBP":
        if im.mode not in ("RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in im.mode else "RGB")
        im.save(buffer, "WEBP", quality=quality, method=4, **options)
    else:
        im.save(buffer, "PNG", compress_level=9, **options)
    return buffer.getvalue()


# --- metadata removal without a new encoding -----------------------------------------------------


def strip_metadata(data: bytes, fmt: str) -> bytes:
    """The image with EXIF, XMP, IPTC, comments and other private blocks removed, pixels untouched."""
    if fmt == "JPEG":
        return _strip_jpeg(data)
    if fmt == "PNG":
        return _strip_png(data)
    if fmt == "WEBP":
        return _strip_webp(data)
    raise ValueError(f"cannot clean {fmt} images")


def _strip_jpeg(data: bytes) -> bytes:
    """Keep JFIF (APP0), colour profiles (APP2 ICC_PROFILE), Adobe (APP14) and the image; drop
    Exif and XMP (APP1), IPTC (APP13), comments and every other application block, and what
    follows the end of the image (an embedded preview carries the same metadata)."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file")
    out = bytearray(b"\xff\xd8")
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            # Stray bytes between segments: decoders skip them with a warning, and so do we.
            i = data.find(b"\xff", i)
            if i < 0:
                break
            continue
        if i + 1 >= n:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == 0xD9:
            out += b"\xff\xd9"
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += data[i:i + 2]
            i += 2
            continue
        if i + 4 > n:
            raise ValueError("JPEG segment cut short")
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        segment = data[i:i + 2 + length]
        keep = (marker == 0xE0 or marker == 0xEE or (marker == 0xE2 and segment[4:16] == b"ICC_PROFILE\x00")
                or not (0xE0 <= marker <= 0xEF or marker == 0xFE))
        if keep:
            out += segment
        i += 2 + length
        if marker == 0xDA:
            # The entropy-coded scan follows its header, and may itself begin with a stuffed
            # 0xFF 0x00 or a restart marker, so it is copied as a whole up to the next real marker.
            j = _scan_end(data, i)
            out += data[i:j]
            i = j
    raise ValueError("JPEG data ends without an end-of-image marker")


def _scan_end(data: bytes, start: int) -> int:
    """Where the entropy-coded data that begins at *start* ends: the next marker that is not a
    stuffed byte (0xFF 0x00), a restart marker or a fill byte."""
    j, n = start, len(data)
    while True:
        j = data.find(b"\xff", j)
        if j < 0 or j + 1 >= n:
            raise ValueError("JPEG data ends without an end-of-image marker")
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            j += 2
        elif following == 0xFF:
            j += 1
        else:
            return j


#: PNG chunks that describe the picture; every other ancillary chunk (text, XMP, EXIF, time) goes.
_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
             b"pHYs", b"bKGD", b"hIST", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCV", b"cLLI"}


def _strip_png(data: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    out = bytearray(data[:8])
    i = 8
    while i + 8 <= len(data):
        length = struct.unpack(">I", data[i:i + 4])[0]
        kind = data[i + 4:i + 8]
        chunk = data[i:i + 12 + length]
        if kind in _PNG_KEEP or not kind[:1].islower():
            out += chunk
        i += 12 + length
        if kind == b"IEND":
            return bytes(out)
    raise ValueError("PNG data ends without an IEND chunk")


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    chunks = bytearray()
    i = 12
    end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    while i + 8 <= end:
        kind = data[i:i + 4]
        size = struct.unpack("<I", data[i + 4:i + 8])[0]
        chunk = bytearray(data[i:i + 8 + size + (size & 1)])
        if kind == b"VP8X":
            chunk[8] &= ~(0x08 | 0x04) & 0xFF  # the "has EXIF" and "has XMP" flags
        if kind not in (b"EXIF", b"XMP "):
            chunks += chunk
        i += 8 + size + (size & 1)
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + bytes(chunks)


# --- problems pages have with their images -------------------------------------------------------


def check_pages(pages: Mapping[str, Page], bodies: Mapping[str, RenderedBody], photos: Photos,
                site_dir: Path) -> list[Problem]:
    """Warnings for lead images without alt text or file, and body images without alt text.

    What a page's text says (its images without alt text, the lines to name) is kept by page
    version in the cache, so a rebuild reads no file and scans no body that did not change.
    """
    memo = photos.page_memo
    fresh: dict[str, list[Any]] = {}
    problems = []
    for source, page in pages.items():
        if not page.image and not any(link.lower().endswith((*RASTER, *AS_IS)) for link in
                                      (bodies[source].internal_links if source in bodies else ())):
            continue
        known = memo.get(source)
        if known is None or known[0] != page.digest or not page.digest:
            known = [page.digest, _line_of(site_dir / source, "image:") if page.image else None,
                     _images_without_alt(source, bodies.get(source), site_dir)]
        fresh[source] = known
        _, lead_line, without_alt = known
        if page.image:
            lead = photos.lead({"image": page.image, "meta": page.meta, "source": source})
            line = lead_line or page.body_line
            if lead is None or (lead["local"] and not _exists(lead["src"], photos, site_dir)):
                problems.append(Problem("warning", source, line, f"lead image {page.image} points at no file",
                                        "put the file beside the article, or fix the path"))
            elif not lead["alt"].strip():
                problems.append(Problem("warning", source, line, "the lead image has no alt text",
                                        "describe it for readers who cannot see it: image_alt: ..."))
        for name, line in without_alt:
            problems.append(Problem("warning", source, line or page.body_line, f"the image {name} has no alt text",
                                    "describe it in the brackets: ![what the photo shows](" + name + ")"))
    if fresh != memo and photos.memo_path is not None:
        with contextlib.suppress(OSError):
            photos.memo_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = photos.memo_path.with_name(f"{photos.memo_path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(fresh, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            os.replace(tmp, photos.memo_path)
    return problems


def _images_without_alt(source: str, body: RenderedBody | None, site_dir: Path) -> list[tuple[str, int | None]]:
    if body is None:
        return []
    found = []
    for match in _IMG.finditer(body.html):
        attrs = {name.lower(): value for name, value in _ATTR.findall(match.group(0))}
        if attrs.get("alt", "").strip() or "role" in attrs:
            continue
        name = posixpath.basename(html.unescape(attrs.get("src", "")))
        found.append((name, _line_of(site_dir / source, name)))
    return found


def _exists(src: str, photos: Photos, site_dir: Path) -> bool:
    rel = src.lstrip("/").split("#")[0].split("?")[0]
    return rel in photos.images or rel in photos.plain or (site_dir / "content" / rel).is_file()


def _line_of(path: Path, needle: str) -> int | None:
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return None


def _site_path(image: str, page: Page) -> str:
    if "://" in image or image.startswith("//"):
        return ""
    return resolve_link(image, _source_dir(page.source)) or ""


def _source_dir(source: str) -> str:
    """The folder below content/ of a page source ("content/en/2016/a.md" -> "en/2016")."""
    return "/".join(source.split("/")[1:-1])


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""

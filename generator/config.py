"""config.yaml: every option declared once, with its default, and validated at load.

`load_config` reports every problem of the file at once, each with the line it is on; an
unknown key names the nearest valid one. All defaults live in this file and nowhere else.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from generator import __version__, colours, safe_yaml
from generator.errors import ConfigError, Problem
from generator.urls import check_url_path

CONFIG_NAME = "config.yaml"

#: Tokens a permalink pattern may use; each is filled from the page (see urls.expand_permalink).
PERMALINK_TOKENS = ("lang", "year", "month", "day", "slug", "section")

#: "14 March 2011", "14 марта 2011": day, month name in the genitive where the language has one, year.
DEFAULT_DATE_FORMAT = "d MMMM y"
_LANG_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class Language:
    """One language of the site; each is its own stream of news."""

    #: BCP 47 code used in URLs and `lang` attributes ("be", "ru", "en").
    code: str
    #: The language's name in that language ("Беларуская"), shown in switchers.
    name: str
    #: Site title in this language; defaults to the site's `title`.
    title: str = ""
    #: Site description in this language; defaults to the site's `description`.
    description: str = ""
    #: Babel date format for article dates: short, medium, long, full, or a CLDR pattern.
    date_format: str = DEFAULT_DATE_FORMAT
    #: Text direction: ltr or rtl.
    direction: str = "ltr"
    #: Language whose UI strings to use where this one has none (English at the end).
    fallback: str | None = None
    #: Babel locale for dates and plurals; defaults to `code`.
    locale: str = ""


@dataclass(frozen=True, slots=True)
class Permalinks:
    """URL patterns; each must start and end with "/"."""

    #: Articles (everything outside a standalone-page section).
    article: str = "/{lang}/{year}/{month}/{slug}/"
    #: Standalone pages (files in one of `page_sections`).
    page: str = "/{lang}/{slug}/"


@dataclass(frozen=True, slots=True)
class ImporterConfig:
    """Defaults for `vestka import`."""

    #: Extra boilerplate lines the dump importer drops (site names, navigation in other words).
    boilerplate: tuple[str, ...] = ()
    #: Language for imported items that do not say theirs; defaults to the default language.
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class ImagesConfig:
    """How photos under content/ are published (see generator/images.py)."""

    #: Publish photos with their EXIF, XMP and IPTC blocks (GPS position, camera serial number,
    #: names). Off: every published copy is made without them.
    keep_metadata: bool = False
    #: Widths in pixels of the copies offered in srcset; none is made wider than the original.
    widths: tuple[int, ...] = (320, 640, 960, 1600)
    #: JPEG quality of the copies (1-95).
    quality: int = 82
    #: WebP quality of the copies (1-100).
    webp_quality: int = 80
    #: Make WebP copies besides those in the original's format.
    webp: bool = True


@dataclass(frozen=True, slots=True)
class DeployTarget:
    """One named place to publish `output/` to; the URL's scheme picks the method."""

    name: str
    #: file://, rsync://, ssh://, git+file://, git+ssh://, s3:// (see README).
    url: str
    #: Delete at the target files that a previous deploy put there and the site no longer has.
    delete: bool = False
    #: Custom domain written as CNAME on git branch deploys.
    cname: str | None = None


@dataclass(frozen=True, slots=True)
class FrontMatterConfig:
    """How content files' front matter is checked."""

    #: Keys the site's theme uses besides Vestka's own: never reported as possible typos.
    extra_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Defaults for `vestka serve`; the command line overrides them."""

    host: str = "127.0.0.1"
    port: int = 8000


@dataclass(frozen=True, slots=True)
class Brand:
    """How the default theme shows the organisation: logo, icon and accent colours."""

    #: Logo image, a path inside the site's static/ folder ("logo.svg"); shown in the header.
    logo: str = ""
    #: Show the site title beside the logo (for a logo without the name in it).
    show_title: bool = False
    #: Browser tab icon, a path inside static/ (.svg, .png or .ico).
    favicon: str = ""
    #: Colour of links, buttons and the focus ring ("#rrggbb"); at least 4.5:1 against the light page.
    accent: str = ""
    #: The same in dark mode; at least 4.5:1 against the dark page. Derived from `accent` when empty.
    accent_dark: str = ""


@dataclass(frozen=True, slots=True)
class MenuItem:
    """One header menu entry: a site path ("/en/about/") or a full URL."""

    title: str
    url: str
    #: Line of the entry in config.yaml, for later warnings (not part of what pages show).
    line: int | None = field(default=None, compare=False)


#: Longest footer text, in characters: it is printed on every page.
FOOTER_LIMIT = 2000
LOGO_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".avif")
FAVICON_SUFFIXES = (".svg", ".png", ".ico")


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration of one site."""

    #: Absolute folder of the site (where config.yaml is).
    site_dir: Path
    #: Site title (per-language titles override it).
    title: str = "News archive"
    #: One-line description used in feeds and meta tags.
    description: str = ""
    #: Absolute URL the site is published at; used only where standards need absolute URLs.
    base_url: str = "http://localhost:8000/"
    #: Languages in display order.
    languages: tuple[Language, ...] = (Language("en", "English"),)
    #: Code of the language served at the site root; defaults to the first language.
    default_language: str = "en"
    #: IANA time zone for dates written without an offset.
    timezone: str = "UTC"
    #: Articles per list page.
    per_page: int = 20
    #: Size of the "Latest news" sidebar.
    latest_news: int = 10
    #: Related articles shown under each article.
    related: int = 5
    #: URL patterns.
    permalinks: Permalinks = Permalinks()
    #: Folders (first level under a language folder or content/) holding standalone pages.
    page_sections: tuple[str, ...] = ("pages",)
    #: Theme name: themes/NAME/ of the site, falling back to the built-in default theme.
    theme: str = "default"
    #: "ascii" transliterates slugs and URL parts; "unicode" keeps them as written.
    slugs: str = "ascii"
    #: Links inside pages point at .../index.html so the site works from file://.
    portable: bool = True
    #: What /index.html shows: "home" (default language's home) or "chooser" (language list).
    root: str = "home"
    #: Entries per feed.
    feed_items: int = 20
    #: What feeds carry: "full" article text or "summary".
    feed_content: str = "full"
    #: Build the search page and its index.
    search: bool = True
    #: Strip active content (scripts, event handlers) from Markdown bodies with nh3.
    sanitize: bool = False
    #: Largest content file read, in megabytes; larger files are refused with an error.
    max_file_size_mb: int = 20
    #: Glob patterns (relative to content/) of files to skip.
    ignore: tuple[str, ...] = ()
    #: Free mapping handed to templates as `site.params`.
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: Logo, icon and accent colours of the default theme.
    brand: Brand = Brand()
    #: Header menu entries per language code.
    menu: Mapping[str, tuple[MenuItem, ...]] = field(default_factory=lambda: MappingProxyType({}))
    #: Footer text (short Markdown) per language code.
    footer: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    importer: ImporterConfig = ImporterConfig()
    images: ImagesConfig = ImagesConfig()
    #: Named deploy targets; the first is the default.
    deploy: tuple[DeployTarget, ...] = ()
    serve: ServeConfig = ServeConfig()
    front_matter: FrontMatterConfig = FrontMatterConfig()
    #: Output folder given on the command line (--output); None means site_dir/output.
    output_override: Path | None = None

    @property
    def content_dir(self) -> Path:
        return self.site_dir / "content"

    @property
    def static_dir(self) -> Path:
        return self.site_dir / "static"

    @property
    def themes_dir(self) -> Path:
        return self.site_dir / "themes"

    @property
    def cache_dir(self) -> Path:
        return self.site_dir / ".vestka-cache"

    @property
    def output_dir(self) -> Path:
        return self.output_override or self.site_dir / "output"

    @property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(lang.code for lang in self.languages)

    def language(self, code: str) -> Language:
        for lang in self.languages:
            if lang.code == code:
                return lang
        raise KeyError(code)

    def fingerprint(self) -> str:
        """A hash of everything in the config that can change a built page."""
        data = {f.name: _plain(getattr(self, f.name)) for f in fields(self)
                if f.name not in ("deploy", "serve", "importer", "output_override")}
        data["site_dir"] = ""
        data["version"] = __version__
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):  # fields left out of comparison show on no page
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.compare}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


# --- loading --------------------------------------------------------------------------------


def load_config(site_dir: Path) -> Config:
    """Read and validate `site_dir/config.yaml`; raise one ConfigError listing every problem."""
    site_dir = Path(site_dir).resolve()
    path = site_dir / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(
            f"{CONFIG_NAME} not found in {site_dir}",
            [Problem("error", CONFIG_NAME, None, "no config.yaml in the site folder",
                     "run vestka inside a site, pass --site DIR, or create one with 'vestka new DIR'")],
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("config.yaml is not valid", [
            Problem("error", CONFIG_NAME, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                    "save the file as UTF-8")]) from None
    config = parse_config(text, site_dir, static_file_exists=lambda rel, theme: any(
        (folder / rel).is_file() for folder in (site_dir / "static", site_dir / "themes" / theme / "static")))
    return config


def parse_config(text: str, site_dir: Path,
                 static_file_exists: Callable[[str, str], bool] | None = None) -> Config:
    """Validate config text; raise ConfigError listing every problem.

    Pure (no file access) unless `static_file_exists(path inside static/, theme)` is given,
    which then checks that the files the config names are there.
    """
    try:
        safe_yaml.check_limits(text)  # before compose, which recurses once per level
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.load(text, Loader=safe_yaml.UniqueKeyLoader) if node else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError("config.yaml is not valid YAML", [
            Problem("error", CONFIG_NAME, line, f"YAML syntax error: {problem}",
                    "check indentation and quote values that contain ':' or '#'")]) from None
    lines = _key_lines(node)
    checker = _Checker(lines)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        checker.error((), "the file must be a mapping of keys to values", "write lines like 'title: My archive'")
        raise ConfigError("config.yaml is not valid", checker.problems)
    config = _build(raw, checker, Path(site_dir))
    if static_file_exists is not None:
        for key in ("logo", "favicon"):
            name = getattr(config.brand, key)
            if name and not static_file_exists(name, config.theme):
                checker.error(("brand", key), f"brand.{key}: there is no file static/{name} in the site",
                              "put the file into the site's static/ folder, or correct the name")
    if checker.problems:
        raise ConfigError("config.yaml is not valid", checker.problems)
    return config


def _key_lines(node: yaml.Node | None, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Map each key path of the YAML document to the 1-based line it is written on."""
    out: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            out[key] = key_node.start_mark.line + 1
            out.update(_key_lines(value_node, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = (*prefix, str(i))
            out[key] = item.start_mark.line + 1
            out.update(_key_lines(item, key))
    return out


class _Checker:
    """Collects config problems with the line of the key at fault."""

    def __init__(self, lines: dict[tuple[str, ...], int]) -> None:
        self.lines = lines
        self.problems: list[Problem] = []

    def error(self, path: tuple[str, ...], message: str, hint: str = "") -> None:
        line = None
        for n in range(len(path), 0, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        self.problems.append(Problem("error", CONFIG_NAME, line, message, hint))

    def unknown_keys(self, data: Mapping[str, Any], known: list[str], path: tuple[str, ...]) -> None:
        for key in data:
            if key not in known:
                name = ".".join((*path, str(key)))
                import difflib  # only for a mistake: not every build pays for its import

                close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"valid keys here: {', '.join(known)}"
                self.error((*path, str(key)), f"unknown key '{name}'", hint)

    def typed(self, data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any,
              path: tuple[str, ...] = ()) -> Any:
        if key not in data or data[key] is None:
            return default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            want = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            self.error((*path, key), f"'{'.'.join((*path, key))}' must be {want}, not {_describe(value)}",
                       f"for example: {key}: {_EXAMPLES.get(key, _example(kinds[0]))}")
            return default
        return value

    def int_in(self, data: Mapping[str, Any], key: str, default: int, lo: int, hi: int,
               path: tuple[str, ...] = ()) -> int:
        value = self.typed(data, key, int, default, path)
        if not lo <= value <= hi:
            self.error((*path, key), f"'{key}' must be between {lo} and {hi}, not {value}")
            return default
        return value

    def choice(self, data: Mapping[str, Any], key: str, default: str, allowed: tuple[str, ...],
               path: tuple[str, ...] = ()) -> str:
        value = self.typed(data, key, str, default, path)
        if value not in allowed:
            self.error((*path, key), f"'{key}' must be one of {', '.join(allowed)}, not {value!r}")
            return default
        return value

    def str_list(self, data: Mapping[str, Any], key: str, path: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error((*path, key), f"'{key}' must be a list of strings, not {_describe(value)}",
                       f"write {key}: [first, second]")
            return ()
        return tuple(value)


_TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false", dict: "a mapping",
               list: "a list"}
_EXAMPLES = {"title": "My news archive", "base_url": "https://example.org/", "per_page": "20",
             "latest_news": "10", "timezone": "Europe/Minsk", "theme": "default"}


def _example(kind: type) -> str:
    return {str: "text", int: "10", bool: "true", dict: "{key: value}", list: "[a, b]"}.get(kind, "...")


def _describe(value: Any) -> str:
    kind = {str: "a string", int: "a number", float: "a number", bool: "true/false", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{kind} ({shown})"


_TOP_KEYS = [f.name for f in fields(Config) if f.name not in ("site_dir", "output_override")]


def _build(raw: dict[str, Any], c: _Checker, site_dir: Path) -> Config:
    d = Config(site_dir=site_dir)
    c.unknown_keys(raw, _TOP_KEYS, ())
    title = c.typed(raw, "title", str, d.title)
    description = c.typed(raw, "description", str, d.description)
    base_url = c.typed(raw, "base_url", str, d.base_url)
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", base_url):
        c.error(("base_url",), f"'base_url' must be an absolute http(s) URL, not {base_url!r}",
                "for example: base_url: https://example.org/archive/")
    elif not base_url.endswith("/"):
        base_url += "/"
    languages = _languages(raw, c, title, description)
    codes = [lang.code for lang in (languages or d.languages)]
    default_language = c.typed(raw, "default_language", str, codes[0] if codes else "en")
    if codes and default_language not in codes:
        c.error(("default_language",), f"default_language {default_language!r} is not among the languages",
                f"use one of: {', '.join(codes)}")
    for lang in languages:
        if lang.fallback is not None and lang.fallback not in codes and lang.fallback != "en":
            c.error(("languages",), f"language {lang.code!r} falls back to unknown language {lang.fallback!r}",
                    f"use one of: {', '.join(codes)}")
    timezone = c.typed(raw, "timezone", str, d.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        c.error(("timezone",), f"unknown time zone {timezone!r}", "use an IANA name such as Europe/Minsk or UTC")
        timezone = d.timezone
    permalinks = _permalinks(raw, c)
    theme = c.typed(raw, "theme", str, d.theme)
    if not re.match(r"^[A-Za-z0-9_.-]+$", theme) or theme.startswith("."):
        c.error(("theme",), f"theme name {theme!r} must be a plain folder name under themes/")
        theme = d.theme
    params = c.typed(raw, "params", dict, {})
    return Config(
        site_dir=site_dir,
        title=title,
        description=description,
        base_url=base_url,
        languages=languages or d.languages,
        default_language=default_language,
        timezone=timezone,
        per_page=c.int_in(raw, "per_page", d.per_page, 1, 1000),
        latest_news=c.int_in(raw, "latest_news", d.latest_news, 0, 100),
        related=c.int_in(raw, "related", d.related, 0, 50),
        permalinks=permalinks,
        page_sections=c.str_list(raw, "page_sections") if "page_sections" in raw else d.page_sections,
        theme=theme,
        slugs=c.choice(raw, "slugs", d.slugs, ("ascii", "unicode")),
        portable=c.typed(raw, "portable", bool, d.portable),
        root=c.choice(raw, "root", d.root, ("home", "chooser")),
        feed_items=c.int_in(raw, "feed_items", d.feed_items, 1, 10000),
        feed_content=c.choice(raw, "feed_content", d.feed_content, ("full", "summary")),
        search=c.typed(raw, "search", bool, d.search),
        sanitize=c.typed(raw, "sanitize", bool, d.sanitize),
        max_file_size_mb=c.int_in(raw, "max_file_size_mb", d.max_file_size_mb, 1, 4096),
        ignore=c.str_list(raw, "ignore"),
        params=MappingProxyType(params),
        brand=_brand(raw, c),
        menu=_menu(raw, c, codes),
        footer=_footer(raw, c, codes),
        importer=_importer(raw, c),
        images=_images(raw, c),
        deploy=_deploy(raw, c),
        serve=_serve(raw, c),
        front_matter=_front_matter(raw, c),
    )


_LANG_KEYS = [f.name for f in fields(Language)]


def _languages(raw: dict[str, Any], c: _Checker, title: str, description: str) -> tuple[Language, ...]:
    value = raw.get("languages")
    if value is None:
        return ()
    if isinstance(value, dict):  # also accept a mapping code -> settings
        value = [{"code": k, **(v if isinstance(v, dict) else {"name": v})} for k, v in value.items()]
    if not isinstance(value, list) or not value:
        c.error(("languages",), "'languages' must be a non-empty list",
                "write languages: [{code: en, name: English}, {code: be, name: Беларуская}]")
        return ()
    out: list[Language] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        path = ("languages", str(i))
        if isinstance(item, str):
            item = {"code": item}
        if not isinstance(item, dict):
            c.error(path, f"each language must be a mapping with code and name, not {_describe(item)}")
            continue
        c.unknown_keys(item, _LANG_KEYS, path)
        code = c.typed(item, "code", str, "", path)
        if not _LANG_CODE.match(code):
            c.error(path, f"language code {code!r} is not a valid language tag", "use codes such as en, be, ru")
            continue
        if code in seen:
            c.error(path, f"language {code!r} is declared twice")
            continue
        seen.add(code)
        fallback = c.typed(item, "fallback", str, None, path)
        out.append(Language(
            code=code,
            name=c.typed(item, "name", str, code, path),
            title=c.typed(item, "title", str, title, path),
            description=c.typed(item, "description", str, description, path),
            date_format=c.typed(item, "date_format", str, DEFAULT_DATE_FORMAT, path),
            direction=c.choice(item, "direction", "ltr", ("ltr", "rtl"), path),
            fallback=fallback,
            locale=c.typed(item, "locale", str, code.replace("-", "_"), path),
        ))
    return tuple(out)


def _permalinks(raw: dict[str, Any], c: _Checker) -> Permalinks:
    value = c.typed(raw, "permalinks", dict, {})
    known = [f.name for f in fields(Permalinks)]
    c.unknown_keys(value, known, ("permalinks",))
    patterns = {}
    for name in known:
        pattern = c.typed(value, name, str, getattr(Permalinks(), name), ("permalinks",))
        problem = check_permalink(pattern)
        if problem:
            c.error(("permalinks", name), f"permalink '{name}' {problem}",
                    "for example: /{lang}/{year}/{month}/{slug}/")
            continue
        patterns[name] = pattern
    return Permalinks(**patterns)


def check_permalink(pattern: str) -> str:
    """Why a permalink pattern is unusable, or "" when it is fine."""
    if not (pattern.startswith("/") and pattern.endswith("/")):
        return f"must start and end with '/', not {pattern!r}"
    tokens = re.findall(r"\{([^{}]*)\}", pattern)
    for token in tokens:
        if token not in PERMALINK_TOKENS:
            return f"uses unknown token {{{token}}}; known: " + ", ".join(f"{{{t}}}" for t in PERMALINK_TOKENS)
    if "slug" not in tokens:
        return "must contain {slug} so that every page gets its own URL"
    if ".." in pattern or "\\" in pattern or "//" in pattern:
        return "must not contain '..', '\\' or '//'"
    # The fixed parts must make safe names whatever the tokens hold ("x" stands for any value).
    problem = check_url_path(re.sub(r"\{[^{}]*\}", "x", pattern))
    return f"would give unsafe URLs: it {problem}" if problem else ""


def _importer(raw: dict[str, Any], c: _Checker) -> ImporterConfig:
    value = c.typed(raw, "importer", dict, {})
    c.unknown_keys(value, ["boilerplate", "lang"], ("importer",))
    return ImporterConfig(boilerplate=c.str_list(value, "boilerplate", ("importer",)),
                          lang=c.typed(value, "lang", str, None, ("importer",)))


def _images(raw: dict[str, Any], c: _Checker) -> ImagesConfig:
    value = c.typed(raw, "images", dict, {})
    path = ("images",)
    c.unknown_keys(value, [f.name for f in fields(ImagesConfig)], path)
    d = ImagesConfig()
    widths = c.typed(value, "widths", list, list(d.widths), path)
    if not widths or not all(isinstance(w, int) and not isinstance(w, bool) and 16 <= w <= 8192 for w in widths):
        c.error((*path, "widths"), f"'images.widths' must be a list of widths in pixels (16-8192), not {widths!r}",
                "for example: widths: [320, 640, 960, 1600]")
        widths = list(d.widths)
    return ImagesConfig(keep_metadata=c.typed(value, "keep_metadata", bool, d.keep_metadata, path),
                        widths=tuple(sorted(set(widths))),
                        quality=c.int_in(value, "quality", d.quality, 1, 95, path),
                        webp_quality=c.int_in(value, "webp_quality", d.webp_quality, 1, 100, path),
                        webp=c.typed(value, "webp", bool, d.webp, path))


def _deploy(raw: dict[str, Any], c: _Checker) -> tuple[DeployTarget, ...]:
    value = c.typed(raw, "deploy", dict, {})
    out = []
    known = [f.name for f in fields(DeployTarget) if f.name != "name"]
    for name, settings in value.items():
        path = ("deploy", str(name))
        if isinstance(settings, str):
            settings = {"url": settings}
        if not isinstance(settings, dict):
            c.error(path, f"deploy target '{name}' must be a mapping with a url", "write production: {url: ...}")
            continue
        c.unknown_keys(settings, known, path)
        url = c.typed(settings, "url", str, "", path)
        if not url:
            c.error(path, f"deploy target '{name}' has no url")
            continue
        out.append(DeployTarget(name=str(name), url=url, delete=c.typed(settings, "delete", bool, False, path),
                                cname=c.typed(settings, "cname", str, None, path)))
    return tuple(out)


def _serve(raw: dict[str, Any], c: _Checker) -> ServeConfig:
    value = c.typed(raw, "serve", dict, {})
    c.unknown_keys(value, ["host", "port"], ("serve",))
    d = ServeConfig()
    return ServeConfig(host=c.typed(value, "host", str, d.host, ("serve",)),
                       port=c.int_in(value, "port", d.port, 1, 65535, ("serve",)))


def _brand(raw: dict[str, Any], c: _Checker) -> Brand:
    value = c.typed(raw, "brand", dict, {})
    c.unknown_keys(value, [f.name for f in fields(Brand)], ("brand",))
    path = ("brand",)
    files = {}
    for key, suffixes in (("logo", LOGO_SUFFIXES), ("favicon", FAVICON_SUFFIXES)):
        name = c.typed(value, key, str, "", path).strip().removeprefix("/").removeprefix("static/")
        parts = name.split("/")
        if name and (".." in parts or "\\" in name or ":" in name or "" in parts):
            c.error((*path, key), f"brand.{key} must be a file inside static/, not {name!r}",
                    f"for example: {key}: {'logo.svg' if key == 'logo' else 'favicon.svg'}")
            name = ""
        elif name and not name.lower().endswith(suffixes):
            c.error((*path, key), f"brand.{key} must be an image file ({', '.join(suffixes)}), not {name!r}")
            name = ""
        files[key] = name
    accents = {}
    for key, background, where in (("accent", colours.LIGHT_BACKGROUND, "light"),
                                   ("accent_dark", colours.DARK_BACKGROUND, "dark")):
        text = c.typed(value, key, str, "", path)
        colour = colours.normalize(text) if text else ""
        if colour is None:
            c.error((*path, key), f"brand.{key} must be a colour written #rrggbb or #rgb, not {text!r}",
                    f"for example: {key}: '#8a1c1c' (quote it: YAML reads # as a comment)")
            colour = ""
        elif colour:
            ratio = colours.contrast(colour, background)
            if ratio < colours.AA_RATIO:
                c.error((*path, key), f"brand.{key} {colour} has a contrast of {colours.shown_ratio(ratio)} against the "
                        f"{where} page background {background}; WCAG AA needs at least 4.5:1 for text",
                        f"use a {'darker' if where == 'light' else 'lighter'} shade, such as "
                        f"{colours.nearest_passing(colour, background)}")
                colour = ""
        accents[key] = colour
    return Brand(logo=files["logo"], favicon=files["favicon"],
                 show_title=c.typed(value, "show_title", bool, False, path), **accents)


def _per_language(raw: dict[str, Any], c: _Checker, key: str, codes: list[str]) -> dict[str, Any]:
    """`key` as a mapping language code -> value; a value that is not a mapping is for every language."""
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        return {code: (value, (key,)) for code in codes}
    out = {}
    for code, item in value.items():
        if str(code) not in codes:
            c.error((key, str(code)), f"{key}: the site has no language {code!r}", f"use one of: {', '.join(codes)}")
            continue
        out[str(code)] = (item, (key, str(code)))
    return out


_MENU_EXAMPLE = "menu: {en: [{title: About, url: /en/about/}, {title: Donate, url: 'https://example.org/donate'}]}"


def _menu(raw: dict[str, Any], c: _Checker, codes: list[str]) -> Mapping[str, tuple[MenuItem, ...]]:
    out: dict[str, tuple[MenuItem, ...]] = {}
    for code, (entries, path) in _per_language(raw, c, "menu", codes).items():
        if not isinstance(entries, list):
            c.error(path, f"'{'.'.join(path)}' must be a list of {{title, url}} entries, not {_describe(entries)}",
                    _MENU_EXAMPLE)
            continue
        items = []
        for i, entry in enumerate(entries):
            where = (*path, str(i))
            if not isinstance(entry, dict):
                c.error(where, f"each menu entry must be a mapping with title and url, not {_describe(entry)}",
                        _MENU_EXAMPLE)
                continue
            c.unknown_keys(entry, ["title", "url"], where)
            title = c.typed(entry, "title", str, "", where).strip()
            url = c.typed(entry, "url", str, "", where).strip()
            if not title or not url:
                c.error(where, "a menu entry needs both a title and a url", _MENU_EXAMPLE)
                continue
            checked, problem = menu_url(url)
            if problem:
                c.error((*where, "url"), f"menu url {url!r} {problem}",
                        "write a site path such as /en/about/ or a full URL such as https://example.org/donate")
                continue
            items.append(MenuItem(title, checked, c.lines.get((*where, "url")) or c.lines.get(where)))
        out[code] = tuple(items)
    return MappingProxyType(out)


def menu_url(url: str) -> tuple[str, str]:
    """(the URL as pages use it, "") or ("", why it is refused) for a menu entry's url.

    A site path gets its final "/" when its last part has no file extension, so "/en/about"
    and "/en/about/" are the same page.
    """
    if re.search(r"\s|[\x00-\x1f]", url):
        return "", "must not contain spaces"
    if url.startswith("/") and not url.startswith("//"):
        path, sep, fragment = url.partition("#")
        if "?" in path or ".." in path.split("/"):
            return "", "must be a plain site path (no '?' or '..')"
        last = path.rsplit("/", 1)[-1]
        if last and "." not in last:
            path += "/"
        return path + sep + fragment, ""
    if re.match(r"^https?://[^/\s]+", url) or re.match(r"^(mailto|tel):\S+$", url):
        return url, ""
    return "", "must start with / (a page of this site) or be a full http(s), mailto: or tel: URL"


def _footer(raw: dict[str, Any], c: _Checker, codes: list[str]) -> Mapping[str, str]:
    out = {}
    for code, (text, path) in _per_language(raw, c, "footer", codes).items():
        if not isinstance(text, str):
            c.error(path, f"'{'.'.join(path)}' must be a text (Markdown), not {_describe(text)}",
                    "write footer: {en: 'Text © 2025 Our organisation. [Contacts](/en/contacts/)'}")
            continue
        if len(text) > FOOTER_LIMIT:
            c.error(path, f"'{'.'.join(path)}' is {len(text)} characters long; the footer is on every page, "
                    f"keep it under {FOOTER_LIMIT}", "link to a page with the rest")
            continue
        if text.strip():
            out[code] = text.strip()
    return MappingProxyType(out)

def _front_matter(raw: dict[str, Any], c: _Checker) -> FrontMatterConfig:
    value = c.typed(raw, "front_matter", dict, {})
    c.unknown_keys(value, ["extra_keys"], ("front_matter",))
    return FrontMatterConfig(extra_keys=c.str_list(value, "extra_keys", ("front_matter",)))

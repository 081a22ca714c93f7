"""Format `wordpress`: WXR export files (Tools -> Export in WordPress).

Posts become articles, pages go to the `pages` section, attachments are only listed.
WordPress stores post bodies the way its editor shows them: paragraphs separated by blank
lines without <p>, plus shortcodes; both are turned into HTML here before the shared
HTML -> Markdown conversion.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from html import escape, unescape
from html.entities import name2codepoint
from pathlib import Path
from types import MappingProxyType
from urllib.parse import unquote, urlsplit

from generator.errors import Problem
from generator.importer import (
    ImportedItem,
    Job,
    Parsed,
    ParseOptions,
    origin_name,
    skipped,
    source_files,
    url_alias,
    warning,
)
from generator.importer.markdown_convert import html_to_markdown, html_to_text
from generator.importer.media import find_media, link_targets

_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_DRAFT_STATUSES = {"draft", "pending", "private"}
_UNSET_DATE = "0000-00-00 00:00:00"
# Categories WordPress gives every post that has none; they say nothing about the post.
_DEFAULT_CATEGORIES = {"uncategorized", "uncategorised", "bez-kategorii", "без рубрики"}


def plan(source: Path, options: ParseOptions) -> list[Job]:
    """One job per `.xml` export in `source`; an `uploads` folder found beside the exports
    (`wp-content/uploads/` or `uploads/`) provides the media the posts show."""
    folder = source if source.is_dir() else source.parent
    uploads = next((d for d in (folder / "wp-content" / "uploads", folder / "uploads") if d.is_dir()), None)
    return [Job(path, origin_name(path, source), partial(parse_wxr, origin=origin_name(path, source),
                                                         uploads=uploads))
            for path in source_files(source, (".xml",))]


def _upload(target: str, uploads: Path, hosts: tuple[str, ...]) -> tuple[Path, str] | None:
    """The local copy of an uploaded file the export links to, and its old site path."""
    parts = urlsplit(target)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    if host and host not in hosts and not host.endswith(".files.wordpress.com"):
        return None
    rest = path.split("/wp-content/uploads/", 1)[1] if "/wp-content/uploads/" in path else (
        path.lstrip("/") if host.endswith(".files.wordpress.com") else None)
    if not rest:
        return None
    local = (uploads / rest).resolve()
    if not local.is_file() or not local.is_relative_to(uploads.resolve()):
        return None
    return local, "/wp-content/uploads/" + rest


def parse_wxr(text: str, origin: str, uploads: Path | None = None) -> Parsed:
    """A whole export file -> its posts and pages, with attachments and problems listed."""
    try:
        root = ET.fromstring(_xml_entities(text))
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        return Parsed(skipped=(Problem("error", origin, line, f"not a readable WXR/XML file: {exc}"),))
    channel = root.find("channel")
    if channel is None or _wp(channel, "wxr_version") is None:
        return Parsed(skipped=(skipped(origin, "not a WordPress export (no channel/wp:wxr_version)"),))
    authors = _authors(channel)
    files = _attachments(channel)
    language = (channel.findtext("language") or "").strip() or None
    items: list[ImportedItem] = []
    notes: list[Problem] = []
    skips: list[Problem] = []
    attachments: list[str] = []
    ignored: dict[str, int] = {}
    left: list[tuple[str, str]] = []
    lost: list[str] = []
    gaps: list[tuple[str, int]] = []
    for node in channel.findall("item"):
        kind = _wp_text(node, "post_type") or "post"
        status = _wp_text(node, "status") or "publish"
        if kind == "attachment":
            url = _wp_text(node, "attachment_url") or (node.findtext("guid") or "").strip()
            if url:
                attachments.append(url)
            continue
        if kind not in ("post", "page"):
            ignored[kind] = ignored.get(kind, 0) + 1
            continue
        name = f"{origin}#{_wp_text(node, 'post_id') or len(items) + 1}"
        if status in ("trash", "auto-draft", "inherit"):
            skips.append(skipped(name, f"{kind} with status {status!r} is not imported"))
            continue
        item, item_notes = _item(node, name, kind, status, authors, language, files)
        if uploads is not None:
            hosts = tuple(h for h in {urlsplit((channel.findtext("link") or "").strip()).hostname,
                                      *(urlsplit(t).hostname for t in link_targets(item.body)
                                        if ".files.wordpress.com/" in t)} if h)
            found, missing = find_media([item.body, item.image], partial(_upload, uploads=uploads, hosts=hosts),
                                        hosts)
            item = replace(item, media=found)
            lost.extend(f"{name}: {ref}" for ref in missing)
        notes.extend(warning(name, note) for note in item_notes if not note.startswith("\0"))
        left.extend((f"WordPress shortcode [{note[1:]}]", name) for note in item_notes if note.startswith("\0"))
        items.append(item)
        gaps.extend((name, i) for i in gallery_gaps(_namespaced_text(node, _CONTENT_NS, "encoded"), files))
    if gaps:
        names = list(dict.fromkeys(name for name, _ in gaps))
        notes.append(warning(origin, (
            f"[gallery] names {len(gaps)} image(s) the export has no attachment for "
            f"(ids {', '.join(str(i) for i in dict.fromkeys(i for _, i in gaps))}); the galleries show their "
            f"other images, as WordPress does: {len(names)} file(s): {', '.join(names[:10])}"
            + (f", and {len(names) - 10} more" if len(names) > 10 else "")),
            "add the missing pictures by hand if the old site showed them"))
    for kind, count in sorted(ignored.items()):
        notes.append(warning(origin, f"ignored {count} item(s) of type {kind!r}"))
    return Parsed(items=tuple(items), warnings=tuple(notes), skipped=tuple(skips), attachments=tuple(attachments),
                  leftovers=tuple(left), missing_media=tuple(lost))


def _item(node: ET.Element, name: str, kind: str, status: str, authors: dict[str, str],
          language: str | None, files: Mapping[int, Attachment] = MappingProxyType({})) -> tuple[
        ImportedItem, list[str]]:
    notes: list[str] = []
    title = unescape((node.findtext("title") or "").strip())
    date = wp_date(_wp_text(node, "post_date"), _wp_text(node, "post_date_gmt"))
    if date is None:
        date = _rfc822(node.findtext("pubDate"))
    post_id = _wp_text(node, "post_id")
    html, leftovers = shortcodes_to_html(_namespaced_text(node, _CONTENT_NS, "encoded"), partial(
        gallery_html, files=files, post_id=int(post_id) if post_id.isdigit() else 0))
    notes.extend(f"\0{code}" for code in leftovers)
    excerpt = _namespaced_text(node, "/excerpt/", "encoded")
    tags: list[str] = []
    for category in node.findall("category"):
        label = unescape((category.text or "").strip())
        nice = (category.get("nicename") or "").lower()
        if not label or (category.get("domain") == "category" and
                         (nice in _DEFAULT_CATEGORIES or label.lower() in _DEFAULT_CATEGORIES)):
            continue
        if category.get("domain") in ("category", "post_tag") and label not in tags:
            tags.append(label)
    login = (node.findtext(f"{{{_DC_NS}}}creator") or "").strip()
    author = authors.get(login, login)
    link = (node.findtext("link") or "").strip()
    alias, why = url_alias(link)
    parts = urlsplit(link)
    if parts.query:
        # "?p=12": no file can answer it; the writer gives it a line in _redirects.
        alias = (parts.path or "/") + "?" + parts.query
    elif why:
        notes.append(why)
    post_id = _wp_text(node, "post_id")
    item = ImportedItem(
        # The guid survives publishing (the permalink of a draft is "?p=ID", then changes).
        source_ref=(node.findtext("guid") or "").strip() or link or f"wordpress:{name}",
        origin=name,
        title=title,
        date=date,
        body=html_to_markdown(wpautop(html)),
        lang=language,
        slug=unquote(_wp_text(node, "post_name") or "") or None,
        kind="page" if kind == "page" else "article",
        tags=tuple(tags),
        authors=(author,) if author else (),
        summary=html_to_text(wpautop(excerpt)) if excerpt.strip() else "",
        draft=status in _DRAFT_STATUSES,
        source_url=link,
        aliases=(alias,) if alias else (),
        extra=MappingProxyType({"wordpress_id": post_id or None}),
    )
    return item, notes


def wp_date(local: str, gmt: str) -> datetime | None:
    """The post time with its offset, from WordPress' local and GMT columns.

    Drafts carry a GMT time of 0000-00-00: then the local time is returned naive and the
    writer gives it the site's time zone.
    """
    if not local or local == _UNSET_DATE:
        return None
    try:
        when = datetime.strptime(local, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    if not gmt or gmt == _UNSET_DATE:
        return when
    try:
        utc = datetime.strptime(gmt, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return when
    # Offsets are whole quarter hours; rounding absorbs a second of drift between columns.
    minutes = round((when - utc).total_seconds() / 900) * 15
    return when.replace(tzinfo=timezone(timedelta(minutes=minutes)))


def _rfc822(value: str | None) -> datetime | None:
    from email.utils import parsedate_to_datetime  # noqa: PLC0415 - only for exports without wp dates

    if not value or not value.strip():
        return None
    try:
        return parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None


# --- body: wpautop and shortcodes -------------------------------------------------------------

_BLOCK_TAGS = ("address|article|aside|blockquote|dd|div|dl|dt|figcaption|figure|footer|form|h[1-6]|header|"
               "hr|li|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul|iframe|script|style")
_STARTS_BLOCK = re.compile(rf"^\s*</?(?:{_BLOCK_TAGS})\b", re.IGNORECASE)
_PRE = re.compile(r"<pre\b.*?</pre>", re.IGNORECASE | re.DOTALL)


def wpautop(text: str) -> str:
    """WordPress' automatic paragraphs: blank-line blocks -> <p>, single newlines -> <br>.

    Blocks that already start with a block-level tag, and <pre> sections, are kept as they are.
    """
    keep: list[str] = []

    def hold(match: re.Match[str]) -> str:
        keep.append(match.group(0))
        return f"\n\n\0{len(keep) - 1}\0\n\n"

    text = _PRE.sub(hold, text.replace("\r\n", "\n"))
    out = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        if re.fullmatch(r"\0\d+\0", block):
            out.append(keep[int(block.strip("\0"))])
        elif _STARTS_BLOCK.match(block):
            out.append(block)
        else:
            out.append("<p>" + re.sub(r"\s*\n\s*", "<br />\n", block) + "</p>")
    return "\n".join(out)


_SHORTCODE = re.compile(
    r"\[(?P<name>[a-zA-Z_][\w-]*)(?P<attrs>(?:\s[^\]]*)?)\](?:(?P<inner>.*?)\[/(?P=name)\])?", re.DOTALL)
_ATTR = re.compile(r"([\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|(\S+))")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A media item of the export, as `[gallery]` needs it."""

    id: int
    parent: int
    order: int
    url: str
    caption: str = ""
    alt: str = ""


_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".bmp", ".tif", ".tiff")


def _attachments(channel: ET.Element) -> dict[int, Attachment]:
    """The export's attachments by id (their URL, caption, alt text, parent post and order)."""
    found: dict[int, Attachment] = {}
    for node in channel.findall("item"):
        if _wp_text(node, "post_type") != "attachment":
            continue
        number = _wp_text(node, "post_id")
        url = _wp_text(node, "attachment_url") or (node.findtext("guid") or "").strip()
        if not number.isdigit() or not url:
            continue
        alt = ""
        for child in node:
            if child.tag.endswith("}postmeta") and _wp_text(child, "meta_key") == "_wp_attachment_image_alt":
                alt = _wp_text(child, "meta_value")
        parent, order = _wp_text(node, "post_parent"), _wp_text(node, "menu_order")
        found[int(number)] = Attachment(
            id=int(number), parent=int(parent) if parent.isdigit() else 0,
            order=int(order) if order.lstrip("-").isdigit() else 0, url=url,
            caption=_namespaced_text(node, "/excerpt/", "encoded").strip(), alt=unescape(alt))
    return found


def _is_image(file: Attachment) -> bool:
    return urlsplit(file.url).path.lower().endswith(_IMAGE_SUFFIXES)


def gallery_html(attrs: Mapping[str, str], files: Mapping[int, Attachment], post_id: int) -> str | None:
    """WordPress's `[gallery]` as figures, or None when the export lacks its images.

    `ids` (or `include`) name the images in their order (those the export lacks are left out,
    as WordPress leaves out ids it does not have); without them the gallery shows the
    images attached to the post (`id` names another post), by menu order then id, less
    `exclude`. `link="none"` shows bare images; otherwise each links to its file (attachment
    pages are not imported). `orderby="rand"` keeps the stored order: a static page has one.
    """
    named = _gallery_ids(attrs)
    if named:
        # WordPress shows the named images that exist; gallery_gaps() reports the others.
        chosen = [files[i] for i in named if i in files and _is_image(files[i])]
    else:
        parent = int(attrs["id"]) if attrs.get("id", "").isdigit() else post_id
        exclude = {int(x) for x in re.findall(r"\d+", attrs.get("exclude") or "")}
        chosen = sorted((f for f in files.values() if f.parent == parent and f.id not in exclude
                         and _is_image(f)),
                        key=lambda f: (f.order, f.id))
        if (attrs.get("order") or "").upper() == "DESC":
            chosen.reverse()
    if not chosen:
        return None
    figures = []
    for image in chosen:
        tag = f'<img src="{escape(image.url)}" alt="{escape(image.alt)}">'
        if (attrs.get("link") or "").lower() != "none":
            tag = f'<a href="{escape(image.url)}">{tag}</a>'
        caption = f"<figcaption>{image.caption}</figcaption>" if image.caption else ""
        figures.append(f"<figure>{tag}{caption}</figure>")
    return "\n\n" + "\n\n".join(figures) + "\n\n"


def _attributes(match: re.Match[str]) -> dict[str, str]:
    return {m[1].lower(): m[2] or m[3] or m[4] or "" for m in _ATTR.finditer(match["attrs"] or "")}


def _gallery_ids(attrs: Mapping[str, str]) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", attrs.get("ids") or attrs.get("include") or "")]


def gallery_gaps(text: str, files: Mapping[int, Attachment]) -> list[int]:
    """Ids that the `[gallery]` shortcodes of `text` name, of images the export does not have,
    in galleries that show their other images (a gallery with none is left as text)."""
    gaps: list[int] = []
    for match in _SHORTCODE.finditer(text):
        if match["name"].lower() != "gallery":
            continue
        ids = _gallery_ids(_attributes(match))
        if any(i in files for i in ids):
            gaps.extend(i for i in ids if i not in files)
    return gaps


def shortcodes_to_html(text: str, gallery: Callable[[Mapping[str, str]], str | None] | None = None
                       ) -> tuple[str, list[str]]:
    """Known shortcodes as HTML; unknown ones kept visibly as code, listed for a warning.

    `gallery(attributes)` gives a `[gallery]` as HTML, or None when it cannot.
    """
    leftovers: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match["name"].lower()
        attrs = _attributes(match)
        inner = match["inner"] or ""
        if name in ("caption", "wp_caption"):
            image = re.search(r"<img\b[^>]*>", inner, re.IGNORECASE)
            link = re.search(r"<a\b[^>]*>\s*<img\b[^>]*>\s*</a>", inner, re.IGNORECASE | re.DOTALL)
            figure = (link or image).group(0) if (link or image) else ""
            caption = attrs.get("caption") or (inner.replace(figure, "", 1) if figure else inner)
            caption = caption.strip()
            return f"\n\n<figure>{figure}<figcaption>{caption}</figcaption></figure>\n\n"
        if name == "embed" and inner.strip():
            url = escape(inner.strip())
            return f'<a href="{url}">{url}</a>'
        # `[audio https://…]`: the URL as the first word, as WordPress.com exports write it.
        bare = next((w for w in (match["attrs"] or "").split() if re.match(r"https?://", w)), "")
        if name in ("video", "audio") and (attrs.get("src") or attrs.get("mp4") or attrs.get("mp3") or bare):
            url = escape(attrs.get("src") or attrs.get("mp4") or attrs.get("mp3") or bare)
            return f'<a href="{url}">{url}</a>'
        if name == "gallery" and gallery is not None:
            html = gallery(attrs)
            if html is not None:
                return html
        if name == "youtube":
            url = escape((attrs.get("id") or inner or match["attrs"] or "").strip())
            return f'<a href="{url}">{url}</a>'
        leftovers.append(name)
        return f"<code>{escape(match.group(0), quote=False)}</code>"

    return _SHORTCODE.sub(replace, text), leftovers


# --- XML helpers --------------------------------------------------------------------------------

_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def _xml_entities(text: str) -> str:
    """HTML named entities (&nbsp; in old exports) as numeric references XML understands."""
    def fix(match: re.Match[str]) -> str:
        name = match[1]
        if name in _XML_ENTITIES or name not in name2codepoint:
            return match[0]
        return f"&#{name2codepoint[name]};"

    return _NAMED_ENTITY.sub(fix, text)


def _wp(node: ET.Element, local: str) -> ET.Element | None:
    for child in node:
        if child.tag.endswith("}" + local) and "wordpress.org/export/" in child.tag and "/excerpt/" not in child.tag:
            return child
    return None


def _wp_text(node: ET.Element, local: str) -> str:
    child = _wp(node, local)
    return (child.text or "").strip() if child is not None else ""


def _namespaced_text(node: ET.Element, namespace_part: str, local: str) -> str:
    for child in node:
        if child.tag.endswith("}" + local) and namespace_part in child.tag:
            return child.text or ""
    return ""


def _authors(channel: ET.Element) -> dict[str, str]:
    """Author login -> display name from the export's wp:author records."""
    names: dict[str, str] = {}
    for child in channel:
        if not child.tag.endswith("}author") or "wordpress.org/export/" not in child.tag:
            continue
        login = _wp_text(child, "author_login")
        display = _wp_text(child, "author_display_name")
        full = " ".join(x for x in (_wp_text(child, "author_first_name"), _wp_text(child, "author_last_name")) if x)
        if login:
            names[login] = unescape(display or full or login)
    return names

"""A page's metadata for search engines, feed readers and social cards, as HTML for its <head>.

Description, canonical and hreflang links, feed links, Open Graph, Twitter card and JSON-LD:
written by the template `partials/head_meta.html` through `head_meta()`. Made here rather than
in Jinja because it was about a quarter of an article's render there, for a few dozen lines
that differ from page to page only in a handful of values.

The bytes are those the template wrote before: every value is escaped as Jinja's autoescape
escapes it (`markupsafe.escape`: a title containing quotes or </script> stays inert), and the
JSON-LD is serialised as Jinja's `tojson` filter does it, with the environment's
`json.dumps_kwargs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from generator.urls import absolute_url


@dataclass(frozen=True, slots=True)
class SiteMeta:
    """What the head metadata of every page in one language shares; made once by `site_meta`."""

    #: The published site's address, which site paths are made absolute against.
    base_url: str
    #: The site's title in the language (og:site_name, the feeds' titles, the publisher).
    title: str
    #: The description of pages that have none of their own.
    description: str
    #: Keyword arguments of `json.dumps` for the JSON-LD: the Jinja environment's `json.dumps_kwargs`.
    json_kwargs: Mapping[str, Any]
    #: `title` and `description` escaped for HTML.
    title_html: str
    description_html: str
    #: The og:site_name and og:locale tags, whole.
    site_name_tag: str
    locale_tag: str
    #: The organisation in JSON-LD: the publisher, and the author of an article that names none.
    publisher: Mapping[str, str]


def site_meta(base_url: str, title: str, description: str, locale: str,
              json_kwargs: Mapping[str, Any]) -> SiteMeta:
    """The shared part of the head metadata of a language's pages (`locale` for og:locale)."""
    title_html = str(escape(title))
    return SiteMeta(
        base_url=base_url,
        title=title,
        description=description,
        json_kwargs=dict(json_kwargs),
        title_html=title_html,
        description_html=str(escape(description)),
        site_name_tag=f'<meta property="og:site_name" content="{title_html}">\n',
        locale_tag=f'<meta property="og:locale" content="{escape(locale)}">\n',
        publisher={"@type": "Organization", "name": title, "url": absolute_url(base_url, "/")},
    )


def head_meta(site: SiteMeta, *, feeds: tuple[str, str], canonical: str = "", description: str = "",
              article: Mapping[str, Any] | None = None, listing_title: str = "",
              listing_feed: tuple[str, str] | None = None, alternates: Iterable[Mapping[str, str]] = (),
              x_default: str = "", alternate_locales: Iterable[str] = ()) -> Markup:
    """The metadata tags of one page.

    `canonical`, `x_default` and the `url` of each of `alternates` (`{lang, url}`) are site
    paths, made absolute here. `feeds` are the links to the language's Atom and RSS feeds as the
    page writes them; `listing_feed` is the (title, link) of a tag's or author's own feed.
    `article` is an article view (see docs/theme.md); an article of kind "article" (not a
    plain page) is also described as a NewsArticle. `description` falls back to the site's,
    and the title to `listing_title`, then the site's. `alternate_locales` are the locales of
    the article's translations.
    """
    base = site.base_url
    if description:
        description_html = str(escape(description))
    else:
        description, description_html = site.description, site.description_html
    url = absolute_url(base, canonical) if canonical else ""
    url_html = str(escape(url))
    is_article = bool(article) and article["kind"] == "article"
    if article:
        title = article["title"]
    else:
        title = listing_title or site.title
    title_html = str(escape(title))
    image = _image_url(base, article) if article else ""
    image_html = str(escape(image))

    out = []
    if description:
        out.append(f'<meta name="description" content="{description_html}">\n')
    if url:
        out.append(f'<link rel="canonical" href="{url_html}">\n')
    for alt in alternates:
        out.append(f'<link rel="alternate" hreflang="{escape(alt["lang"])}" href="{escape(absolute_url(base, alt["url"]))}">\n')
    if x_default:
        out.append(f'<link rel="alternate" hreflang="x-default" href="{escape(absolute_url(base, x_default))}">\n')
    atom, rss = feeds
    out.append(f'<link rel="alternate" type="application/atom+xml" title="{site.title_html}" href="{escape(atom)}">\n'
               f'<link rel="alternate" type="application/rss+xml" title="{site.title_html} (RSS)" href="{escape(rss)}">\n')
    if listing_feed is not None:
        heading, link = listing_feed
        out.append(f'<link rel="alternate" type="application/atom+xml" title="{escape(heading)} — '
                   f'{site.title_html}" href="{escape(link)}">\n')
    out.append(site.site_name_tag)
    out.append(f'<meta property="og:title" content="{title_html}">\n'
               f'<meta property="og:type" content="{"article" if is_article else "website"}">\n')
    if url:
        out.append(f'<meta property="og:url" content="{url_html}">\n')
    if description:
        out.append(f'<meta property="og:description" content="{description_html}">\n')
    out.append(site.locale_tag)
    for locale in alternate_locales:
        out.append(f'<meta property="og:locale:alternate" content="{escape(locale)}">\n')
    if image:
        out.append(f'<meta property="og:image" content="{image_html}">\n')
    if is_article:
        published = article["date_iso"]
        modified = article["updated_iso"] or published
        out.append(f'<meta property="article:published_time" content="{escape(published)}">\n'
                   f'<meta property="article:modified_time" content="{escape(modified)}">\n')
        for tag in article["tags"]:
            out.append(f'<meta property="article:tag" content="{escape(tag["name"])}">\n')
    out.append(f'<meta name="twitter:card" content="{"summary_large_image" if image else "summary"}">\n'
               f'<meta name="twitter:title" content="{title_html}">\n')
    if description:
        out.append(f'<meta name="twitter:description" content="{description_html}">\n')
    if image:
        out.append(f'<meta name="twitter:image" content="{image_html}">\n')
    if is_article:
        ld = _json_ld(site, article, url, description, image)
        out.append(f'<script type="application/ld+json">{htmlsafe_json_dumps(ld, **site.json_kwargs)}</script>\n')
    return Markup("".join(out))


def _image_url(base_url: str, article: Mapping[str, Any]) -> str:
    """The absolute URL of an article's lead image; "" without one."""
    image = article["image"]
    if not image:
        return ""
    if "://" in image:
        return image
    if image.startswith("/"):
        return absolute_url(base_url, image)
    # A plain name is relative to the article's Markdown file (content/LANG/2016/x.md -> /LANG/2016/).
    folder = "/".join(article["source"].split("/")[1:-1])
    return absolute_url(base_url, f"/{folder}/{image}")


def _json_ld(site: SiteMeta, article: Mapping[str, Any], url: str, description: str, image: str) -> dict[str, Any]:
    """The article as a schema.org NewsArticle; keys in the order the template once wrote them,
    so the JSON is the same even with a `json.dumps_kwargs` that does not sort them."""
    published = article["date_iso"]
    ld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article["title"],
        "datePublished": published,
        "dateModified": article["updated_iso"] or published,
        "inLanguage": article["lang"],
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "publisher": site.publisher,
        "author": [{"@type": "Person", "name": a["name"], "url": absolute_url(site.base_url, a["url"])}
                   if a["url"] else {"@type": "Person", "name": a["name"]} for a in article["authors"]],
    }
    if not article["authors"]:
        ld["author"] = [site.publisher]
    if description:
        ld["description"] = description
    if image:
        ld["image"] = [image]
    if article["tags"]:
        ld["keywords"] = [tag["name"] for tag in article["tags"]]
    return ld

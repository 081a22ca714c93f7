"""Pelican settings for the benchmark site; build.py runs one Pelican site per language.

build.py overrides PATH (content/<lang>), OUTPUT_PATH (<output>/<lang>), DEFAULT_LANG
and SITEURL for each language, the way Pelican's i18n sub-sites work. Pages made:
article (with the latest 10 of its language), home and tag pages at 20 per page, the
tag index and year archives; nothing else (no categories, authors, feeds).
"""

SITENAME = "NGO news archive"
AUTHOR = "NGO"
SITEURL = ""
TIMEZONE = "Europe/Minsk"
DEFAULT_LANG = "be"
THEME = "theme"
# YAML front matter comes from the pelican-yaml-metadata package.
PLUGINS = ["pelican.plugins.yaml_metadata"]

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.toc": {},
    },
    "output_format": "html5",
}

ARTICLE_PATHS = [""]
PAGE_PATHS: list[str] = []
STATIC_PATHS: list[str] = []
THEME_STATIC_PATHS: list[str] = []
USE_FOLDER_AS_CATEGORY = False
DEFAULT_CATEGORY = "news"
# Each language is its own site, so translations are not linked.
ARTICLE_TRANSLATION_ID = None
# Tag slugs keep Cyrillic letters, as Hugo's do.
SLUGIFY_USE_UNICODE = True

ARTICLE_URL = "{date:%Y}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{slug}/index.html"
INDEX_SAVE_AS = "index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
TAGS_URL = "tags/"
TAGS_SAVE_AS = "tags/index.html"
YEAR_ARCHIVE_URL = "{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "{date:%Y}/index.html"
DIRECT_TEMPLATES = ["index", "tags"]
PAGINATED_TEMPLATES = {"index": None, "tag": None}
DEFAULT_PAGINATION = 20
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
RELATIVE_URLS = False
# Pelican's opt-in reader cache; build.py --cache DIR turns it on.
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False

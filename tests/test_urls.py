"""Slugs and URL helpers, table-driven: input -> expected output."""

from __future__ import annotations

import posixpath

import pytest

from generator.urls import (
    absolute_url,
    base_path,
    expand_permalink,
    output_path_for,
    paginated_path,
    relative_url,
    slugify,
)

ASCII_SLUGS = [
    # Belarusian: the scheme of the country's human rights community (г -> h, ў -> u, я -> ia after a consonant)
    ("Праваабаронцы", "be", "pravaabarontsy"),
    ("Праваабаронцы пра выбары", "be", "pravaabarontsy-pra-vybary"),
    ("Вясна", "be", "viasna"),
    ("Беларусь", "be", "bielarus"),
    ("Гродна", "be", "hrodna"),
    ("Мінск", "be", "minsk"),  # і kept as i
    ("Воўк", "be", "vouk"),  # ў kept as u, not dropped
    ("Ўсё", "be", "usio"),  # initial ў, ё after a consonant
    ("Ёлка", "be", "yolka"),  # initial ё
    ("сёння", "be", "sionnia"),
    ("Зміцер", "be", "zmitsier"),
    ("Яўген", "be", "yauhien"),
    ("з’езд", "be", "zyezd"),  # apostrophe: the vowel after it is iotated, the mark itself goes
    ("Алесь Бяляцкі", "be", "alies-bialiatski"),
    # Russian: passport-style scheme
    ("Правозащитники", "ru", "pravozashchitniki"),
    ("Вясна", "ru", "vyasna"),
    ("Щёкино", "ru", "shchyokino"),
    ("Объявление", "ru", "obyavlenie"),
    ("Ёж", "ru", "yozh"),
    # Latin and punctuation
    ("Hello, World!", "en", "hello-world"),
    ("  --Mixed   CASE--  ", "en", "mixed-case"),
    ("Café déjà vu", "en", "cafe-deja-vu"),
    ("Straße", "en", "strasse"),
    ("Łódź", "en", "lodz"),
    ("2011: the year", "en", "2011-the-year"),
    # Never empty, never a path, never a device name
    ("", "en", "untitled"),
    ("!!!", "en", "untitled"),
    ("../../etc/passwd", "en", "etc-passwd"),
    ("a\\b/c.d", "en", "a-b-c-d"),
    ("con", "en", "con-1"),
    ("NUL", "en", "nul-1"),
]


@pytest.mark.parametrize(("text", "lang", "expected"), ASCII_SLUGS)
def test_slugify_ascii(text: str, lang: str, expected: str) -> None:
    assert slugify(text, lang) == expected


UNICODE_SLUGS = [
    ("Праваабаронцы пра выбары", "be", "праваабаронцы-пра-выбары"),
    ("Ўсё-ТАК", "be", "ўсё-так"),
    ("Hello World", "en", "hello-world"),
    ("a/b\\c..d", "en", "a-b-c-d"),
    ("Вясна: 2011", "ru", "вясна-2011"),
    ("", "be", "untitled"),
]


@pytest.mark.parametrize(("text", "lang", "expected"), UNICODE_SLUGS)
def test_slugify_unicode_keeps_letters_of_any_script(text: str, lang: str, expected: str) -> None:
    assert slugify(text, lang, mode="unicode") == expected


def test_slugify_cuts_long_titles_at_a_word_boundary() -> None:
    slug = slugify("word " * 40, "en")
    assert slug == "-".join(["word"] * 16)
    assert len(slug) <= 80


def test_slugify_is_the_same_for_nfc_and_nfd_input() -> None:
    assert slugify("Cafe\u0301", "en") == slugify("Caf\u00e9", "en") == "cafe"
    assert slugify("Ўсё", "be", "unicode") == slugify("\u0423\u0306\u0441\u0435\u0308", "be", "unicode")


PERMALINKS = [
    ("/{lang}/{year}/{month}/{slug}/", {"lang": "en", "year": "2011", "month": "03", "slug": "a"}, "/en/2011/03/a/"),
    ("/{lang}/{slug}/", {"lang": "be", "slug": "about"}, "/be/about/"),
    ("/{lang}/{section}/{slug}/", {"lang": "ru", "section": "", "slug": "x"}, "/ru/x/"),  # empty parts collapse
    ("/{year}/{month}/{day}/{slug}/", {"year": "2020", "month": "08", "day": "09", "slug": "s"}, "/2020/08/09/s/"),
    ("/{slug}/", {"slug": "праваабаронцы"}, "/праваабаронцы/"),
]


@pytest.mark.parametrize(("pattern", "values", "expected"), PERMALINKS)
def test_expand_permalink(pattern: str, values: dict[str, str], expected: str) -> None:
    assert expand_permalink(pattern, values) == expected


OUTPUT_PATHS = [
    ("/", "index.html"),
    ("/en/", "en/index.html"),
    ("/en/2011/03/a/", "en/2011/03/a/index.html"),
    ("/404.html", "404.html"),
    ("/en/old/page.html", "en/old/page.html"),
    ("/be/праваабаронцы/", "be/праваабаронцы/index.html"),
]


@pytest.mark.parametrize(("url_path", "expected"), OUTPUT_PATHS)
def test_output_path_for(url_path: str, expected: str) -> None:
    assert output_path_for(url_path) == expected


UNSAFE_PATHS = [
    "/../etc/",
    "/en/../../x/",
    "/en/./a/",
    "en/a/",  # not from the root
    "/a\\b/",
    "/a\0b/",
    "/a\nb/",
    "/con/",
    "/en/aux.html",
    "/a./",
    "/a /",
]


@pytest.mark.parametrize("url_path", UNSAFE_PATHS)
def test_output_path_for_refuses_paths_that_could_leave_output(url_path: str) -> None:
    with pytest.raises(ValueError, match="unsafe URL path"):
        output_path_for(url_path)


RELATIVE = [
    # from, to, portable, expected
    ("/en/2011/03/a/", "/en/tags/x/", True, "../../../../en/tags/x/index.html"),
    ("/en/2011/03/a/", "/en/tags/x/", False, "../../../../en/tags/x/"),
    ("/", "/en/", True, "en/index.html"),
    ("/", "/", True, "index.html"),
    ("/", "/", False, "./"),
    ("/en/", "/static/site.css", True, "../static/site.css"),
    ("/en/page/2/", "/en/", True, "../../../en/index.html"),
    ("/404.html", "/en/", True, "en/index.html"),
    ("/en/a/", "/en/b/#part", False, "../../en/b/#part"),
    ("/be/", "/be/tags/праваабаронцы/", False,
     "../be/tags/%D0%BF%D1%80%D0%B0%D0%B2%D0%B0%D0%B0%D0%B1%D0%B0%D1%80%D0%BE%D0%BD%D1%86%D1%8B/"),
    ("/en/", "/en/a b/", False, "../en/a%20b/"),
]


@pytest.mark.parametrize(("from_path", "to_path", "portable", "expected"), RELATIVE)
def test_relative_url(from_path: str, to_path: str, portable: bool, expected: str) -> None:
    assert relative_url(from_path, to_path, portable) == expected


@pytest.mark.parametrize(("from_path", "to_path", "portable", "expected"), RELATIVE)
def test_relative_url_resolves_back_to_its_target(from_path: str, to_path: str, portable: bool, expected: str) -> None:
    from urllib.parse import unquote

    link = relative_url(from_path, to_path, portable)
    folder = from_path if from_path.endswith("/") else posixpath.dirname(from_path)
    resolved = posixpath.normpath(posixpath.join(folder, unquote(link.split("#")[0])))
    target = to_path.split("#")[0]
    if portable and target.endswith("/"):
        target += "index.html"
    assert resolved == posixpath.normpath(target)


ABSOLUTE = [
    ("https://example.org/", "/en/a/", "https://example.org/en/a/"),
    ("https://example.org", "/en/a/", "https://example.org/en/a/"),
    ("https://example.org/archive/", "/en/a/", "https://example.org/archive/en/a/"),
    ("https://example.org/archive/", "/", "https://example.org/archive/"),
    ("https://example.org/", "/be/праваабаронцы/",
     "https://example.org/be/%D0%BF%D1%80%D0%B0%D0%B2%D0%B0%D0%B0%D0%B1%D0%B0%D1%80%D0%BE%D0%BD%D1%86%D1%8B/"),
]


@pytest.mark.parametrize(("base", "path", "expected"), ABSOLUTE)
def test_absolute_url(base: str, path: str, expected: str) -> None:
    assert absolute_url(base, path) == expected


@pytest.mark.parametrize(("base", "expected"), [
    ("https://example.org/", "/"),
    ("https://example.org", "/"),
    ("https://example.org/archive/", "/archive/"),
    ("https://example.org/archive", "/archive/"),
])
def test_base_path(base: str, expected: str) -> None:
    assert base_path(base) == expected


def test_paginated_path() -> None:
    assert paginated_path("/en/", 1) == "/en/"
    assert paginated_path("/en/", 2) == "/en/page/2/"
    assert paginated_path("/en/tags/x/", 7) == "/en/tags/x/page/7/"

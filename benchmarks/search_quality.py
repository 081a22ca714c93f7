"""Search quality on real-language text: recall within the first 10 results, and how often the
expected article comes first, per language, in headless Chromium over http and from file://.

The archive is the repository's sample site (`content/`, be/ru/en) plus the scraped page dumps
of ../shared/samples/ when they are there, imported with `vestka import dump`. Each query names
the slugs of the articles it must find; most are inflected forms that differ from the text
(case, number, ё/е, apostrophes, ў). Run from the repository root:

    python benchmarks/search_quality.py [--samples DIR] [--json FILE]

It builds the archive in a temporary folder, serves it with `python -m http.server` on
127.0.0.1 and prints one line per language and way of opening the page. The test suite runs
the same measurement (tests/test_search_quality.py) and holds it to the targets.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLES = ROOT.parent / "shared" / "samples"
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

#: (language, query, slugs of the articles it must find within the first 10 results).
QUERIES: list[tuple[str, str, tuple[str, ...]]] = [
    ("be", "палітвязні", ("statement-political-prisoners-2022", "listy-palitviazniam")),
    ("be", "лісты палітвязням", ("listy-palitviazniam",)),
    ("be", "масавых затрыманнях", ("protest-detentions-2020",)),
    ("be", "назіральнікаў", ("observers-presidential-election-2015", "vynik-nazirannia")),
    ("be", "беларуская мова ў судзе", ("pravaabarontsy-pra-movu-sudou",)),
    ("be", "пікет у Віцебску", ("shtrafy-za-pikety",)),
    ("be", "умовы ў калоніі", ("prison-conditions-report-2013",)),
    ("be", "прэмія валанцёрам", ("human-rights-prize-2014",)),
    ("be", "пашпарт консульства", ("pravavaia-dapamoga-emihrantam",)),
    ("be", "штогадовага агляду", ("annual-report-2012",)),
    ("be", "гранатамі", ("protest-detentions-2020",)),
    ("be", "катаванні", ("prison-conditions-report-2013",)),
    ("be", "вынікі назірання", ("vynik-nazirannia",)),
    ("be", "юрысты аднаўляюць дакументы", ("pravavaia-dapamoga-emihrantam",)),
    ("be", "надвор'е і кнігі", ("listy-palitviazniam",)),
    ("be", "ПРАВААБАРОНЦЫ заяўляюць", ("statement-political-prisoners-2022",)),
    ("be", "плакатамі", ("shtrafy-za-pikety",)),
    ("be", "мірны пратэст", ("protest-detentions-2020", "statement-political-prisoners-2022")),
    ("be", "грамадзянская мужнасць", ("human-rights-prize-2014",)),
    ("be", "пасяджэнні па-беларуску", ("pravaabarontsy-pra-movu-sudou",)),
    ("be", "Кацору", ("zatrymanyya-apazitsyyaniery-uladzimier-katsora-i-uladzimier-siakierka-za",)),
    ("be", "Трубкіна", ("sionnia-u-navapolatsku-unachy-byu-zatrymany-hramadzki-aktyvist-aliaksiey-trubkin",)),
    ("be", "актывістаў з Белаазёрску", ("demakratychnyya-aktyvisty-z-bielaaziorska-pad-pilnym-nahliadam-militsyi",)),
    ("ru", "списков задержанных", ("zaderzhaniya-posle-vyborov",)),
    ("ru", "обыск у правозащитника", ("obyski-u-pravozashchitnikov",)),
    ("ru", "посылка заключенному", ("peredachi-v-koloniyu",)),
    ("ru", "горячая линия", ("legal-aid-hotline-2018",)),
    ("ru", "условия в исправительной колонии", ("prison-conditions-report-2013",)),
    ("ru", "наблюдателям на выборах", ("observers-presidential-election-2015",)),
    ("ru", "премии волонтерам", ("human-rights-prize-2014",)),
    ("ru", "суд над Лешко", ("sud-nad-pravozashchitnikom",)),
    ("ru", "уклонение от налога", ("sud-nad-pravozashchitnikom",)),
    ("ru", "День Воли", ("v-slonime-podany-tri-zayavki-na-den-voli", "den-voli-zaderzhaniya")),
    ("ru", "ежегодного обзора", ("annual-report-2012",)),
    ("ru", "светошумовых гранат", ("protest-detentions-2020",)),
    ("ru", "резиновыми пулями", ("protest-detentions-2020",)),
    ("ru", "шествия", ("den-voli-zaderzhaniya",)),
    ("ru", "компьютеры изъяли", ("obyski-u-pravozashchitnikov",)),
    ("ru", "бесплатной правовой помощью", ("legal-aid-hotline-2018",)),
    ("ru", "мирных протестов", ("protest-detentions-2020",)),
    ("ru", "пыток", ("prison-conditions-report-2013",)),
    ("ru", "родственникам заключённых", ("peredachi-v-koloniyu",)),
    ("ru", "Гомель и Витебск", ("obyski-u-pravozashchitnikov",)),
    ("ru", "пикетов в Борисове", ("borisov-za-otkazom-na-provedenie-piketa-prishlos-pokhodit",)),
    ("ru", "Молодой фронт", ("v-breste-zaderzhany-aktivisty-molodogo-fronta",)),
    ("ru", "заявок в райисполком", ("v-slonime-podany-tri-zayavki-na-den-voli",)),
    ("en", "detainees describe beatings", ("okrestina-conditions",)),
    ("en", "lawyer licences", ("lawyer-disbarred",)),
    ("en", "picketing", ("picket-fines-minsk", "brest-activists-appeal-against-picket-bans")),
    ("en", "hotline for relatives of detainees", ("legal-aid-hotline-2018",)),
    ("en", "postcard to a prisoner", ("prisoner-letters-campaign",)),
    ("en", "penal colony conditions", ("prison-conditions-report-2013",)),
    ("en", "observer at a polling station", ("observers-presidential-election-2015",)),
    ("en", "courtroom monitors", ("trial-monitoring-results",)),
    ("en", "volunteers prizes", ("human-rights-prize-2014",)),
    ("en", "stun grenade", ("protest-detentions-2020",)),
    ("en", "thousand political prisoners", ("statement-political-prisoners-2022",)),
    ("en", "annual reviews", ("annual-report-2012",)),
    ("en", "Young Front trials", ("young-front-trial-in-progress",)),
    ("en", "Kirkevich", ("young-front-activist-fined",)),
    ("en", "Viasna's office", ("viasnas-brest-office-under-siege",)),
    ("en", "Akrestsina", ("okrestina-conditions",)),
    ("en", "the ministry's qualification commission", ("lawyer-disbarred",)),
    ("en", "appealed picket ban", ("brest-activists-appeal-against-picket-bans",)),
    ("en", "Zubrytskaya", ("lawyer-disbarred",)),
    ("en", "overcrowded cell", ("okrestina-conditions",)),
    ("en", "rubber bullets", ("protest-detentions-2020",)),
    ("en", "parcel receipts", ("post-election-detentions",)),
    ("en", "summoned to the KGB", ("mikhalevich-fled-from-belarus",
                                   "presidential-candidate-and-former-kgb-prisoner-aliaksei-mikhalevich-fled-from")),
    ("en", "Mikhalevich fleeing", ("mikhalevich-fled-from-belarus",
                                   "presidential-candidate-and-former-kgb-prisoner-aliaksei-mikhalevich-fled-from")),
]
def queries(with_dumps: bool) -> list[tuple[str, str, tuple[str, ...]]]:
    """The queries; without the page dumps, each keeps only the articles of the sample archive,
    and a query that expects none of them is left out."""
    if with_dumps:
        return list(QUERIES)
    local = {path.stem for path in (ROOT / "content").rglob("*.md")}
    kept = [(lang, query, tuple(slug for slug in slugs if slug in local)) for lang, query, slugs in QUERIES]
    return [(lang, query, slugs) for lang, query, slugs in kept if slugs]


def make_archive(folder: Path, samples: Path | None) -> Path:
    """The sample site, plus the page dumps when `samples` is a folder; built; returns output/."""
    site = folder / "site"
    shutil.copytree(ROOT / "content", site / "content")
    shutil.copytree(ROOT / "static", site / "static")  # the logo and icon config.yaml names
    config = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert "search: false" not in config, "the sample site must build with search on"
    (site / "config.yaml").write_text(config, encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT)}
    if samples is not None and samples.is_dir():
        dumps = sorted(str(p) for p in samples.glob("*.txt"))
        subprocess.run([sys.executable, "-m", "generator", "import", "dump", *dumps, "--site", str(site)],
                       check=True, env=env, capture_output=True)
    subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(site)], check=True, env=env,
                   capture_output=True)
    return site / "output"


class Server:
    """`python -m http.server` on 127.0.0.1 over a folder, as a context manager."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
                                      "--directory", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return f"http://127.0.0.1:{port}/"
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("http.server did not start") from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def top_slugs(tab: object, url: str) -> list[str]:
    """The slugs of the first 10 results the search page shows for the query in `url`."""
    tab.goto(url)
    tab.wait_for_selector("#search-results[data-done]", timeout=15_000)
    hrefs = tab.eval_on_selector_all("#search-results li > a", "as => as.map(a => a.getAttribute('href'))")
    return [h.removesuffix("index.html").rstrip("/").rsplit("/", 1)[-1] for h in hrefs[:10]]


def measure(output: Path, chromium: str, with_dumps: bool) -> dict[str, dict[str, dict[str, float]]]:
    """{way: {lang: {"queries", "recall@10", "first", "single"}}} plus the misses, per way."""
    import playwright.sync_api as playwright

    figures: dict[str, dict] = {}
    with Server(output) as server, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROME_ARGS)
        try:
            tab = browser.new_page()
            for way in ("http", "file"):
                per_lang: dict[str, dict] = {}
                for lang, query, expected in queries(with_dumps):
                    if way == "http":
                        url = f"{server}{lang}/search/?q={quote(query)}"
                    else:
                        url = (output / lang / "search" / "index.html").as_uri() + f"?q={quote(query)}"
                    got = top_slugs(tab, url)
                    row = per_lang.setdefault(lang, {"queries": 0, "expected": 0, "found": 0, "single": 0,
                                                     "first": 0, "misses": []})
                    row["queries"] += 1
                    row["expected"] += len(expected)
                    row["found"] += sum(1 for slug in expected if slug in got)
                    if len(expected) == 1:
                        row["single"] += 1
                        row["first"] += int(bool(got) and got[0] == expected[0])
                    if not set(expected) <= set(got) or (len(expected) == 1 and got[:1] != list(expected)):
                        row["misses"].append({"query": query, "expected": list(expected), "got": got[:3]})
                for row in per_lang.values():
                    row["recall@10"] = row["found"] / row["expected"]
                    row["first share"] = row["first"] / row["single"] if row["single"] else 1.0
                figures[way] = per_lang
        finally:
            browser.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES, help="folder of page dumps to import")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    with_dumps = args.samples.is_dir()
    with tempfile.TemporaryDirectory(prefix="vestka-quality-") as tmp:
        output = make_archive(Path(tmp), args.samples if with_dumps else None)
        figures = measure(output, args.chromium, with_dumps)
    print(f"archive: sample site{' + page dumps' if with_dumps else ''}")
    print("way   lang  queries  recall@10  first (single-article queries)")
    for way, per_lang in figures.items():
        for lang, row in sorted(per_lang.items()):
            print(f"{way:5} {lang:5} {row['queries']:7}  {row['recall@10']:9.3f}  "
                  f"{row['first share']:.3f} ({row['first']}/{row['single']})")
            for miss in row["misses"]:
                print(f"      miss: {miss}")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

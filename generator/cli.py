"""The `vestka` command: parse arguments, call one function, print its report.

Exit codes: 0 success, 1 content or config errors, 2 usage errors, 70 an internal error (a bug). Command modules are
imported when their command runs, so `vestka --help` stays fast. Only this module prints.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import os
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from generator import __version__
from generator.errors import Problem, VestkaError

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(_serve_defaults(argv))
    args = parser.parse_args(argv)
    _ran[:] = [getattr(args, "command", None) or ""]
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except VestkaError as exc:
        _print_error(exc, sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_ERRORS
    except KeyboardInterrupt:
        print("\ninterrupted; output/ is unchanged", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so plainly, the traceback only on request
        if os.environ.get("VESTKA_DEBUG"):
            raise
        where = traceback.extract_tb(exc.__traceback__)[-1]
        print(f"internal error: {type(exc).__name__}: {exc}\n  at {Path(where.filename).name}:{where.lineno} — "
              "this is a bug in Vestka; run again with VESTKA_DEBUG=1 for the full traceback and report it",
              file=sys.stderr)
        return EXIT_INTERNAL


#: The command `main` ran last (see `entry`).
_ran: list[str] = []
#: Set by `entry`: this process ends when its command does (callers of `main` go on).
_ending: list[bool] = []


def entry() -> NoReturn:
    """The `vestka` command and `python -m generator`: `main`, then a quick exit.

    A build leaves a great many objects behind. Freeing them one by one as the interpreter shuts
    down took a tenth of a second at 10,000 articles, a twentieth of a one-article edit, and
    nothing is left to do by then but to flush what is written. Only a build ends so: other
    commands may leave clean-up to finalizers (a deploy's temporary folders), and any thread
    still running gets the usual shutdown, which waits for it.
    """
    _ending[:] = [True]
    code = main()
    if _ran != ["build"] or threading.active_count() > 1:
        sys.exit(code)
    if "logging" in sys.modules:  # its handlers flush at exit, and some library may have added one
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (| head) or a closed stream
            stream.flush()
    os._exit(code)


#: Kept in step with generator.deploy.METHODS by a test (importing deploy here would slow every command).
DEPLOY_SCHEMES = """target schemes:
  file:///var/www/site                      a folder on this machine
  rsync://user@host/var/www/site            rsync over ssh (also ssh://user@host/var/www/site)
  git+ssh://git@host/org/site.git#gh-pages  a branch of a git repository (also git+file:///path/repo.git#branch)
  s3://bucket/prefix?endpoint=https://...   an S3 bucket (AWS, MinIO, SeaweedFS, ...)"""


def _help(example: str, docs: str, extra: str = "") -> dict:
    """The parts of a subcommand's --help after the options: an example and its docs page."""
    epilog = (extra + "\n\n" if extra else "") + f"example:\n  {example}\n\ndocs: {docs} in Vestka's source"
    return {"epilog": epilog, "formatter_class": argparse.RawDescriptionHelpFormatter}


def _parser(serve: tuple[str, int] = ("127.0.0.1", 8000)) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vestka", description="Build, preview, import and publish a news archive.",
                                     epilog="Every command has --help. Docs: README.md and docs/ in Vestka's source.")
    parser.add_argument("--version", action="version", version=f"vestka {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    loudness = common.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="say more (stage times, every file)")
    loudness.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    sited = argparse.ArgumentParser(add_help=False, parents=[common])
    sited.add_argument("-s", "--site", type=Path, default=Path("."), metavar="DIR",
                       help="the site folder, holding config.yaml (default: the current folder)")

    def command(name: str, summary: str, parent: argparse.ArgumentParser, **extra: object) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".",
                              parents=[parent], **extra)

    p = command("build", "build the site into output/", sited,
                **_help("vestka build -s mysite --strict", "README.md, section Commands"))
    p.add_argument("-o", "--output", type=Path, metavar="DIR", help="output folder (default: SITE/output)")
    p.add_argument("--drafts", action="store_true", help="include drafts (for previews only)")
    p.add_argument("--future", action="store_true", help="include articles dated in the future")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not update .vestka-cache/")
    p.add_argument("--zip", type=Path, metavar="FILE",
                   help="also write the portable site as one zip with a SHA256SUMS manifest (for mirrors, USB sticks)")
    p.set_defaults(run=cmd_build)

    p = command("check", "validate config, content, links and templates; write nothing", sited,
                **_help("vestka check --strict", "README.md, section Content"))
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(run=cmd_check)

    p = command("new", "create a new site with example articles", common,
                **_help("vestka new mysite && cd mysite && vestka build", "README.md, section Quick start"))
    p.add_argument("dir", type=Path, metavar="DIR", help="folder to create (must not exist or be empty)")
    p.set_defaults(run=cmd_new)

    p = command("new-article", "create an article file with its front matter filled in", sited,
                **_help('vestka new-article --lang be "Праваабаронцы пра выбары"', "README.md, section Content"))
    p.add_argument("-l", "--lang", metavar="L", help="language code (default: the site's default language)")
    p.add_argument("--slug", help="file name and URL slug (default: made from the title); "
                                  "needed when another article of the year has the same title")
    p.add_argument("title", help="the article's title")
    p.set_defaults(run=cmd_new_article)

    host, port = serve
    p = command("serve", "build, serve on this machine and rebuild on every change, with live reload", sited,
                **_help("vestka serve -p 8080 --drafts", "docs/serve.md"))
    p.add_argument("--host", help=f"address to bind (default: {host}, from serve.host in config.yaml)")
    p.add_argument("-p", "--port", type=int, help=f"port (default: {port}, from serve.port in config.yaml; "
                                                  "the next free one is taken if busy)")
    p.add_argument("--drafts", action="store_true", help="show drafts, with a Draft badge")
    p.add_argument("--future", action="store_true", help="show articles dated in the future")
    p.add_argument("--open", action="store_true", help="open the site in a browser")
    p.set_defaults(run=cmd_serve)

    p = command("import", "convert legacy content into content/", sited,
                **_help("vestka import wordpress export.xml --dry-run", "docs/importing.md"))
    p.add_argument("format", metavar="FORMAT", choices=IMPORT_FORMATS,
                   help=f"one of: {', '.join(IMPORT_FORMATS)}")
    p.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="files or folders to import")
    p.add_argument("-l", "--lang", metavar="L",
                   help="language of items whose source declares none (a declared language is kept)")
    p.add_argument("--force-lang", metavar="L", help="language of every item, overriding what the source declares")
    p.add_argument("--section", metavar="NAME",
                   help="import only this section of a Hugo or Jekyll site (a folder name or path)")
    p.add_argument("--fetch-media", action="store_true",
                   help="download remote images and files the items use into content/media/ (cached; "
                        "otherwise nothing is requested from other hosts)")
    p.add_argument("--dry-run", action="store_true", help="write nothing; print what would be written")
    p.add_argument("--force", action="store_true", help="overwrite files edited by hand since their import")
    p.set_defaults(run=cmd_import)

    p = command("deploy", "publish output/ to a target from config.yaml or a URL", sited,
                **_help("vestka deploy production --dry-run", "docs/deploy.md", DEPLOY_SCHEMES))
    p.add_argument("target", nargs="?", metavar="TARGET", help="target name or URL (default: the first target)")
    p.add_argument("--dry-run", action="store_true", help="print the plan, conflicts included; change nothing")
    p.add_argument("--force", action="store_true",
                   help="replace and delete files at the target that the last deploy did not write")
    p.add_argument("--build", action="store_true", help="build the site first")
    p.set_defaults(run=cmd_deploy)
    return parser


#: Kept in step with generator.importer.FORMATS by a test.
IMPORT_FORMATS = ("dump", "html", "wordpress", "feed", "jekyll", "hugo")


def _serve_defaults(argv: list[str]) -> tuple[str, int]:
    """serve.host and serve.port of the site named in `argv`, for `vestka serve --help` only."""
    if not argv or argv[0] != "serve" or not {"-h", "--help"} & set(argv):
        return ("127.0.0.1", 8000)
    site = Path(".")
    for i, arg in enumerate(argv[:-1]):
        if arg in ("-s", "--site"):
            site = Path(argv[i + 1])
    site = next((Path(a.split("=", 1)[1]) for a in argv if a.startswith("--site=")), site)
    from generator.config import load_config

    try:
        config = load_config(site)
    except VestkaError:
        from generator.config import ServeConfig

        return (ServeConfig.host, ServeConfig.port)
    return (config.serve.host, config.serve.port)


# --- commands ---------------------------------------------------------------------------------


def _config(args: argparse.Namespace, output: Path | None = None):
    from generator.config import load_config

    config = load_config(args.site)
    if output is not None:
        config = dataclasses.replace(config, output_override=output.resolve())
    return config


def _say(args: argparse.Namespace, *lines: str) -> None:
    """Print the normal report of a command; -q keeps it back."""
    if not args.quiet:
        for line in lines:
            print(line)


def cmd_build(args: argparse.Namespace) -> int:
    from generator.build import Options, build

    config = _config(args, args.output)
    progress = _Progress(sys.stderr, shown=not args.quiet)
    started = time.perf_counter()
    if _ending:
        # No cyclic garbage collection in a process that ends with the build (see `entry`): the
        # build turns it back on as it was, and the first collection after a build walked
        # everything the build had made, a tenth of a one-article edit.
        gc.disable()
    result = build(config, Options(drafts=args.drafts, future=args.future, strict=args.strict,
                                   use_cache=not args.no_cache, progress=progress))
    progress.done()
    _print_problems(result.problems, sys.stderr)
    elapsed = time.perf_counter() - started
    _say(args, f"Built {result.pages} pages and {result.listings} lists: {result.files_written} "
               f"file{'s' if result.files_written != 1 else ''} written, "
               f"{result.files_unchanged} unchanged, {result.files_removed} removed in {elapsed:.2f} s "
               f"-> {_shown(config.output_dir)}")
    if "search index" in result.timings:
        _say(args, f"  search index built in {result.timings['search index']:.2f} s")
    if args.verbose:
        _say(args, _timings(result.timings))
    if args.zip:
        from generator.bundle import write_bundle

        count, digest = write_bundle(config.output_dir, args.zip)
        _say(args, f"Bundled {count} files into {_shown(args.zip)} (SHA-256 {digest}; checksum beside it)")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from generator.build import Options, build
    from generator.errors import ContentError

    config = _config(args)
    try:
        result = build(config, Options(strict=args.strict, check_only=True, use_cache=False))
    except ContentError as exc:  # a check lists everything it found, warnings too, and builds nothing
        _print_problems(exc.problems, sys.stderr, limit=None)
        print(f"check failed: {_counts(exc.problems)}", file=sys.stderr)
        return EXIT_ERRORS
    _print_problems(result.problems, sys.stderr, limit=None)
    warnings = sum(1 for p in result.problems if p.severity == "warning")
    _say(args, f"OK: {result.pages} pages, {result.listings} lists, {warnings} warning{'s' if warnings != 1 else ''}")
    if args.verbose:
        _say(args, _timings(result.timings))
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from generator.scaffold import new_site

    created = new_site(args.dir)
    _say(args, f"Created a new site in {_shown(args.dir)} ({len(created)} files). Next:",
         f"  cd {args.dir}", "  vestka build", "  vestka serve")
    if args.verbose:
        _say(args, *(f"  wrote {_shown(path)}" for path in created))
    return EXIT_OK


def cmd_new_article(args: argparse.Namespace) -> int:
    from generator.scaffold import new_article

    config = _config(args)
    path = new_article(config, args.title, args.lang, slug=args.slug)
    _say(args, _shown(path))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from generator.serve import serve

    config = _config(args)
    out = open(os.devnull, "w", encoding="utf-8") if args.quiet else sys.stdout  # noqa: SIM115 - lives as long as serve
    return serve(config, host=args.host, port=args.port, drafts=args.drafts, future=args.future,
                 open_browser=args.open, out=out, verbose=args.verbose)


def cmd_import(args: argparse.Namespace) -> int:
    from generator.importer import run_import

    config = _config(args)
    progress = _Progress(sys.stderr, shown=not args.quiet)
    report = run_import(args.format, list(args.sources), config, lang=args.lang, force_lang=args.force_lang,
                        section=args.section, fetch_media=args.fetch_media, dry_run=args.dry_run,
                        force=args.force, progress=lambda done, total: progress("import", done, total))
    progress.done()
    _say(args, *report.summary_lines())
    if args.verbose and not args.dry_run:
        _say(args, *(f"  wrote {path}  <- {ref}" for path, ref in report.written))
    return EXIT_OK


def cmd_deploy(args: argparse.Namespace) -> int:
    from generator.deploy import deploy, resolve_target

    config = _config(args)
    target = resolve_target(config.deploy, args.target)
    if args.build:
        from generator.build import Options, build

        build(config, Options())
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr))
    result = deploy(config.output_dir, target, dry_run=args.dry_run, force=args.force, progress=say)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.dry_run or args.verbose:
        _say(args, *result.plan_lines())
    _say(args, ("dry run, nothing changed: " if args.dry_run else f"deployed to {target.name}: ") + result.summary())
    return EXIT_OK


# --- output -----------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _print_error(exc: VestkaError, out: TextIO) -> None:
    """An error, said once: a lone problem stands for itself; several come under the error's summary."""
    head = exc.args[0] if exc.args else "error"
    errors = [p for p in exc.problems if p.severity == "error"]
    shown = errors or exc.problems
    if len(shown) == 1 and not exc.summary:
        print(shown[0], file=out)
    else:
        print(f"error: {head}", file=out)
        _print_problems(shown, out, indent="  ", limit=None)
    warnings = len(exc.problems) - len(errors) if errors else 0
    if warnings:
        print(f"  (and {warnings} warning{'s' if warnings != 1 else ''}; 'vestka check' lists them)", file=out)


def _counts(problems: list[Problem]) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    files = len({p.file for p in problems})
    return (f"{errors} error{'s' if errors != 1 else ''} and {warnings} warning{'s' if warnings != 1 else ''} "
            f"in {files} file{'s' if files != 1 else ''}")


def _timings(timings: dict[str, float]) -> str:
    return "  " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in timings.items())


def _print_problems(problems: list[Problem], out: TextIO, indent: str = "", limit: int | None = 20) -> None:
    """Print problems; a long list of warnings is cut, pointing at `vestka check` for the rest."""
    shown = problems if limit is None else problems[:limit]
    for problem in shown:
        print(f"{indent}{problem}", file=out)
    if len(problems) > len(shown):
        print(f"{indent}... and {len(problems) - len(shown)} more; run 'vestka check' to see them all", file=out)


class _Progress:
    """A one-line progress display on a terminal, shown only for stages longer than a second."""

    def __init__(self, out: TextIO, shown: bool = True) -> None:
        self.out = out
        self.enabled = shown
        self.start = time.perf_counter()
        self.shown = False
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or not total:  # a stage starting: nothing to show yet
            return
        now = time.perf_counter()
        interval = 0.1 if self.out.isatty() else 5.0  # logs get a line now and then, not a flood
        if now - self.start < 1.0 or now - self.last < interval:
            return
        self.last = now
        width = 30
        filled = int(width * done / total) if total else width
        line = f"{stage:<9} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if self.out.isatty():
            self.out.write("\r" + line)
        else:
            self.out.write(line + "\n")
        self.out.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown and self.out.isatty():
            self.out.write("\r" + " " * 60 + "\r")
            self.out.flush()

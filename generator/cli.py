"""The `vestka` command: parse arguments, call one function, print its report.

Exit codes: 0 success, 1 content or config errors, 2 usage errors, 70 an internal error (a bug). Command modules are
imported when their command runs, so `vestka --help` stays fast. Only this module prints.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from generator import __version__
from generator.errors import Problem, VestkaError

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except VestkaError as exc:
        _print_error(exc, sys.stderr)
        return EXIT_ERRORS
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vestka", description="Build, preview, import and publish a news archive.")
    parser.add_argument("--version", action="version", version=f"vestka {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def site_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                       help="the site folder, holding config.yaml (default: the current folder)")

    p = sub.add_parser("build", help="build the site into output/")
    site_arg(p)
    p.add_argument("--output", type=Path, metavar="DIR", help="output folder (default: SITE/output)")
    p.add_argument("--drafts", action="store_true", help="include drafts (for previews only)")
    p.add_argument("--future", action="store_true", help="include articles dated in the future")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not update .vestka-cache/")
    p.add_argument("--zip", type=Path, metavar="FILE",
                   help="also write the portable site as one zip with a SHA256SUMS manifest (for mirrors, USB sticks)")
    p.add_argument("--verbose", "-v", action="store_true", help="print the time of each stage")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("check", help="validate config, content and templates; write nothing")
    site_arg(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("new", help="create a new site with example articles")
    p.add_argument("dir", type=Path, metavar="DIR", help="folder to create (must not exist or be empty)")
    p.set_defaults(run=cmd_new)

    p = sub.add_parser("new-article", help="create an article file with its front matter filled in")
    site_arg(p)
    p.add_argument("--lang", metavar="L", help="language code (default: the site's default language)")
    p.add_argument("title", help="the article's title")
    p.set_defaults(run=cmd_new_article)

    p = sub.add_parser("serve", help="build, serve and rebuild on change, with live reload")
    site_arg(p)
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000; the next free one is taken if busy)")
    p.add_argument("--drafts", action="store_true", help="show drafts, with a Draft badge")
    p.add_argument("--future", action="store_true", help="show articles dated in the future")
    p.add_argument("--open", action="store_true", help="open the site in a browser")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("import", help="convert legacy content into content/")
    site_arg(p)
    p.add_argument("format", metavar="FORMAT", help="dump, html, wordpress, feed, jekyll or hugo")
    p.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="files or folders to import")
    p.add_argument("--lang", metavar="L",
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

    p = sub.add_parser("deploy", help="publish output/ to a target from config.yaml or a URL")
    site_arg(p)
    p.add_argument("target", nargs="?", metavar="TARGET", help="target name or URL (default: the first target)")
    p.add_argument("--dry-run", action="store_true", help="print the plan, conflicts included; change nothing")
    p.add_argument("--force", action="store_true",
                   help="replace and delete files at the target that the last deploy did not write")
    p.add_argument("--build", action="store_true", help="build the site first")
    p.set_defaults(run=cmd_deploy)
    return parser


# --- commands ---------------------------------------------------------------------------------


def _config(args: argparse.Namespace, output: Path | None = None):
    from generator.config import load_config

    config = load_config(args.site)
    if output is not None:
        config = dataclasses.replace(config, output_override=output.resolve())
    return config


def cmd_build(args: argparse.Namespace) -> int:
    from generator.build import Options, build

    config = _config(args, args.output)
    progress = _Progress(sys.stderr)
    started = time.perf_counter()
    result = build(config, Options(drafts=args.drafts, future=args.future, strict=args.strict,
                                   use_cache=not args.no_cache, progress=progress))
    progress.done()
    _print_problems(result.problems, sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"Built {result.pages} pages and {result.listings} lists: {result.files_written} "
          f"file{'s' if result.files_written != 1 else ''} written, "
          f"{result.files_unchanged} unchanged, {result.files_removed} removed in {elapsed:.2f} s "
          f"-> {_shown(config.output_dir)}")
    if "search index" in result.timings:
        print(f"  search index built in {result.timings['search index']:.2f} s")
    if args.verbose:
        print("  " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in result.timings.items()))
    if args.zip:
        from generator.bundle import write_bundle

        count, digest = write_bundle(config.output_dir, args.zip)
        print(f"Bundled {count} files into {_shown(args.zip)} (SHA-256 {digest}; checksum beside it)")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from generator.build import Options, build

    config = _config(args)
    result = build(config, Options(strict=args.strict, check_only=True, use_cache=False))
    _print_problems(result.problems, sys.stderr, limit=None)
    warnings = sum(1 for p in result.problems if p.severity == "warning")
    print(f"OK: {result.pages} pages, {result.listings} lists, {warnings} warning{'s' if warnings != 1 else ''}")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from generator.scaffold import new_site

    created = new_site(args.dir)
    print(f"Created a new site in {_shown(args.dir)} ({len(created)} files). Next:\n"
          f"  cd {args.dir}\n  vestka build\n  vestka serve")
    return EXIT_OK


def cmd_new_article(args: argparse.Namespace) -> int:
    from generator.scaffold import new_article

    config = _config(args)
    path = new_article(config, args.title, args.lang)
    print(_shown(path))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from generator.serve import serve

    config = _config(args)
    return serve(config, host=args.host, port=args.port, drafts=args.drafts, future=args.future,
                 open_browser=args.open, out=sys.stdout)


def cmd_import(args: argparse.Namespace) -> int:
    from generator.importer import run_import

    config = _config(args)
    progress = _Progress(sys.stderr)
    report = run_import(args.format, list(args.sources), config, lang=args.lang, force_lang=args.force_lang,
                        section=args.section, fetch_media=args.fetch_media, dry_run=args.dry_run,
                        force=args.force, progress=lambda done, total: progress("import", done, total))
    progress.done()
    for line in report.summary_lines():
        print(line)
    return EXIT_OK


def cmd_deploy(args: argparse.Namespace) -> int:
    from generator.deploy import deploy, resolve_target

    config = _config(args)
    target = resolve_target(config.deploy, args.target)
    if args.build:
        from generator.build import Options, build

        build(config, Options())
    result = deploy(config.output_dir, target, dry_run=args.dry_run, force=args.force, progress=lambda line: print(line, file=sys.stderr))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for line in result.plan_lines() if args.dry_run else []:
        print(line)
    print(("dry run, nothing changed: " if args.dry_run else f"deployed to {target.name}: ") + result.summary())
    return EXIT_OK


# --- output -----------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _print_error(exc: VestkaError, out: TextIO) -> None:
    head = exc.args[0] if exc.args else "error"
    print(f"error: {head}", file=out)
    errors = [p for p in exc.problems if p.severity == "error"]
    _print_problems(errors or exc.problems, out, indent="  ", limit=None)
    warnings = len(exc.problems) - len(errors) if errors else 0
    if warnings:
        print(f"  (and {warnings} warning{'s' if warnings != 1 else ''}; 'vestka check' lists them)", file=out)


def _print_problems(problems: list[Problem], out: TextIO, indent: str = "", limit: int | None = 20) -> None:
    """Print problems; a long list of warnings is cut, pointing at `vestka check` for the rest."""
    shown = problems if limit is None else problems[:limit]
    for problem in shown:
        print(f"{indent}{problem}", file=out)
    if len(problems) > len(shown):
        print(f"{indent}... and {len(problems) - len(shown)} more; run 'vestka check' to see them all", file=out)


class _Progress:
    """A one-line progress display on a terminal, shown only for stages longer than a second."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.start = time.perf_counter()
        self.shown = False
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
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

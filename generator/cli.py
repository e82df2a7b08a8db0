"""`python -m generator`: load, validate, render and write the generated code.

Exit status: 0 when everything is in order, 1 for spec problems or (with `--check`) drift,
2 for bad command-line usage. Only this module prints or exits.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from generator import output
from generator.extensions import stale_imports
from generator.format import format_python
from generator.load import SpecDocument, load_document, spec_files
from generator.problems import Problem
from generator.render import render
from generator.validate import build_spec


def _display(path: Path, root: Path) -> str:
    """How a spec path appears in messages and headers: relative to the project, never absolute."""
    try:
        shown = Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        shown = path.name
    # A file name must not be able to break out of the comment it is quoted in.
    return shown.encode("unicode_escape").decode("ascii")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator",
        description="Generate models, schemas, routers and tests from a resource spec.",
    )
    parser.add_argument(
        "--spec",
        type=Path,
        default=Path("spec"),
        help="a spec file, or a folder of *.yaml files (default: spec/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("generated"),
        help="the folder to write (default: generated/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; print a diff and exit 1 if the folder is not up to date",
    )
    return parser


def _report(problems: list[Problem], spec_shown: str, out_shown: str) -> int:
    for problem in sorted(problems):
        print(problem.format(), file=sys.stderr)
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    print(f"{spec_shown}: {count} {noun}; {out_shown}/ left unchanged", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    spec_path: Path = args.spec
    out_dir: Path = args.out
    root = out_dir.resolve().parent
    spec_shown = _display(spec_path, Path.cwd()) + ("/" if spec_path.is_dir() else "")
    spec_source = _display(spec_path, root) + ("/" if spec_path.is_dir() else "")
    out_shown = _display(out_dir, Path.cwd())

    if not spec_path.exists():
        print(f"{spec_shown}: no such file or folder", file=sys.stderr)
        return 2
    files = spec_files(spec_path)
    if not files:
        print(f"{spec_shown}: no *.yaml or *.yml spec files in this folder", file=sys.stderr)
        return 1

    documents: list[SpecDocument] = []
    problems: list[Problem] = []
    for path in files:
        shown = _display(path, Path.cwd())
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(shown, 1, 1, "", f"cannot read the file: {error}"))
            continue
        document, found = load_document(text, file=shown, source=_display(path, root))
        problems += found
        if document is not None:
            documents.append(document)
    if problems:
        return _report(problems, spec_shown, out_shown)

    spec, problems = build_spec(documents, source=spec_source)
    if spec is None:
        return _report(problems, spec_shown, out_shown)

    rendered = format_python(render(spec))
    changes = output.plan(out_dir, rendered)
    for stray in changes.strays:
        print(f"warning: {out_shown}/{stray} is not generated; left alone", file=sys.stderr)
    for stale in stale_imports(root, out_dir.resolve().name, rendered):
        print(stale.format(spec_shown), file=sys.stderr)

    if args.check:
        if changes.drift:
            sys.stdout.write(output.diff(out_dir, rendered, changes))
            print(
                f"{out_shown}/ is out of date with {spec_shown}: "
                f"{len(changes.write)} to write, {len(changes.delete)} to delete. "
                "Run `make generate` (python -m generator) and commit the result.",
                file=sys.stderr,
            )
            return 1
        print(f"{out_shown}/ is up to date with {spec_shown} ({changes.unchanged} files)")
        return 0

    output.apply(out_dir, changes)
    print(
        f"{out_shown}/: {len(changes.write)} written, {len(changes.delete)} deleted, "
        f"{changes.unchanged} unchanged"
    )
    return 0

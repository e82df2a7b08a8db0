"""`make golden`: rewrite the golden cases' expected output from the current generator.

    python -m tests.generator.update_golden            # every case
    python -m tests.generator.update_golden task ...   # only these cases

Review the result with `git diff tests/generator/cases` before committing it: every changed
byte there is a change in what users get.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tests.generator.test_golden import CASES, case_dirs, rewrite_golden


def main(argv: Sequence[str]) -> int:
    cases = [CASES / name for name in argv] if argv else case_dirs()
    unknown = [case.name for case in cases if not (case / "spec.yaml").is_file()]
    if unknown:
        print(f"no such case: {', '.join(unknown)}", file=sys.stderr)
        return 2
    failed = 0
    with tempfile.TemporaryDirectory(prefix="golden-") as scratch:
        for case in cases:
            try:
                print(rewrite_golden(case, Path(scratch) / case.name))
            except RuntimeError as error:
                print(error, file=sys.stderr)
                failed += 1
    print("review the changes with `git diff tests/generator/cases` before committing them")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

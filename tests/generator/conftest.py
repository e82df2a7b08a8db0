"""Keep pytest out of the golden cases: their expected trees hold generated contract tests
(`expected/tests/test_*_contract.py`) that are data to compare, not tests to collect."""

collect_ignore = ["cases"]

"""Root conftest: the shared fixtures serve both tests/ and the generated contract tests.

The generated tests in generated/tests/ only name fixtures (`client`, `owner`, `other_owner`);
they never import hand-written code, which keeps the dependency pointing one way.
"""

pytest_plugins = ["tests.bearer", "tests.fixtures"]

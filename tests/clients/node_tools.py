"""openapi-typescript and tsc, pinned, installed with npm into a cache directory once.

`.ci/run` installs them before the tests (`python -m tests.clients.node_tools install`) and sets
REQUIRE_NODE_TOOLS=1, so a missing tool fails CI; elsewhere a test installs them on first use,
or skips, saying why, when npm is not on the machine.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PINNED = {"openapi-typescript": "7.13.0", "typescript": "5.9.3"}
"""openapi-typescript 7 supports TypeScript 5 (its peer dependency)."""
NPM_INSTALL_SECONDS = 300


def tools_dir() -> Path:
    """NODE_TOOLS_DIR, or a directory of the user's cache named after the pinned versions."""
    configured = os.environ.get("NODE_TOOLS_DIR")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    pins = "_".join(f"{name}-{version}" for name, version in sorted(PINNED.items()))
    return cache / "crudgen" / f"node-tools-{pins}"


def tool(name: str) -> Path:
    return tools_dir() / "node_modules" / ".bin" / name


def missing_reason() -> str | None:
    """Why the tools cannot be had, or None once they are installed."""
    if tool("openapi-typescript").exists() and tool("tsc").exists():
        return None
    if shutil.which("npm") is None or shutil.which("node") is None:
        return "TypeScript client test skipped: node and npm are needed (node 20 or later)"
    install()
    return None


def install() -> Path:
    """`npm install` the pinned tools into tools_dir(), atomically and under a lock."""
    target = tools_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tool("tsc").exists() and tool("openapi-typescript").exists():
            return target
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{target.name}."))
        packages = [f"{name}@{version}" for name, version in sorted(PINNED.items())]
        command = ["npm", "install", "--prefix", str(staging), "--no-save", "--no-audit"]
        command += ["--no-fund", "--loglevel=error", *packages]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=NPM_INSTALL_SECONDS, check=False
        )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m tests.clients.node_tools install")
    print(install())

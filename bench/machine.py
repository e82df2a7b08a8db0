"""What the machine says: CPU time and memory of processes from /proc, and the versions the
report's header names. The /proc parsers are pure; the rest reads the live system.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import re
import resource
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from bench.config import ROOT


def parse_proc_stat(text: str) -> tuple[str, int]:
    """(comm, utime + stime in clock ticks) from the text of /proc/<pid>/stat."""
    # comm is in parentheses and may itself contain spaces or ')': split at the last ')'.
    open_paren, close_paren = text.index("("), text.rindex(")")
    comm = text[open_paren + 1 : close_paren]
    fields = text[close_paren + 2 :].split()
    # After comm the fields start at number 3 (state); utime and stime are numbers 14 and 15.
    return comm, int(fields[14 - 3]) + int(fields[15 - 3])


def parse_vm_rss_kib(text: str) -> int:
    """VmRSS in KiB from the text of /proc/<pid>/status."""
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    if match is None:
        raise ValueError("no VmRSS line (has the process exited?)")
    return int(match.group(1))


def parse_cpu_busy_ticks(proc_stat: str) -> int:
    """Busy clock ticks of all CPUs from /proc/stat (everything but idle and iowait)."""
    fields = proc_stat.splitlines()[0].split()
    assert fields[0] == "cpu", "the first line of /proc/stat is the total"
    values = [int(value) for value in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(values) - values[3] - values[4]


def read_proc(path: str) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace")


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn --workers N: the supervisor and its workers)."""
    found, index = [pid], 0
    while index < len(found):
        parent = found[index]
        index += 1
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                found += [int(child) for child in task.read_text().split()]
            except OSError:  # the process or thread ended meanwhile
                continue
    return found


def process_cpu_ticks(pid: int) -> int:
    """CPU ticks of `pid` and its descendants (a worker that ended is no longer counted)."""
    total = 0
    for member in process_tree(pid):
        try:
            total += parse_proc_stat(read_proc(f"/proc/{member}/stat"))[1]
        except OSError:
            continue
    return total


def process_rss_kib(pid: int) -> int:
    """VmRSS of `pid` and its descendants, summed."""
    total = 0
    for member in process_tree(pid):
        try:
            total += parse_vm_rss_kib(read_proc(f"/proc/{member}/status"))
        except OSError:
            continue
    return total


POSTGRES_BACKGROUND = (
    "background writer",
    "checkpointer",
    "walwriter",
    "wal writer",
    "autovacuum",
    "logical replication",
    "archiver",
    "stats collector",
)


def postgres_client_database(cmdline: str) -> str | None:
    """The database of a PostgreSQL client backend from its /proc/<pid>/cmdline (ps display),
    or None for the postmaster and background processes.

    A backend shows "postgres: 15/main: <user> <database> <host>(<port>) <state>".
    """
    text = cmdline.replace("\0", " ").strip()
    match = re.match(r"postgres: (?:[^:]+: )?(.*)$", text)
    if match is None or match.group(1).startswith(POSTGRES_BACKGROUND):
        return None
    parts = match.group(1).split()
    return parts[1] if len(parts) >= 2 else None


def postgres_cpu_ticks(databases: Iterable[str]) -> dict[int, int]:
    """utime + stime by pid of the PostgreSQL processes serving `databases`, plus its background
    processes. Backends of other databases (someone else's tests, say) are left out; they show
    up as "other CPU" instead.
    """
    wanted = set(databases)
    ticks_by_pid: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            comm, ticks = parse_proc_stat(read_proc(f"/proc/{entry.name}/stat"))
            if comm != "postgres":
                continue
            database = postgres_client_database(read_proc(f"/proc/{entry.name}/cmdline"))
            if database is None or database in wanted:
                ticks_by_pid[int(entry.name)] = ticks
    return ticks_by_pid


def ticks_spent(before: Mapping[int, int], after: Mapping[int, int]) -> int:
    """CPU ticks spent between two snapshots by pid: a process that started in between counts
    whole, one that exited in between is lost (never negative, unlike a difference of sums)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def busy_percent_now(seconds: float = 1.0) -> float:
    """CPU in use on the whole machine over `seconds`, in percent of one CPU."""
    before = parse_cpu_busy_ticks(read_proc("/proc/stat"))
    time.sleep(seconds)
    after = parse_cpu_busy_ticks(read_proc("/proc/stat"))
    return (after - before) / os.sysconf("SC_CLK_TCK") / seconds * 100


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in read_proc("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_total() -> str:
    with contextlib.suppress(OSError, ValueError):
        match = re.search(r"^MemTotal:\s+(\d+) kB", read_proc("/proc/meminfo"), re.MULTILINE)
        if match:
            return f"{int(match.group(1)) / 1024 / 1024:.1f} GiB"
    return "unknown"


def package_versions() -> str:
    names = (
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic-core",
        "sqlalchemy",
        "asyncpg",
        "fastcrud",
        "uvicorn",
        "h11",
        "httptools",
        "uvloop",
        "orjson",
    )
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} -")
    return ", ".join(parts)


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{rev or 'unknown'}{' (with uncommitted changes)' if dirty else ''}"


def wrk_version() -> str:
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    first = (result.stdout or result.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port

"""Run one engine as a child process and measure it from outside: wall time and the
peak resident memory of its whole process tree (for Lakegate: Python and the JVM it
starts), sampled from /proc every 50 ms."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    wall_s: float
    peak_rss_mb: float
    peak_anon_mb: float
    result: dict


def _children(pid: int) -> list[int]:
    found = []
    # A process may exit while it is read: it then has no children left to count.
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


# /proc/<pid>/stat flag of a process that was started by fork and has not yet run a
# program of its own (it clears when the process execs).
PF_FORKNOEXEC = 0x40


def stat_fields(stat: Path) -> list[str]:
    """The fields of a /proc/<pid>/stat (or task) file after the command name, which
    may itself hold spaces and parentheses: [0] is field 3 (state), [6] field 9 (flags),
    [11] and [12] fields 14 and 15 (user and system CPU, in clock ticks)."""
    return stat.read_text().rsplit(")", 1)[1].split()


def _not_yet_started(pid: int) -> bool:
    try:
        fields = stat_fields(Path(f"/proc/{pid}/stat"))
    except OSError:
        return False
    return bool(int(fields[6]) & PF_FORKNOEXEC)


def tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of `pid` and all its descendants: (all, anonymous). The second
    leaves out file-backed pages (libraries, and files the process maps, such as the
    cache blocks Spark reads back from disk), which the kernel can drop at will.

    A child that has been forked and has not yet run a program of its own runs in its
    parent's memory (shared, or copied on write) and shows much of the parent's size
    again: the JVM starts one for every `chmod` Hadoop runs on local files, and catching
    one doubled the peak of a 10M-row run. Such a child is not counted (none of the
    engines forks workers that keep running without exec)."""
    total, anonymous, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        if current != pid and _not_yet_started(current):
            continue
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        kib = {k: int(fields[k].split()[0]) * 1024 for k in ("VmRSS", "RssAnon") if k in fields}
        total += kib.get("VmRSS", 0)
        anonymous += kib.get("RssAnon", 0)
        todo += _children(current)
    return total, anonymous


def run(command: list[str], env: dict | None = None) -> Measured:
    """Run `command`; its last stdout line is its JSON result. Raises on failure."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    peak, peak_anon = 0, 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_anon
        while not done.is_set():
            total, anonymous = tree_rss(child.pid)
            peak, peak_anon = max(peak, total), max(peak_anon, anonymous)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if child.returncode != 0:
        last = (err.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"{' '.join(command[1:4])} failed ({child.returncode}): {last}")
    lines = [line for line in out.strip().splitlines() if line.startswith("{")]
    return Measured(
        round(wall, 2), round(peak / 1e6, 1), round(peak_anon / 1e6, 1), json.loads(lines[-1])
    )

"""Stopping a `ferroconnect` process the way a user does (a signal), and, when it does not stop in
time, failing with what it was doing: the end of its log and every thread's native stack (gdb)."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path


def stop_gracefully(
    process: subprocess.Popen[bytes], log: Path, timeout: float = 30, sig: int = signal.SIGTERM
) -> None:
    """Sends `sig` and asserts the process exits with 0 within `timeout` seconds."""
    process.send_signal(sig)
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        stacks = native_stacks(process.pid)
        process.kill()
        process.wait(10)
        raise AssertionError(
            f"the process did not exit within {timeout:g} s of signal {sig}\n"
            f"--- its log (end) ---\n{_tail(log)}\n--- its threads ---\n{stacks}"
        ) from None
    assert code == 0, f"exit code {code}\n--- its log (end) ---\n{_tail(log)}"


def native_stacks(pid: int) -> str:
    """Every thread's stack of process `pid`, as gdb prints it (a diagnosis, not a check)."""
    gdb = shutil.which("gdb")
    if gdb is None:
        return "(gdb is not installed: no stacks)"
    try:
        out = subprocess.run(
            [gdb, "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt 30"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        return "(gdb did not finish in 60 s)"
    lines = [line for line in out.stdout.splitlines() if line.startswith(("Thread", "#"))]
    return "\n".join(lines)[-20000:] or out.stderr[-2000:]


def _tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"

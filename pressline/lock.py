"""One writer per warehouse: an advisory lock that the kernel releases when its holder dies.

`flock` on `warehouse/.pressline.lock` cannot go stale: a run killed with SIGKILL loses it
with its file descriptors, and the next run takes it over. The file's content (pid, host,
start time) only serves the message a waiting run prints.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path

LOCK_FILE = ".pressline.lock"


class LockBusy(RuntimeError):
    """Another run holds the warehouse; the message says which."""


class WarehouseLock:
    def __init__(self, warehouse: Path, wait_seconds: float = 0.0, poll_seconds: float = 0.2) -> None:
        self.path = Path(warehouse) / LOCK_FILE
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.previous_holder: dict | None = None
        self._handle = None

    def __enter__(self) -> WarehouseLock:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def acquire(self) -> WarehouseLock:
        """Take the lock, waiting up to `wait_seconds`; LockBusy names the holder if it stays taken."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _describe(_read_holder(handle))
                    handle.close()
                    raise LockBusy(f"another pressline run ({holder}) is writing to {self.path.parent}; "
                                   "try again when it has finished, or pass --wait-for-lock SECONDS") from None
                time.sleep(self.poll_seconds)
        self.previous_holder = _read_holder(handle)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    @property
    def took_over_stale(self) -> bool:
        """True when the lock file still named a holder: that run died without releasing it."""
        return bool(self.previous_holder)


def _read_holder(handle) -> dict | None:
    handle.seek(0)
    try:
        content = json.loads(handle.read() or "null")
    except json.JSONDecodeError:
        return None
    return content if isinstance(content, dict) else None


def _describe(holder: dict | None) -> str:
    if not holder:
        return "holder unknown"
    return f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started_at')}"

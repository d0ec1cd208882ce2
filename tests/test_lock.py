"""The writer lock: exclusive while held, and taken over once a holder dies without releasing it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pressline.lock import LockBusy, WarehouseLock
from tests.conftest import ROOT

HOLD_FOREVER = """
import sys, time
from pathlib import Path
from pressline.lock import WarehouseLock
lock = WarehouseLock(Path(sys.argv[1])).acquire()
print("held", flush=True)
time.sleep(600)
"""


def test_a_second_holder_is_refused_with_the_first_named(tmp_path: Path) -> None:
    with WarehouseLock(tmp_path):
        with pytest.raises(LockBusy, match=f"pid {os.getpid()}"):
            WarehouseLock(tmp_path).acquire()
    with WarehouseLock(tmp_path) as again:
        assert not again.took_over_stale


def test_waiting_gets_the_lock_once_it_is_released(tmp_path: Path) -> None:
    holder = WarehouseLock(tmp_path).acquire()
    started = time.monotonic()
    waiter = subprocess.Popen([sys.executable, "-c", "import sys; from pathlib import Path; "
                               "from pressline.lock import WarehouseLock; "
                               "WarehouseLock(Path(sys.argv[1]), wait_seconds=30).acquire(); print('got it')",
                               str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    holder.release()
    assert waiter.communicate(timeout=60)[0].strip() == "got it"
    assert time.monotonic() - started < 30


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", HOLD_FOREVER, str(tmp_path)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    with pytest.raises(LockBusy):
        WarehouseLock(tmp_path).acquire()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with WarehouseLock(tmp_path) as lock:
        assert lock.took_over_stale and lock.previous_holder["pid"] == process.pid

"""Child processes run a few at a time, stopped at the first that fails: `openup build`'s loads,
and the year databases of `openup shard` and `openup build` (scripts/year_writer.py)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def run_all(commands: list[tuple[list[str], Path]], workers: int,
            done: Callable[[int], None] = lambda index: None) -> tuple[list[str], int | None]:
    """Each command run with its output in its log, workers at a time, done(index) called as each
    one succeeds, stopping at the first that fails (the others are terminated): each command's
    output, and the index of the one that failed (None when all succeeded)."""
    outputs, running, pending = [""] * len(commands), {}, list(enumerate(commands))
    try:
        while pending or running:
            while pending and len(running) < workers:
                index, (command, log) = pending.pop(0)
                with log.open("w") as output:  # a pipe that fills would stop it
                    running[index] = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                                      start_new_session=True)
            finished = [index for index, process in running.items() if process.poll() is not None]
            for index in finished:
                outputs[index] = commands[index][1].read_text("utf-8")
                if running.pop(index).returncode != 0:
                    return outputs, index
                done(index)
            if not finished:
                time.sleep(0.1)
        return outputs, None
    finally:
        for process in running.values():  # stopped, or another failed
            process.terminate()
            process.wait()

"""Who may use a database file at a time: one load, or any number of servers, never both.

A server reads the file as immutable (no SQLite locks, for speed), so a load into a served file
would show readers half-written pages. Both take a flock on the file (independent of SQLite's
own fcntl locks, and released by the kernel when the process ends, so never stale): a server a
shared one for its lifetime, a load an exclusive one.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click


@contextmanager
def _flock(path: Path, mode: int):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
        yield
    finally:
        os.close(descriptor)  # and with it the lock


def _held_by_a_server(path: Path) -> bool:
    """Whether the lock in the way is shared (servers) rather than exclusive (a load)."""
    try:
        with _flock(path, fcntl.LOCK_SH):
            return True
    except BlockingIOError:
        return False


# The files that replaced a database while a load held it (see carry_over), locked until it ends.
_CARRIED: dict[str, list[int]] = {}


@contextmanager
def loading(path: Path):
    """Held while a load writes path; refused while a server or another load uses it."""
    key = os.path.realpath(path)
    try:
        with _flock(path, fcntl.LOCK_EX):
            _CARRIED[key] = []
            try:
                yield
            finally:
                for descriptor in _CARRIED.pop(key):
                    os.close(descriptor)
    except BlockingIOError:
        if _held_by_a_server(path):
            raise click.ClickException(
                f"{path} publiceras av en körande `openup serve`, som läser filen som oföränderlig: "
                "läs in i en kopia och byt fil när den är klar, eller stoppa servern först "
                "(README: Uppdatera en publicerad databas)") from None
        raise click.ClickException(f"en annan `openup load` skriver redan i {path}: vänta tills den "
                                   "är klar och kör sedan igen") from None


def carry_over(path: Path, replacement: Path) -> None:
    """Lock replacement, a file about to be renamed to path, as the load holding path's lock holds
    path: the lock is of the file, and the file under the name is about to be another."""
    if os.path.realpath(path) not in _CARRIED:  # no load lock held: nothing to carry over
        return
    descriptor = os.open(replacement, os.O_RDONLY)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file no one else has opened
    _CARRIED[os.path.realpath(path)].append(descriptor)


@contextmanager
def serving(paths: list[Path]):
    """Held while paths are served; refused while a load writes one of them."""
    with ExitStack() as held:
        for path in paths:
            try:
                held.enter_context(_flock(path, fcntl.LOCK_SH))
            except BlockingIOError:
                raise click.ClickException(f"en `openup load` skriver i {path}: vänta tills den är "
                                           "klar och starta sedan servern") from None
        yield

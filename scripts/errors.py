"""Errors that name where the problem is: file, line (or sheet and row) and column."""

from __future__ import annotations

from .identifiers import mask_personal_numbers


class FileRefused(Exception):
    """A file that cannot be loaded as a whole; the database is left as it was."""

    def __init__(self, path: str, message: str, line: int | str | None = None,
                 column: str | None = None):
        self.path, self.line, self.column = path, line, column
        self.message = mask_personal_numbers(message)[0]
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f", rad {self.line}" if isinstance(self.line, int) else f", {self.line}"
        if self.column:
            where += f", kolumn {self.column}"
        return f"{where}: {self.message}"

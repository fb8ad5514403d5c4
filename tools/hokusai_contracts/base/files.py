"""Read the files people write (contracts, pages, scenarios, reports) with one clear error per way a path
can be wrong: missing, a directory, a dangling symlink or a symlink loop, outside its root, too big,
binary or not UTF-8. Never a raw ``OSError`` or ``UnicodeDecodeError``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from hokusai_contracts.base.errors import ContractError, HarnessUsageError

# Hand-written contracts, pages and reports are kilobytes; a file this big is a mistake (or an attack)
# and would make every later step slow.
MAX_FILE_BYTES = 4 * 1024 * 1024


def read_text_file(
    path: Path | str,
    *,
    root: Path | str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    expected: str = "a UTF-8 text file",
    given: bool = False,
) -> str:
    """The UTF-8 text of the regular file ``path``.

    Problems with the file's content (too big, binary, not UTF-8, outside ``root`` after resolving
    symlinks) raise :class:`ContractError` naming the file (and the line when there is one). Problems
    with the path itself (missing, a directory, a broken symlink) do too, unless ``given`` says the
    path was typed on the command line: then they are a :class:`HarnessUsageError`.
    """
    file = str(path)
    mode, size = _stat(Path(path), expected, given)
    if root is not None:
        check_inside(Path(path), root, file=file, expected=expected)
    if stat.S_ISDIR(mode):
        fix = "pass the path of a file" if given else "rename or remove the directory"
        raise _path_error(f"a directory, not a file; expected {expected}: {fix}", file, given)
    if not stat.S_ISREG(mode):
        # Reading a FIFO or a device blocks or never ends.
        raise _path_error(f"not a regular file (a pipe, socket or device); expected {expected}", file, given)
    if size > max_bytes:
        raise _too_big(file, size, max_bytes)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _path_error(f"cannot be read ({_reason(exc)}); expected {expected}", file, given) from None
    if len(data) > max_bytes:  # it grew since stat()
        raise _too_big(file, len(data), max_bytes)
    return decode_text(data, file, expected=expected)


def decode_text(data: bytes, file: str, *, expected: str = "a UTF-8 text file") -> str:
    """``data`` decoded as UTF-8; binary data or an invalid byte is a :class:`ContractError` at its line."""
    nul = data.find(b"\0")
    if nul >= 0:
        line, column = position(data, nul)
        raise ContractError(
            f"binary data (a NUL byte at column {column}); expected {expected}: is this the right file?",
            file=file,
            line=line,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = position(data, exc.start)
        raise ContractError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at column {column} (byte offset {exc.start}); "
            f"expected {expected}: save the file as UTF-8",
            file=file,
            line=line,
        ) from None


def position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of the byte at ``offset`` in ``data`` (the column counts bytes)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def list_files(
    directory: Path | str, suffixes: tuple[str, ...], *, exclude: Iterable[str] = ()
) -> list[Path]:
    """The entries of ``directory`` named ``*<suffix>``, sorted; [] when the directory does not exist.

    Hidden names (editor lock files are dangling symlinks) are left out. Anything else that matches is
    listed even when it is no readable file (a directory, a broken symlink), so that reading it names
    the problem instead of the file silently not counting.
    """
    directory = Path(directory)
    skip = set(exclude)
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise ContractError(
            f"cannot list this directory ({_reason(exc)}); expected a readable directory of contract files",
            file=str(directory),
        ) from None
    return [
        directory / name
        for name in sorted(names)
        if name.endswith(suffixes) and not name.startswith(".") and name not in skip
    ]


def inside(path: Path | str, roots: Iterable[Path | str]) -> bool:
    """True when ``path``, symlinks resolved, lies in one of ``roots`` (also resolved)."""
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(Path(root).resolve()) for root in roots)


def check_inside(path: Path, root: Path | str, *, file: str, expected: str) -> None:
    """Raise :class:`ContractError` when ``path`` (symlinks resolved) is not under ``root``."""
    if not inside(path, [root]):
        raise ContractError(
            f"resolves to {Path(path).resolve()}, outside {root}; expected {expected} inside it "
            "(is it a symlink pointing out of the directory?)",
            file=file,
        )


def _stat(path: Path, expected: str, given: bool) -> tuple[int, int]:
    file = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise _path_error(
                f"a symlink to {os.readlink(path)!r}, which does not exist; expected {expected}: "
                "fix or remove the link",
                file,
                given,
            ) from None
        raise _path_error(f"no such file; expected {expected}", file, given) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _path_error(
                f"a symlink loop (the link leads back to itself); expected {expected}: remove the link or "
                "point it at a file",
                file,
                given,
            ) from None
        raise _path_error(f"cannot be read ({_reason(exc)}); expected {expected}", file, given) from None
    return info.st_mode, info.st_size


def _path_error(message: str, file: str, given: bool) -> ContractError | HarnessUsageError:
    if given:
        return HarnessUsageError(f"{file}: {message}")
    return ContractError(message, file=file)


def _too_big(file: str, size: int, max_bytes: int) -> ContractError:
    return ContractError(
        f"{size:,} bytes, more than the {max_bytes:,} a contract, page or report may have; "
        "is this the right file?",
        file=file,
    )


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__

"""Remembered results of ``verify``: findings stored under a content key, reused while nothing changed.

Units: a documentation page (snippets), an auth scenario, and the whole family for signatures, http and
the release diff. A unit's key (:mod:`verify.cache_keys`) covers the SDK's code and installed
distributions, the unit's text and the contract files it reads, the server asked for, the harness's code
and the options that change results; keys are computed before any server starts, so a family whose
every unit is remembered needs none. Results are stored masked (never a secret), one JSON file per key
(the JSON report's finding model), written atomically, the oldest evicted beyond a size bound. Results
holding an infrastructure error are never stored: the next run tries again. A corrupt entry is a miss
with a warning. Remembered or not, a unit's findings are the same.

Hooks: :meth:`ResultCache.wrap` wraps the families ``verify`` runs; the snippets and auth families ask
``context.options[OPTION_RESULT_CACHE]`` (``key``/``get``/``put``) per page and per scenario. A server
planner asks :meth:`ResultCache.remembered` (which counts nothing) to skip the units that will not run.
Options that change results (``--http-budget``) must be in ``context.options`` before :func:`open_cache`
so that they are part of every key.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import ContractError, HarnessUsageError, InfrastructureError
from hokusai_contracts.base.git_refs import commit_of
from hokusai_contracts.base.masking import known_secrets
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.checks.auth.family import AUTH_DIR
from hokusai_contracts.checks.auth.load import load_dir
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.checks.snippets.family import DOCS_DIR, OPTION_RUFF_CONFIG, discover
from hokusai_contracts.diff.policy import CHECK as DIFF
from hokusai_contracts.diff.records import RELEASES_DIR, find_record
from hokusai_contracts.diff.sides import RELEASE_PREFIX, REPOSITORY, parse_git_spec
from hokusai_contracts.findings import Finding, Outcome, RunResult
from hokusai_contracts.release.gate import ACCEPTED_NAME
from hokusai_contracts.reports.common import masked
from hokusai_contracts.reports.json_report import finding_from_dict, finding_to_dict
from hokusai_contracts.servers.cache import cache_root
from hokusai_contracts.servers.providers import ServerRequest, is_url
from hokusai_contracts.verify import cache_keys
from hokusai_contracts.verify.cache_keys import Interpreter

# VerifyContext.options key: the run's ResultCache, asked per page (snippets) and per scenario (auth).
OPTION_RESULT_CACHE = "result_cache"
RESULTS_DIR = "results"
ENTRY_FORMAT = 1
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
STALE_TEMP_S = 3600.0  # a half-written entry older than this was left by a killed run

SIGNATURES, SNIPPETS, AUTH, HTTP = "signatures", "snippets", "auth", "http"
UNIT_FAMILIES = {SNIPPETS: "page", AUTH: "scenario"}
WHOLE_FAMILIES = (SIGNATURES, HTTP, DIFF)
# The families that introspect the SDK under test: a run that took them from the cache reports the
# SDK version they saw.
INTROSPECTING = (SIGNATURES, DIFF)
# Options that change how fast a run goes, never what it finds.
SPEED_OPTIONS = frozenset({"snippets_jobs", "jobs", "auth_lanes"})

Warn = Callable[[str], None]


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")


@dataclass(frozen=True)
class Entry:
    """What is remembered of one unit: its findings and the SDK version the run saw."""

    findings: tuple[Finding, ...]
    sdk_version: str | None = None


# Beside the entries (JSON, seconds per unit from the last run), named so that it is no entry: eviction
# and readers of the entries take *.json.
DURATIONS_NAME = "durations"


def _load_durations(path: Path | None) -> dict[str, float]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}


class ResultStore:
    """One JSON file per key under ``root``, written atomically, bounded to ``max_bytes``."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES, warn: Warn = _stderr):
        self.root = root
        self.max_bytes = max_bytes
        self._warn = warn

    def path(self, key: str) -> Path:
        """The file of ``key``."""
        return self.root / f"{key}.json"

    def load(self, key: str) -> Entry | None:
        """The entry of ``key``; None when there is none, or (with a warning) when it is unreadable."""
        path = self.path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != ENTRY_FORMAT or data.get("key") != key:
                raise ValueError(f"format {data.get('format')!r}, key {str(data.get('key'))[:12]!r}")
            entry = Entry(tuple(finding_from_dict(f) for f in data["findings"]), data.get("sdk_version"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self._warn(
                f"warning: the remembered result {path} is unreadable ({type(exc).__name__}: {exc}); "
                "running that unit again"
            )
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used entries are evicted last
        return entry

    def save(self, key: str, entry: Entry, about: Mapping[str, str], secrets: Iterable[str] = ()) -> None:
        """Store ``entry`` under ``key``, masked; a failure to write is a warning, never the run's end."""
        safe = masked(RunResult(findings=list(entry.findings), sdk_version=entry.sdk_version), secrets)
        document = {
            "format": ENTRY_FORMAT,
            "key": key,
            **about,
            "sdk_version": safe.sdk_version,
            "findings": [finding_to_dict(f) for f in safe.findings],
        }
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self.root, prefix=".tmp-", suffix=".json", delete=False, encoding="utf-8"
            ) as handle:
                json.dump(document, handle, ensure_ascii=False)
            os.replace(handle.name, self.path(key))
        except OSError as exc:
            self._warn(f"warning: could not remember a result in {self.root} ({exc}); the run goes on")
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(handle.name)

    def evict(self, now: float | None = None) -> int:
        """Delete the least recently used entries beyond ``max_bytes`` (and stale temp files); how many."""
        now = time.time() if now is None else now
        entries = []
        removed = 0
        try:
            listing = list(os.scandir(self.root))
        except OSError:
            return 0
        for item in listing:
            with contextlib.suppress(OSError):
                stat = item.stat()
                if item.name.startswith(".tmp-"):
                    if now - stat.st_mtime > STALE_TEMP_S:
                        os.unlink(item.path)
                        removed += 1
                elif item.name.endswith(".json"):
                    entries.append((stat.st_mtime, stat.st_size, item.path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
                removed += 1
            total -= size
        return removed


@dataclass
class _Tally:
    cached: int = 0
    ran: int = 0


@dataclass
class ResultCache:
    """The run's remembered results: keys of its units, the per-unit hook, what was cached and run.

    ``store`` None: nothing is remembered (the cache could not be opened). ``read`` False (--no-cache):
    every unit runs, and its fresh result is still stored. ``probe`` gives the run's ``base`` parts on
    the first key (a run of stand-in families asks the interpreter nothing); when it fails, a warning
    and nothing is remembered.
    """

    store: ResultStore | None
    base: dict[str, Any] = field(default_factory=dict)
    server: dict[str, Any] | None = None  # None: the server cannot be keyed (an external URL)
    contracts_dir: Path = Path("contracts")
    baseline: str | None = None
    read: bool = True
    probe: Callable[[], dict[str, Any]] | None = None
    warn: Warn = _stderr
    _entries: dict[str, Entry | None] = field(default_factory=dict, repr=False)
    _about: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _tallies: dict[str, _Tally] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shared: dict[str, str] = field(default_factory=dict, repr=False)
    _order: list[str] = field(default_factory=list, repr=False)
    _base_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _durations: dict[str, float] | None = field(default=None, repr=False)

    def _base(self) -> dict[str, Any] | None:
        """The run's base parts (probed once); None when results cannot be remembered."""
        with self._base_lock:
            if self.probe is not None:
                probe, self.probe = self.probe, None
                try:
                    self.base = probe()
                except (InfrastructureError, HarnessUsageError) as exc:
                    self.warn(f"warning: results are not remembered in this run: {exc}")
                    self.store = None
            return self.base if self.store is not None else None

    # -- keys -----------------------------------------------------------------------------------------

    def _tree(self, relative: str) -> str:
        with self._lock:
            if relative not in self._shared:
                self._shared[relative] = cache_keys.tree_digest(self.contracts_dir / relative)
            return self._shared[relative]

    def _family_shared(self, family: str, unit: str) -> dict[str, str] | None:
        """Digests of what ``family``'s units read besides their own text; None: not keyable."""
        if family == SIGNATURES:
            return {"api": self._tree("api"), "schema": self._tree("schema")}
        server = {"server": cache_keys.canonical(self.server)} if self.server is not None else None
        if server is None:
            return None
        if family == SNIPPETS:
            ruff = cache_keys.ruff_configs(Path(unit))
            option = (self.base.get("options") or {}).get(OPTION_RUFF_CONFIG)
            if option:
                ruff["option"] = cache_keys.file_digest(Path(option))
            shared = {"api": self._tree("api"), "schema": self._tree("schema")}
            return {**server, **shared, "ruff": cache_keys.canonical(ruff)}
        if family == AUTH:
            return {**server, "schema": self._tree("schema")}
        if family == HTTP:
            return {**server, "http": self._tree(HTTP)}
        if family == DIFF:
            identity = baseline_identity(self.baseline) if self.baseline is not None else None
            if identity is None:
                return None
            # NEW's side is the SDK (in the base parts) and its accepted breaks; the behaviour checks run
            # OLD's pages and scenarios (the baseline's), so editing a page here does not re-run the diff.
            accepted = cache_keys.file_digest(self.contracts_dir / ACCEPTED_NAME)
            shared = {"api": self._tree("api"), "schema": self._tree("schema"), "accepted": accepted}
            return {**server, **shared, "baseline": identity}
        return None

    def key(self, family: str, unit: str, text: str | None = None) -> str | None:
        """The key of one unit of ``family`` (None: it cannot be remembered).

        ``unit`` names it (a page's path, a scenario's name); ``text`` is its content (default: the
        bytes of the file ``unit`` names).
        """
        base = self._base()
        if base is None:
            return None
        name = os.path.abspath(unit) if text is None else unit
        shared = self._family_shared(family, name)
        if shared is None:
            return None
        digest = cache_keys.file_digest(Path(name)) if text is None else cache_keys.digest_text(text)
        key = cache_keys.key_of(cache_keys.unit_parts(base, family, name, digest, shared))
        with self._lock:
            self._about[key] = (family, unit)
        return key

    # -- the per-unit hook ----------------------------------------------------------------------------

    def _entry(self, key: str) -> Entry | None:
        if self.store is None or not self.read:
            return None
        with self._lock:
            if key in self._entries:
                return self._entries[key]
        entry = self.store.load(key)
        with self._lock:
            self._entries[key] = entry
        return entry

    def _count(self, key: str, cached: bool) -> None:
        family = self._about.get(key, ("?", ""))[0]
        with self._lock:
            tally = self._tallies.setdefault(family, _Tally())
            if cached:
                tally.cached += 1
            else:
                tally.ran += 1

    def remembered(self, key: str | None) -> bool:
        """True when ``key``'s findings are in the cache (a planner's question: nothing is counted)."""
        return key is not None and self._entry(key) is not None

    def get(self, key: str | None) -> list[Finding] | None:
        """The remembered findings of ``key``; None when the unit must run."""
        entry = self._entry(key) if key else None
        if entry is None:
            return None
        self._count(key, cached=True)
        return list(entry.findings)

    def put(self, key: str | None, findings: Sequence[Finding], sdk_version: str | None = None) -> None:
        """Remember ``findings`` under ``key`` (unless one is an infrastructure error: that runs again)."""
        if key is None or self.store is None:
            return
        self._count(key, cached=False)
        if any(f.outcome is Outcome.ERROR for f in findings):
            return
        family, unit = self._about.get(key, ("?", ""))
        entry = Entry(tuple(findings), sdk_version)
        self.store.save(key, entry, {"family": family, "unit": unit}, known_secrets())
        with self._lock:
            self._entries[key] = entry

    # -- how long units took (the order to start them in) ---------------------------------------------

    def _durations_path(self) -> Path | None:
        return self.store.root / DURATIONS_NAME if self.store is not None else None

    def expected_seconds(self, family: str, unit: str) -> float | None:
        """How long ``family``'s ``unit`` took when it last ran here (None: not known).

        A scheduling hint only (the longest units start first), so it is read under --no-cache too.
        """
        with self._lock:
            if self._durations is None:
                self._durations = _load_durations(self._durations_path())
            return self._durations.get(f"{family}:{unit}")

    def took(self, family: str, unit: str, seconds: float) -> None:
        """Record how long ``family``'s ``unit`` took (kept for the next run's order)."""
        path = self._durations_path()
        if path is None:
            return
        with self._lock:
            if self._durations is None:
                self._durations = _load_durations(path)
            self._durations[f"{family}:{unit}"] = round(seconds, 2)
            durations = dict(self._durations)
        with contextlib.suppress(OSError):  # a hint: losing it costs only the order
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, prefix=".tmp-") as handle:
                json.dump(durations, handle, sort_keys=True)
            os.replace(handle.name, path)

    # -- the family wrapper ---------------------------------------------------------------------------

    def unit_keys(self, family: str) -> list[str | None]:
        """The keys of every unit of ``family`` as its run will ask for them (before any server starts)."""
        if family == SNIPPETS:
            return [self.key(SNIPPETS, str(page)) for page in discover(self.contracts_dir / DOCS_DIR)]
        if family == AUTH:
            loaded = load_dir(self.contracts_dir / AUTH_DIR)
            return [self.key(AUTH, s.name, repr(s)) for s in loaded.scenarios]
        return [self.key(family, family, "")]

    def all_remembered(self, family: str) -> bool:
        """True when every unit of ``family`` is in the cache (so it needs no server)."""
        try:
            keys = self.unit_keys(family)
        except (ContractError, OSError):
            return False  # the family reports it when it runs
        # No unit at all is not "all remembered": the family still runs as it would without a cache.
        return bool(keys) and all(self.remembered(key) for key in keys)

    def wrap(self, families: Sequence[CheckFamily]) -> list[CheckFamily]:
        """``families`` with their results remembered; a family whose every unit is remembered needs no
        server (so a run where nothing changed starts none)."""
        if self.store is None:
            return list(families)
        server_wanted = any(f.needs_server for f in families)
        self._order = [family.name for family in families]  # the summary's order, however they run
        return [self._wrapped(family, server_wanted) for family in families]

    def _known(self, family: CheckFamily) -> bool:
        if family.name == DIFF:
            return self.baseline is not None
        registered = CHECKS.get(family.name)
        # A stand-in family of the same name (tests, custom setups) is not what the keys describe.
        return registered is not None and registered.run is family.run

    def _wrapped(self, family: CheckFamily, server_wanted: bool) -> CheckFamily:
        if not self._known(family):
            return family
        if family.name in UNIT_FAMILIES:
            if family.needs_server and self.all_remembered(family.name):
                return replace(family, needs_server=False)
            return family
        key = self.key(family.name, family.name, "")
        if key is None:
            return family
        entry = self._entry(key)
        if entry is not None:
            return replace(family, run=lambda _context: self.get(key) or [], needs_server=False)

        def run(context: VerifyContext) -> list[Finding]:
            findings = list(family.run(context))
            self.put(key, findings, context.sdk_version)
            return findings

        # The release diff checks behaviour only when the run has a server: ask for one as before.
        needs = family.needs_server or (family.name == DIFF and server_wanted)
        return replace(family, run=run, needs_server=needs)

    # -- the end of the run ---------------------------------------------------------------------------

    def finish(self, result: RunResult) -> str | None:
        """Complete ``result`` with what cached families saw (the SDK version), evict old entries; the
        :meth:`summary` line."""
        if result.sdk_version is None:
            for family in INTROSPECTING:
                key = self.key(family, family, "")
                entry = self._entries.get(key) if key else None
                if entry is not None and entry.sdk_version and self._tallies.get(family, _Tally()).cached:
                    result.sdk_version = entry.sdk_version
                    break
        if self.store is not None:
            self.store.evict()
        return self.summary()

    def summary(self) -> str | None:
        """One line: what was taken from the cache and what ran, e.g. ``snippets: 12 pages cached, 1 run``."""
        if self.store is None:
            return None
        parts = []
        order = {name: index for index, name in enumerate(self._order)}
        for family, tally in sorted(self._tallies.items(), key=lambda item: order.get(item[0], len(order))):
            noun = UNIT_FAMILIES.get(family)
            if noun is None:
                parts.append(f"{family} {'cached' if tally.cached else 'run'}")
            else:
                plural = "s" if tally.cached != 1 else ""
                parts.append(f"{family}: {tally.cached} {noun}{plural} cached, {tally.ran} run")
        mode = "" if self.read else " (--no-cache: everything ran, results stored)"
        return f"result cache{mode}: {'; '.join(parts) or 'nothing to remember'}"


def baseline_identity(baseline: str) -> str | None:
    """What the release diff's OLD side is, as key text: a record's files and commit, a git commit, a
    file's or tree's digest; None for what cannot be keyed cheaply (an interpreter, a venv)."""
    try:
        if baseline.startswith(RELEASE_PREFIX):
            record = find_record(REPOSITORY / RELEASES_DIR, baseline[len(RELEASE_PREFIX) :] or "latest")
            commit = commit_of(record.commit, REPOSITORY) if record.commit else None
            return cache_keys.canonical([cache_keys.tree_digest(record.directory), commit])
        if baseline.startswith("git:"):
            other = parse_git_spec(baseline)
            if other is None:
                commit = commit_of(baseline[4:], REPOSITORY)
                return None if commit is None else cache_keys.canonical([commit])
            commit = commit_of(other.ref, other.repository)
            return None if commit is None else cache_keys.canonical([commit, other.subdir])
    except (HarnessUsageError, ContractError, OSError):
        return None  # the diff itself names the problem
    path = Path(baseline).expanduser()
    if path.is_file() and not os.access(path, os.X_OK):
        return cache_keys.canonical([cache_keys.tree_digest(path)])
    if path.is_dir() and not (path / "pyvenv.cfg").is_file() and not (path / "bin").is_dir():
        return cache_keys.canonical([cache_keys.tree_digest(path)])
    return None


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options that can change results, as JSON values (callables and hooks are no options)."""
    plain = (str, int, float, bool, list, tuple, type(None))
    return {k: v for k, v in options.items() if isinstance(v, plain) and k not in SPEED_OPTIONS}


def _server_parts(request: ServerRequest) -> dict[str, Any] | None:
    if is_url(request.mlflow or ""):
        return None  # someone else's server: its state is not ours to key
    # The instance count is part of the topology: a 3-instance ha result says nothing of a 2-instance one.
    return {
        "provider": request.mlflow,
        "version": request.version,
        "image": request.image,
        "instances": request.instances,
    }


def open_cache(
    context: VerifyContext,
    request: ServerRequest,
    *,
    baseline: str | None = None,
    directory: Path | None = None,
    read: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    warn: Warn = _stderr,
) -> ResultCache:
    """The run's :class:`ResultCache`, registered in ``context.options``; when the cache cannot be
    opened (no writable directory, the interpreter cannot be asked), a warning and nothing remembered."""
    try:
        root = directory if directory is not None else cache_root() / RESULTS_DIR
    except InfrastructureError as exc:
        warn(f"warning: results are not remembered in this run: {exc}")
        return ResultCache(None)
    options = _options(context.options)
    cwd = os.getcwd()

    def probe() -> dict[str, Any]:
        extra = context.options.get("snippets_extra_paths", ())
        checked = cache_keys.probe_interpreter(context.python, context.package, extra)
        harness: Interpreter | str = "same"
        if context.python is not None:
            harness = cache_keys.probe_interpreter(None, context.package)
        return {
            "format": cache_keys.KEY_FORMAT,
            "harness": cache_keys.harness_digest(),
            "checked": checked.parts(),
            "harness_interpreter": harness if isinstance(harness, str) else harness.parts(),
            "package": context.package,
            "cwd": cwd,
            "contracts_dir": str(context.contracts_dir),
            "options": options,
        }

    cache = ResultCache(
        ResultStore(root, max_bytes, warn),
        {},
        _server_parts(request),
        Path(context.contracts_dir),
        baseline,
        read,
        probe,
        warn,
    )
    context.options[OPTION_RESULT_CACHE] = cache
    return cache

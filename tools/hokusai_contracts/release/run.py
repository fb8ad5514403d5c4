"""One diff run: resolve both sides, detect, witness, judge, and build the run result for the reports."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import HarnessUsageError
from hokusai_contracts.base.timing import carried
from hokusai_contracts.contract.model import ObjectKind
from hokusai_contracts.diff.accepted import (
    DEFAULT_FILE,
    AcceptedBreak,
    entry_yaml,
    find_acceptance,
    load_accepted,
)
from hokusai_contracts.diff.call_synthesis import call_probes, package_sources
from hokusai_contracts.diff.catalogue import Bump, Change, Impact
from hokusai_contracts.diff.coverage import comparable, not_compared, not_compared_finding, static_judgement
from hokusai_contracts.diff.engine import diff_apis
from hokusai_contracts.diff.package_probe import read_packages
from hokusai_contracts.diff.policy import (
    Judged,
    apply_to_behaviour,
    judge,
    probe_evidence,
    to_finding,
    version_finding,
)
from hokusai_contracts.diff.probe import ProbeAnswer, ProbeRequest, Structure, run_probe
from hokusai_contracts.diff.rules import RULES
from hokusai_contracts.diff.semver import Verdict, required_bump, version_bump
from hokusai_contracts.diff.sides import Side, resolve_sides, static_witnesses
from hokusai_contracts.diff.synthesis import cli_candidates, submodules
from hokusai_contracts.diff.witness import Witness, witness_changes
from hokusai_contracts.findings import Finding, RunResult
from hokusai_contracts.servers.server import MlflowServer


@dataclass
class DiffReport:
    """Everything one diff found, judged, plus the run result the reports render."""

    old: Side
    new: Side
    judged: list[Judged]
    verdict: Verdict
    result: RunResult
    behaviour: list[Finding] = field(default_factory=list)

    @property
    def unaccepted_entries(self) -> list[str]:
        """Ready-to-paste accepted-breaks entries for the breaking changes that fail the gate."""
        entries = [entry_yaml(j.change, self.new.version) for j in self.judged if j.status == "breaking"]
        entries += [entry_yaml(_as_change(f), self.new.version) for f in self.behaviour if f.failed]
        return entries

    @property
    def exit_code(self) -> int:
        """0 pass, 1 unaccepted breaking change, 2 infrastructure problem."""
        return self.result.exit_code


def attribute_paths(side: Side) -> list[str]:
    """Attributes whose values BC014 compares (read in the side's interpreter; versions are not)."""
    return [
        o.path
        for o in side.api.objects().values()
        if o.kind is ObjectKind.ATTRIBUTE and "version" not in o.name.lower()
    ]


def vanished_paths(old: Side, new: Side) -> list[str]:
    """Old import paths the new API does not list: the ones a lazy export might still serve."""
    listed = {o.path for o in new.api.objects().values()}
    listed |= {p for m in new.api.modules for o in m.objects for p in o.export_paths}
    paths = {o.path for o in old.api.objects().values()}
    paths |= {p for m in old.api.modules for o in m.objects for p in o.export_paths}
    return sorted(paths - listed)


def probe_sides(old: Side, new: Side, *, differential: bool = True) -> tuple[ProbeAnswer, ProbeAnswer]:
    """Values of both sides' attributes, which old paths import in the new release, and (when
    ``differential``) OLD's structural and call questions asked of both sides (one run each)."""
    structure, calls, cli = None, (), ()
    if differential and old.importable and new.importable:
        structure = Structure(old.package, tuple(submodules(old.api)))
        calls = tuple(call_probes(old.api, package_sources(old.api)))
        cli = tuple(cli_candidates(old.api))
    requests = [
        (old, ProbeRequest(values=tuple(attribute_paths(old)), structure=structure, calls=calls, cli=cli)),
        (
            new,
            ProbeRequest(
                values=tuple(attribute_paths(new)),
                imports=tuple(vanished_paths(old, new)),
                structure=structure,
                calls=calls,
                cli=cli,
            ),
        ),
    ]

    def ask(item: tuple[Side, ProbeRequest]) -> ProbeAnswer:
        side, request = item
        if not side.importable:
            return ProbeAnswer(values=dict(side.static_values))  # a static side: constants from source
        return run_probe(request, side.python, side.extra_paths)

    with ThreadPoolExecutor(max_workers=2) as pool:
        old_answer, new_answer = pool.map(ask, requests)
    return old_answer, new_answer


def compare_sides(
    old: Side,
    new: Side,
    accepted: list[AcceptedBreak] | None = None,
    *,
    witness: bool = True,
) -> tuple[list[Judged], Verdict]:
    """Detect the changes from ``old`` to ``new``, witness the breaking ones and judge them all.

    Modules that did not import on either side are left out of both (``diff/coverage.py``).
    """
    old_api, new_api = comparable(old.api, new.api)
    old, new = dataclasses.replace(old, api=old_api), dataclasses.replace(new, api=new_api)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The package-level pass (requirements, console scripts run with time limits) beside the probes.
        packages = pool.submit(read_packages, old, new)
        old_answer, new_answer = probe_sides(old, new)
        old_package, new_package = packages.result()
    changes = diff_apis(
        old.api,
        new.api,
        old_answer.values,
        new_answer.values,
        old_bound=old_answer.bound,
        new_bound=new_answer.bound,
        old_calls=old_answer.calls,
        new_calls=new_answer.calls,
        old_cli=old_answer.cli,
        new_cli=new_answer.cli,
        old_package=old_package,
        new_package=new_package,
    )
    witnesses: dict[int, Witness] = {}
    if witness and new.importable:
        breaking = [i for i, c in enumerate(changes) if RULES[c.rule].severity is Impact.BREAKING]
        found = witness_changes(
            [changes[i] for i in breaking], new.python, new.extra_paths, new_answer.imports
        )
        witnesses = {breaking[i]: w for i, w in found.items()}
    elif witness and new.static:
        breaking = [i for i, c in enumerate(changes) if RULES[c.rule].severity is Impact.BREAKING]
        found = static_witnesses(new, [changes[i] for i in breaking])
        witnesses = {breaking[i]: w for i, w in found.items()}
    bump = version_bump(old.version, new.version)
    major = bump is Bump.MAJOR
    evidence = probe_evidence(changes)
    judged = [
        judge(c, witnesses.get(i), accepted or [], new.version, major, evidence=evidence.get(c.subject))
        for i, c in enumerate(changes)
    ]
    judged = [static_judgement(j, old.api, new.api) for j in judged]
    verdict = Verdict(old.version, new.version, bump, required_bump([j.bump for j in judged if j.bump]))
    return judged, verdict


def load_accepted_file(path: Path | None) -> list[AcceptedBreak]:
    """The entries of ``path``; without one, of ``contracts/accepted-breaks.yaml`` when it exists."""
    if path is None:
        return load_accepted(DEFAULT_FILE) if DEFAULT_FILE.is_file() else []
    if not Path(path).is_file():
        raise HarnessUsageError(f"--accepted {path}: no such file")
    return load_accepted(Path(path))


def behaviour_run(old: Side, new: Side, server: MlflowServer | None) -> list[Finding]:
    """BC101/BC102 findings from the behaviour checks (``diff/behaviour.py``)."""
    for s in (old, new):
        if not s.importable:
            # Its pages would run with the harness's own SDK: a comparison of NEW with itself.
            why = s.note or f"{s.label} is a contracts directory without code"
            raise HarnessUsageError(f"--behaviour needs both sides' code: {why}")
    try:
        from hokusai_contracts.release.behaviour import BehaviourSide, behaviour_findings
    except ImportError as exc:
        raise HarnessUsageError(
            f"the behaviour checks are not available in this installation ({exc})"
        ) from None

    def side(s: Side) -> Any:
        return BehaviourSide(
            label=s.label,
            python=s.python,
            contracts_dir=s.contracts_dir,
            extra_paths=tuple(s.extra_paths),
            package=s.package,
        )

    return list(behaviour_findings(side(old), side(new), server=server))


def _as_change(finding: Finding) -> Change:
    return Change(finding.rule, finding.subject, finding.message)


def diff_findings(
    old: Side,
    new: Side,
    accepted: list[AcceptedBreak],
    *,
    behaviour: bool = False,
    server: MlflowServer | None = None,
) -> DiffReport:
    """Compare two resolved sides into a :class:`DiffReport` (behaviour checks on request)."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The behaviour checks need only the sides: they run beside the API comparison (about 10 s of
        # probes and witnesses), which otherwise held back the longest part of a release diff.
        behaving = pool.submit(carried(behaviour_run), old, new, server) if behaviour else None
        judged, verdict = compare_sides(old, new, accepted)
        raw = behaving.result() if behaving is not None else []
    extra: list[Finding] = []
    if behaviour:
        if any(f.failed and find_acceptance(_as_change(f), accepted, new.version) is None for f in raw):
            verdict = dataclasses.replace(verdict, required=Bump.MAJOR)
        extra = [apply_to_behaviour(f, accepted, new.version, verdict.allows_breaking) for f in raw]
    findings = [to_finding(j, new.version) for j in judged]
    findings += [not_compared_finding(n) for n in not_compared(old.api, new.api, old.label, new.label)]
    findings.append(version_finding(verdict))
    findings.extend(extra)
    findings = [_named_by_label(f, (old, new)) for f in findings]
    result = RunResult(findings=findings, sdk_version=new.version, duration_s=time.monotonic() - started)
    return DiffReport(old, new, judged, verdict, result, extra)


def _named_by_label(finding: Finding, sides: tuple[Side, ...]) -> Finding:
    """``finding`` with a file of a side's temporary copy named ``<label>:<path>`` (git:v1.1.0:...)."""
    if finding.location is None:
        return finding
    for side in sides:
        if side.scratch_root is None:
            continue
        try:
            relative = Path(finding.location.file).relative_to(side.scratch_root)
        except ValueError:
            continue
        location = dataclasses.replace(finding.location, file=f"{side.label}:{relative}")
        return dataclasses.replace(finding, location=location)
    return finding


def run_diff(
    old_spec: str,
    new_spec: str,
    *,
    package: str = "hokusai",
    python: str | None = None,
    accepted_file: Path | None = None,
    behaviour: bool = False,
    server: MlflowServer | None = None,
) -> DiffReport:
    """``hokusai-contracts diff OLD NEW``: resolve both sides and compare them."""
    started = time.monotonic()
    accepted = load_accepted_file(accepted_file)
    with contextlib.ExitStack() as stack:
        old, new = resolve_sides(old_spec, new_spec, stack, package=package, python=python)
        report = diff_findings(old, new, accepted, behaviour=behaviour, server=server)
    report.result.duration_s = time.monotonic() - started
    return report

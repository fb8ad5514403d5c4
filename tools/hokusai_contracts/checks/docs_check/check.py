"""docs-check from paths to a :class:`RunResult`: discover the files, read them through the one safe
reader, introspect the SDK in its own interpreter, analyse every page (and run it, with ``run``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.files import read_text_file
from hokusai_contracts.checks.docs_check import report
from hokusai_contracts.checks.docs_check.analysis import analyze_page
from hokusai_contracts.checks.docs_check.api_view import ApiView, failed_modules
from hokusai_contracts.checks.docs_check.blocks import DocPage, page_of
from hokusai_contracts.checks.docs_check.discovery import discover
from hokusai_contracts.checks.docs_check.execution import RunOptions, run_page
from hokusai_contracts.contract.model import Api
from hokusai_contracts.findings import Finding, Outcome, RunResult, Severity
from hokusai_contracts.findings.catalogue import docs_check as rules
from hokusai_contracts.introspection import introspect


@dataclass(frozen=True)
class DocsCheckRequest:
    """What to check, against which SDK, and how."""

    paths: tuple[Path, ...]
    package: str
    python: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extra_paths: tuple[str, ...] = ()
    run: RunOptions | None = None


@dataclass
class LoadedPages:
    """The pages read, and a finding for each file that could not be."""

    pages: list[DocPage] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def load_pages(files: list[Path]) -> LoadedPages:
    """Every file's Python blocks; an unreadable file (binary, not UTF-8, bad notebook) is a finding."""
    loaded = LoadedPages()
    for path in files:
        try:
            loaded.pages.append(page_of(path, read_text_file(path, expected="a documentation file")))
        except ContractError as exc:
            loaded.findings.append(
                report.finding(rules.UNREADABLE, exc.file or path, str(path), exc.detail, line=exc.line)
            )
    return loaded


def import_error_findings(api: Api) -> list[Finding]:
    """One warning per SDK module that did not import (the rest of the API is still checked)."""
    return [
        Finding(
            check=report.CHECK,
            rule=rules.UNCHECKED.id,
            subject=module,
            message=f"SDK module `{module}` did not import: {error.splitlines()[-1] if error else '?'}; "
            "names from it are not checked",
            severity=Severity.WARNING,
            fix=rules.UNCHECKED.fix,
        )
        for module, error in sorted(failed_modules(api).items())
    ]


def check_page(page: DocPage, view: ApiView) -> list[Finding]:
    """The static findings of one page, then its pass when nothing failed."""
    found = [report.problem_finding(page.path, problem) for problem in analyze_page(page, view)]
    if not any(f.failed for f in found):
        found.append(report.page_passed(page.path, sum(not b.skip for b in page.blocks)))
    return found


def read_api(request: DocsCheckRequest, env: Mapping[str, str] | None = None) -> Api:
    """The API of the SDK's package(s) (``attrs,attr``: read together, as one distribution's docs do)."""
    names = [name.strip() for name in request.package.split(",") if name.strip()]
    apis = [introspect(name, request.python, extra_paths=request.extra_paths, env=env) for name in names]
    first = apis[0]
    return Api(
        package=first.package,
        version=first.version,
        modules=[module for api in apis for module in api.modules],
        import_errors={name: error for api in apis for name, error in api.import_errors.items()},
    )


def docs_check(
    request: DocsCheckRequest,
    *,
    env: Mapping[str, str] | None = None,
    on_page: Callable[[DocPage, list[Finding]], None] = lambda page, findings: None,
) -> RunResult:
    """Check every documentation file under ``request.paths`` against the SDK; one :class:`RunResult`."""
    started = time.perf_counter()
    found = discover(list(request.paths), request.include, request.exclude)
    loaded = load_pages(found.files)
    result = RunResult()
    result.extend(loaded.findings)
    api = read_api(request, env)
    result.sdk_version = f"{api.package} {api.version or '(no version)'}"
    result.extend(import_error_findings(api))
    view = ApiView(api)
    for page in loaded.pages:
        page_findings = check_page(page, view)
        if request.run is not None and page.blocks:
            page_findings = [f for f in page_findings if f.outcome is not Outcome.PASSED]
            page_findings.extend(
                run_page(page, request.run, python=request.python, extra_paths=request.extra_paths)
            )
        result.extend(page_findings)
        on_page(page, page_findings)
    result.duration_s = time.perf_counter() - started
    return result

"""The ``hokusai-contracts`` command line: ``extract`` (write contracts) and ``verify`` (the CI gate).

Exit codes, for every command: 0 pass; 1 contract failure (a check failed, a contract file is
malformed, or ``extract --check`` found the contracts stale); 2 infrastructure problem (the SDK does not
import, a server did not start, a check crashed); 3 usage error (bad option, unknown check family,
missing contracts directory or interpreter). Expected errors never print a traceback.
"""

# No `from __future__ import annotations`: typer evaluates the option annotations at runtime, and those
# of the commands refer to variables of build_app().
import contextlib
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperGroup

from hokusai_contracts.base.errors import HarnessUsageError, InfrastructureError
from hokusai_contracts.base.masking import known_secrets, mask_secrets
from hokusai_contracts.base.processes import install_signal_handlers
from hokusai_contracts.checks import CheckFamily, VerifyContext
from hokusai_contracts.checks.http.family import OPTION_BUDGET as OPTION_HTTP_BUDGET
from hokusai_contracts.checks.http.fuzz import DEFAULT_BUDGET, parse_budget
from hokusai_contracts.checks.registry import CHECKS
from hokusai_contracts.cli.can_i_deploy import CAN_I_DEPLOY_EPILOG, can_i_deploy_command
from hokusai_contracts.cli.chaos import CHAOS_EPILOG, chaos_command
from hokusai_contracts.cli.diff import BASELINE_HELP, diff_command
from hokusai_contracts.cli.docs_check import DOCS_CHECK_EPILOG, docs_check_command
from hokusai_contracts.cli.gateway import gateway_app
from hokusai_contracts.cli.matrix import (
    CLIENTS_HELP,
    JOBS_HELP,
    MATRIX_HELP,
    PYTHONS_HELP,
    RESULTS_HELP,
    SERVERS_HELP,
    SHARD_HELP,
    matrix_app,
    plan_from_options,
    run_matrix_cells,
)
from hokusai_contracts.cli.output import (
    EXIT_FAILED,
    EXIT_INFRASTRUCTURE,
    EXIT_USAGE,
    append_step_summary,
    fail,
    harness_errors,
    print_diff,
    stderr_console,
    stdout_console,
    write_files,
)
from hokusai_contracts.cli.reference import docs_command
from hokusai_contracts.cli.release import RELEASE_EPILOG, release_command
from hokusai_contracts.cli.repro import REPRO_EPILOG, repro_command
from hokusai_contracts.cli.rules import RULES_EPILOG, rules_command
from hokusai_contracts.cli.servers import (
    IMAGE_HELP,
    INSTANCES_HELP,
    MATRIX_OUT_HELP,
    MLFLOW_HELP,
    VERSION_HELP,
    mlflow_app,
    run_provisioned,
)
from hokusai_contracts.findings import RunResult
from hokusai_contracts.findings.from_errors import environment_cause, error_finding
from hokusai_contracts.reports import markdown, write_report
from hokusai_contracts.reports.terminal import CheckProgress, print_report
from hokusai_contracts.servers.ha import DEFAULT_INSTANCES
from hokusai_contracts.servers.providers import DEFAULT_PROVIDER, ServerRequest
from hokusai_contracts.servers.server import MlflowServer
from hokusai_contracts.verify.result_cache import open_cache
from hokusai_contracts.verify.runner import run_checks, select
from hokusai_contracts.verify.server_run import OPTION_JOBS, default_jobs
from hokusai_contracts.verify.timing import Timeline, phase, recording, table_lines, write_profile

try:  # typer >= 0.2x vendors click; older releases use click itself
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import UsageError


EXIT_CODES_HELP = (
    "Exit codes: 0 pass; 1 contract failure (failed check, malformed contract file, stale contracts); "
    "2 infrastructure problem (SDK does not import, server did not start, a check crashed); "
    "3 usage error (bad option, unknown check family, missing contracts directory)."
)

CONTRACTS_HELP = "Contracts root directory; the API contracts are its api/*.yaml."
NO_CACHE_HELP = "Run every check again instead of reusing remembered results (fresh results are stored)."
CACHE_DIR_HELP = "Where results are remembered (default: <cache>/results, see HOKUSAI_CONTRACTS_CACHE)."
VERIFY_JOBS_HELP = (
    "Workers: pages and scenarios of each family run up to N at once (default: the machine's cores); "
    "with N > 1 the families run side by side, 1 runs everything in turn. " + JOBS_HELP
)
HTTP_BUDGET_HELP = (
    "Fuzzing budget of the http family: N generated requests in all (spread evenly over every operation "
    "and mode) or N:S, also at most S seconds "
    f"(default {DEFAULT_BUDGET.requests}:{DEFAULT_BUDGET.seconds:g})."
)
PROFILE_HELP = "Also write the run's per-phase timing (server starts, families, reports) as JSON."

ServerFactory = Callable[[], AbstractContextManager[MlflowServer]]


class _UsageExitCodeGroup(TyperGroup):
    """Command group whose option-parsing errors exit with 3: click's own 2 means infrastructure here."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as exc:
            exc.exit_code = EXIT_USAGE
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            exc.exit_code = EXIT_USAGE
            raise


class OutputFormat(str, Enum):
    """What ``verify`` prints on standard output."""

    terminal = "terminal"
    github = "github"


def split_names(value: str | None) -> list[str]:
    """Comma-separated family names as a list (``"a, b"`` -> ``["a", "b"]``)."""
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def _existing_python(python: str | None) -> str | None:
    if python is None or Path(python).exists() or shutil.which(python):
        return python
    raise HarnessUsageError(f"--python {python!r}: no such interpreter")


def _existing_contracts(directory: Path) -> Path:
    if not directory.is_dir():
        raise HarnessUsageError(
            f"contracts directory {str(directory)!r} does not exist; pass --contracts DIR, or create it "
            f"with `hokusai-contracts extract --contracts {directory}`"
        )
    return directory


@contextlib.contextmanager
def start_mlflow_server() -> Iterator[MlflowServer]:
    """A plain MLflow server in a temporary directory, for the families that need one."""
    from hokusai_contracts.servers import ServerStartError, start_mlflow_process

    with tempfile.TemporaryDirectory(prefix="hokusai-contracts-") as workdir:
        try:
            server = start_mlflow_process(Path(workdir))
        except ServerStartError as exc:
            raise InfrastructureError(f"could not start an MLflow server for the checks:\n{exc}") from exc
        try:
            yield server
        finally:
            server.stop()


def verify_run(
    families: list[CheckFamily],
    context: VerifyContext,
    progress: CheckProgress,
    server_factory: ServerFactory,
) -> RunResult:
    """Run ``families``, starting a server first when one of them needs it."""
    needing = [f for f in families if f.needs_server]
    with contextlib.ExitStack() as stack:
        server_error = None
        if needing:
            try:
                context.server = stack.enter_context(server_factory())
            except InfrastructureError as exc:
                server_error = exc
        runnable = families if server_error is None else [f for f in families if not f.needs_server]
        with progress:
            result = run_checks(runnable, context, progress)
    if server_error is not None:
        result.extend(error_finding(f.name, server_error) for f in needing)
        result.infrastructure_error = str(server_error)
    return result


def build_app(
    checks: Mapping[str, CheckFamily] | None = None,
    server_factory: ServerFactory = start_mlflow_server,
    extract_fn: Callable[..., Any] | None = None,
) -> typer.Typer:
    """The CLI over the check families ``checks`` (default: the registry :data:`CHECKS`)."""
    app = typer.Typer(
        name="hokusai-contracts",
        help=f"Verify the hokusai SDK against its committed contracts.\n\n{EXIT_CODES_HELP}",
        cls=_UsageExitCodeGroup,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    def families() -> dict[str, CheckFamily]:
        return dict(CHECKS if checks is None else checks)

    names = ", ".join(families()) or "none registered"

    @app.command()
    def extract(
        contracts: Annotated[Path, typer.Option("--contracts", help=CONTRACTS_HELP)] = Path("contracts"),
        python: Annotated[
            str | None, typer.Option("--python", help="Interpreter whose installed SDK is introspected.")
        ] = None,
        package: Annotated[str, typer.Option("--package", help="Top-level package of the SDK.")] = "hokusai",
        check: Annotated[
            bool,
            typer.Option("--check", help="Change nothing; exit 1 with a diff when the contracts are stale."),
        ] = False,
    ) -> None:
        """Write the SDK's public API into the contract files (with --check: only compare)."""
        with harness_errors():
            if extract_fn is None:
                from hokusai_contracts.introspection.extract import extract as run_extract
            else:
                run_extract = extract_fn
            result = run_extract(
                contracts / "api", python=_existing_python(python), package=package, check=check
            )
        console = stdout_console()
        if result.not_imported:
            # A partial API is a result: the rest was extracted, these modules' contracts were kept.
            warn = stderr_console()
            warn.print(
                Text.assemble(
                    ("warning: ", "bold yellow"),
                    f"{len(result.not_imported)} module(s) of {package!r} did not import; their committed "
                    "contracts were kept unchanged:",
                ),
                soft_wrap=True,
            )
            for line in result.not_imported_lines():
                warn.print(Text(f"  {line}"), soft_wrap=True)
        changed = list(result.changed)
        if check:
            if result.ok:
                console.print(f"contracts in {contracts} are up to date with the SDK", soft_wrap=True)
                return
            print_diff(console, result.diff or "")
            raise fail(
                EXIT_FAILED,
                f"the contracts in {contracts} are stale: the SDK's public API differs from them "
                "(diff above)",
                "run `hokusai-contracts extract`, review the diff, and commit the contract changes",
                label="stale contracts",
            )
        if not changed:
            console.print(f"contracts in {contracts} already match the SDK; nothing written", soft_wrap=True)
            return
        print_diff(console, result.diff or "")
        console.print(
            f"wrote {len(changed)} contract file(s) in {contracts}; review the diff before committing:",
            soft_wrap=True,
        )
        for path in changed:
            console.print(Text(f"  {path}"), soft_wrap=True)

    @app.command(epilog=EXIT_CODES_HELP)
    def verify(
        contracts: Annotated[Path, typer.Option("--contracts", help=CONTRACTS_HELP)] = Path("contracts"),
        python: Annotated[
            str | None, typer.Option("--python", help="Interpreter whose installed SDK is checked.")
        ] = None,
        package: Annotated[str, typer.Option("--package", help="Top-level package of the SDK.")] = "hokusai",
        only: Annotated[
            str | None,
            typer.Option("--only", help=f"Comma-separated check families to run (default: all of {names})."),
        ] = None,
        skip: Annotated[
            str | None, typer.Option("--skip", help="Comma-separated check families to skip.")
        ] = None,
        junit: Annotated[Path | None, typer.Option("--junit", help="Also write a JUnit XML report.")] = None,
        markdown_file: Annotated[
            Path | None, typer.Option("--markdown", help="Also write a Markdown summary (CI step summary).")
        ] = None,
        json_file: Annotated[Path | None, typer.Option("--json", help="Also write a JSON report.")] = None,
        output: Annotated[
            OutputFormat,
            typer.Option(
                "--format", help="Standard output: a terminal report or GitHub Actions annotations."
            ),
        ] = OutputFormat.terminal,
        quiet: Annotated[
            bool, typer.Option("--quiet", "-q", help="No progress and no summary table: failures only.")
        ] = False,
        mlflow: Annotated[str, typer.Option("--mlflow", help=MLFLOW_HELP)] = DEFAULT_PROVIDER,
        mlflow_version: Annotated[str | None, typer.Option("--mlflow-version", help=VERSION_HELP)] = None,
        mlflow_image: Annotated[str | None, typer.Option("--mlflow-image", help=IMAGE_HELP)] = None,
        instances: Annotated[int, typer.Option("--instances", help=INSTANCES_HELP)] = DEFAULT_INSTANCES,
        matrix: Annotated[str | None, typer.Option("--matrix", help=MATRIX_HELP)] = None,
        matrix_out: Annotated[Path, typer.Option("--matrix-out", help=MATRIX_OUT_HELP)] = Path("reports"),
        clients: Annotated[str | None, typer.Option("--clients", help=CLIENTS_HELP)] = None,
        servers: Annotated[str | None, typer.Option("--servers", help=SERVERS_HELP)] = None,
        pythons: Annotated[str | None, typer.Option("--pythons", help=PYTHONS_HELP)] = None,
        shard: Annotated[str | None, typer.Option("--shard", help=SHARD_HELP)] = None,
        jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help=VERIFY_JOBS_HELP)] = None,
        results: Annotated[Path | None, typer.Option("--results", help=RESULTS_HELP)] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help=NO_CACHE_HELP)] = False,
        cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help=CACHE_DIR_HELP)] = None,
        baseline: Annotated[str | None, typer.Option("--baseline", help=BASELINE_HELP)] = None,
        profile: Annotated[Path | None, typer.Option("--profile", help=PROFILE_HELP)] = None,
        http_budget: Annotated[str | None, typer.Option("--http-budget", help=HTTP_BUDGET_HELP)] = None,
    ) -> None:
        """Run the contract checks against the installed SDK: the CI gate."""
        registry = families()
        timeline = Timeline()
        with harness_errors(), recording(timeline):
            chosen = select(registry, split_names(only), split_names(skip))
            if baseline is not None:
                from hokusai_contracts.release.gate import baseline_family

                chosen = [*chosen, baseline_family(baseline)]

            def make_context() -> VerifyContext:
                return VerifyContext(
                    contracts_dir=_existing_contracts(contracts),
                    python=_existing_python(python),
                    package=package,
                )

            context = make_context()
            context.options[OPTION_JOBS] = jobs or default_jobs()
            budget = parse_budget(http_budget) if http_budget is not None else DEFAULT_BUDGET
            context.options[OPTION_HTTP_BUDGET] = budget
            if not quiet and any(f.name == "http" for f in chosen):
                stderr_console().print(
                    f"http: fuzz budget {budget.describe()} (a deeper run: --http-budget N[:S])",
                    soft_wrap=True,
                    markup=False,
                )
            request = ServerRequest(mlflow, mlflow_version, mlflow_image, instances)
            plan = plan_from_options(matrix, clients, servers, pythons, shard, _existing_python(python))
            if plan is not None:
                raise typer.Exit(
                    run_matrix_cells(
                        chosen,
                        make_context,
                        plan,
                        request,
                        matrix_out,
                        stderr_console(),
                        jobs=jobs or 1,
                        python=_existing_python(python) if python and not (clients or pythons) else None,
                        results=results,
                        quiet=quiet,
                    )
                )
            cache = None
            if server_factory is start_mlflow_server:  # a stand-in server's results are not remembered
                cache = open_cache(
                    context, request, baseline=baseline, directory=cache_dir, read=not no_cache
                )
                chosen = cache.wrap(chosen)
            console = stdout_console()
            progress = CheckProgress(
                stderr_console(),
                [f.name for f in chosen],
                enabled=not quiet and output is OutputFormat.terminal,
            )
            if server_factory is start_mlflow_server:
                result = run_provisioned(chosen, context, progress, request, stderr_console())
            else:
                result = verify_run(chosen, context, progress, server_factory)
            cache_line = cache.finish(result) if cache is not None else None
            if cache_line and not quiet:
                stderr_console().print(Text(cache_line), soft_wrap=True)
            with phase("report: files"):
                write_files(result, {"junit": junit, "markdown": markdown_file, "json": json_file})
            with phase("report: output"):
                if output is OutputFormat.github:
                    write_report(result, "github")
                    append_step_summary(markdown.render(result, known_secrets()))
                else:
                    print_report(result, console, known_secrets(), summary=not quiet)
            if profile is not None:
                write_profile(timeline, profile)
        if output is OutputFormat.terminal and not quiet:
            stderr_console().print(
                "\n".join(["timing:", *table_lines(timeline)]), soft_wrap=True, markup=False
            )
        raise typer.Exit(result.exit_code)

    @app.command("docs-update", epilog=EXIT_CODES_HELP)
    def docs_update(
        pages: Annotated[
            list[Path] | None,
            typer.Argument(help="Pages to update (default: every page of CONTRACTS/docs but README.md)."),
        ] = None,
        contracts: Annotated[Path, typer.Option("--contracts", help=CONTRACTS_HELP)] = Path("contracts"),
        python: Annotated[
            str | None, typer.Option("--python", help="Interpreter whose installed SDK runs the pages.")
        ] = None,
    ) -> None:
        """Run the documentation pages and rewrite their stale `#>` lines and output blocks in place."""
        from hokusai_contracts.checks.snippets.refresh import update_docs

        with harness_errors():
            updates = update_docs(
                _existing_contracts(contracts), list(pages or ()), python=_existing_python(python)
            )
        console = stdout_console()
        for update in updates:
            changes = ", ".join(edit.what for edit in update.edits)
            console.print(
                Text(f"{update.path}: " + (f"rewrote {changes}" if changes else "up to date")), soft_wrap=True
            )
        failures = [finding for update in updates for finding in update.failures]
        if failures:
            print_report(RunResult(findings=failures), console, known_secrets(), summary=False)
            raise fail(
                EXIT_FAILED,
                f"{len(failures)} block(s) fail for reasons an output update cannot fix (listed above)",
                "fix those examples (or the SDK), then run docs-update again",
            )

    return app


app = build_app()
app.add_typer(gateway_app, name="gateway")
app.add_typer(mlflow_app, name="mlflow")
app.add_typer(matrix_app, name="matrix")
app.command("can-i-deploy", epilog=CAN_I_DEPLOY_EPILOG)(can_i_deploy_command)
app.command("docs", epilog=EXIT_CODES_HELP)(docs_command)
app.command("diff", epilog=EXIT_CODES_HELP)(diff_command)
app.command("repro", epilog=REPRO_EPILOG)(repro_command)
app.command("release", epilog=RELEASE_EPILOG)(release_command)
app.command("rules", epilog=RULES_EPILOG)(rules_command)
app.command("docs-check", epilog=DOCS_CHECK_EPILOG)(docs_check_command)
app.command("chaos", epilog=CHAOS_EPILOG)(chaos_command)


def crash_report(exc: BaseException) -> str:
    """Write ``exc``'s traceback (masked) to a file; where it went, or why it could not be written."""
    text = mask_secrets(
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), known_secrets()
    )
    for directory in (tempfile.gettempdir(), Path.cwd()):
        try:
            with tempfile.NamedTemporaryFile(
                "w", dir=directory, prefix="hokusai-contracts-crash-", suffix=".txt", delete=False
            ) as handle:
                handle.write(text)
            return handle.name
        except OSError:
            continue
    return "(not written: no writable directory)"


def main() -> None:
    """Console-script entry point: no traceback on the terminal, whatever happens (exit 2 at worst)."""
    install_signal_handlers()  # Ctrl-C and SIGTERM stop every child, then unwind (servers, temp dirs)
    try:
        app()
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:
        cause = environment_cause(exc)
        if cause is not None:  # a full or read-only disk is the environment's fault, not a bug
            fail(
                EXIT_INFRASTRUCTURE,
                f"{cause} ({type(exc).__name__})",
                "free space, or point TMPDIR and the cache (HOKUSAI_CONTRACTS_CACHE) at a writable disk",
            )
        else:
            where = crash_report(exc)
            fail(
                EXIT_INFRASTRUCTURE,
                f"{type(exc).__name__}: {exc}\nthis is a bug in the harness; the traceback is in {where}",
                "report it with that file attached",
                label="harness crash",
            )
        sys.exit(EXIT_INFRASTRUCTURE)


if __name__ == "__main__":
    main()

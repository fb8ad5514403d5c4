"""Read a bug report: refuse literal secrets, validate against the schema (FILE:LINE), build the model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.base.files import inside, read_text_file
from hokusai_contracts.contract.schema import schema_path, validate
from hokusai_contracts.contract.yaml_lines import LoadedYaml, load_yaml
from hokusai_contracts.repro import literal_secrets
from hokusai_contracts.repro.references import malformed_reference
from hokusai_contracts.repro.report import (
    AUTH_BASIC,
    AUTH_GATEWAY,
    DEFAULT_CLAIM_TIMEOUT,
    SDK_KINDS,
    TOPOLOGY_PLAIN,
    BugReport,
    Claim,
    Environment,
    Observed,
    SdkSource,
    ServerSpec,
)
from hokusai_contracts.repro.sdk_env import REPO_ROOT

SCHEMA_NAME = "bug-report.schema.json"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_VERSION = re.compile(r"^\d+\.\d+(\.\d+)?([a-z0-9.+-]*)$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

__all__ = ["SCHEMA_NAME", "load_report", "repository_of"]


def load_report(path: Path, schema: Path | None = None) -> BugReport:
    """The report at ``path``; :class:`ContractError` naming FILE:LINE for anything wrong in it."""
    path = Path(path)
    file = str(path)
    # The path was typed on the command line: a directory or a broken link is a usage error.
    text = read_text_file(path, expected="a bug report (YAML)", given=True)
    # Before parsing: a schema or YAML error message must not be the place a secret is echoed.
    literal_secrets.refuse(file, literal_secrets.scan_text(text))
    loaded = load_yaml(text, file)
    validate(loaded, schema or schema_path(SCHEMA_NAME))
    base = path.resolve().parent
    return _Builder(loaded, base, (repository_of(base), REPO_ROOT)).report()


def repository_of(directory: Path) -> Path:
    """The working tree holding ``directory`` (the nearest parent with ``.git``), else ``directory``."""
    return next((d for d in (directory, *directory.parents) if (d / ".git").exists()), directory)


class _Builder:
    """Turns validated YAML into the model, checking what the schema cannot say (with lines)."""

    def __init__(self, loaded: LoadedYaml, base: Path, roots: tuple[Path, ...]):
        self.loaded = loaded
        self.base = base
        # Where an SDK path or wheel may be: the report's repository and this one. Anything else is a
        # report reaching into the replaying machine (its home, /etc...).
        self.roots = roots

    def fail(self, path: list[str | int], message: str, key: bool = False) -> ContractError:
        return ContractError(message, file=self.loaded.file, line=self.loaded.line(path, key=key) or 1)

    def report(self) -> BugReport:
        data = self.loaded.data
        self._slug(["report"], data["report"], "report")
        reporter = self.environment(["reporter"], data["reporter"])
        claims = tuple(self.claim(index, raw) for index, raw in enumerate(data["claims"]))
        seen: dict[str, int] = {}
        for index, claim in enumerate(claims):
            if claim.id in seen:
                raise self.fail(
                    ["claims", index, "id"],
                    f"claim id {claim.id!r} is used twice (first by claims[{seen[claim.id]}]); "
                    "expected unique ids",
                )
            seen[claim.id] = index
        found = literal_secrets.scan_variables(reporter.variables, reporter.variable_lines)
        for claim in claims:
            found += literal_secrets.scan_variables(claim.variables, claim.variable_lines)
        literal_secrets.refuse(self.loaded.file, found)
        return BugReport(
            report=data["report"],
            title=data["title"],
            reporter=reporter,
            claims=claims,
            file=self.loaded.file,
            source=data.get("source"),
        )

    def _slug(self, path: list[str | int], value: str, what: str) -> None:
        if not _SLUG.match(value):
            raise self.fail(path, f"{what} {value!r}: expected a slug (lower-case letters, digits, hyphens)")

    def _version(self, path: list[str | int], value: str, what: str) -> str:
        if not _VERSION.match(value):
            raise self.fail(path, f"{what} {value!r}: expected a release number such as 3.17.2")
        return value

    def environment(self, path: list[str | int], raw: dict[str, Any]) -> Environment:
        variables, lines = self.variables([*path, "variables"], raw.get("variables") or {})
        server = raw.get("server")
        return Environment(
            python=self._version([*path, "python"], raw["python"], "python"),
            sdk=self.sdk([*path, "sdk"], raw["sdk"]),
            mlflow_client=self._version([*path, "mlflow_client"], raw["mlflow_client"], "mlflow_client"),
            server=self.server([*path, "server"], server) if server is not None else None,
            variables=variables,
            variable_lines=lines,
        )

    def sdk(self, path: list[str | int], raw: dict[str, Any]) -> SdkSource:
        kinds = [kind for kind in SDK_KINDS if kind in raw]
        if len(kinds) != 1:
            given = ", ".join(kinds) or "none"
            raise self.fail(path, f"sdk: expected exactly one of {', '.join(SDK_KINDS)} (given: {given})")
        kind = kinds[0]
        value = str(raw[kind])
        if kind == "version":
            self._version([*path, kind], value, "sdk.version")
        if kind in ("path", "wheel"):
            resolved = (self.base / value).resolve()
            if not inside(resolved, self.roots):
                raise self.fail(
                    [*path, kind],
                    f"sdk.{kind} {value!r} resolves to {resolved}, outside the report's repository "
                    f"({self.roots[0]}) and this one ({self.roots[1]}); expected a "
                    f"{'project directory' if kind == 'path' else 'wheel'} inside one of them "
                    "(or use sdk.git / sdk.version)",
                )
            exists = resolved.is_dir() if kind == "path" else resolved.is_file()
            if not exists:
                what = "a project directory" if kind == "path" else "a wheel file"
                raise self.fail([*path, kind], f"sdk.{kind} {value!r}: no such {what} ({resolved})")
            if kind == "wheel" and resolved.suffix != ".whl":
                raise self.fail([*path, kind], f"sdk.wheel {value!r}: expected a .whl file")
            value = str(resolved)
        return SdkSource(kind=kind, value=value, described_as=raw.get("described_as"))

    def server(self, path: list[str | int], raw: dict[str, Any]) -> ServerSpec:
        auth = raw["auth"]
        scopes = tuple(raw.get("key_scopes") or ())
        if auth == AUTH_GATEWAY and not scopes:
            raise self.fail(
                path, "server: auth gateway-api-key needs key_scopes (the reporter's key's scopes)"
            )
        if auth != AUTH_GATEWAY and scopes:
            raise self.fail(
                [*path, "key_scopes"], "server.key_scopes: only for auth gateway-api-key", key=True
            )
        if auth != AUTH_BASIC and "basic_user" in raw:
            raise self.fail([*path, "basic_user"], "server.basic_user: only for auth basic", key=True)
        return ServerSpec(
            mlflow=self._version([*path, "mlflow"], raw["mlflow"], "server.mlflow"),
            auth=auth,
            key_scopes=scopes,
            basic_user=raw.get("basic_user", "reader"),
            topology=raw.get("topology", TOPOLOGY_PLAIN),  # the schema allows plain or ha
        )

    def variables(self, path: list[str | int], raw: dict[str, str]) -> tuple[dict[str, str], dict[str, int]]:
        lines = {}
        for name, value in raw.items():
            if not _VARIABLE.match(str(name)):
                raise self.fail([*path, name], f"variable name {name!r}: expected A-Z, 0-9 and _", key=True)
            problem = malformed_reference(value)
            if problem:
                raise self.fail([*path, name], f"variable {name}: {problem}")
            lines[name] = self.loaded.line([*path, name]) or 1
        return dict(raw), lines

    def claim(self, index: int, raw: dict[str, Any]) -> Claim:
        path: list[str | int] = ["claims", index]
        self._slug([*path, "id"], raw["id"], "claim id")
        variables, lines = self.variables([*path, "variables"], raw.get("variables") or {})
        observed = raw["observed"]
        return Claim(
            id=raw["id"],
            title=raw["title"],
            code=raw["code"],
            observed=Observed(
                exception=observed.get("exception"),
                message=observed.get("message"),
                status=observed.get("status"),
                output=observed.get("output"),
            ),
            reported_as=raw.get("reported_as"),
            variables=variables,
            variable_lines=lines,
            timeout=float(raw.get("timeout", DEFAULT_CLAIM_TIMEOUT)),
            line=self.loaded.line(path),
        )

"""Reading bug reports: the fixtures load, mistakes are named FILE:LINE, literal secrets are refused
with their line and without being echoed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hokusai_contracts.base.errors import ContractError
from hokusai_contracts.repro.load import load_report
from hokusai_contracts.repro.report import AUTH_GATEWAY

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "bug_reports"
# Built at runtime so that no key-shaped literal sits in this file either.
LIVE_KEY = "hk_live_" + "9fQx2LmZpR7tVbN3QtNaBcDeFgHiJkLm"
PASSWORD = "s3cr3t-Pa55word-42"

VALID = """\
report: example
title: An example report
reporter:
  python: "3.11"
  sdk:
    path: .
  mlflow_client: 3.17.2
  server:
    mlflow: 3.17.2
    auth: gateway-api-key
    key_scopes: [mlflow:read]
  variables:
    MLFLOW_TRACKING_URI: ${TRACKING_URI}
    MLFLOW_TRACKING_TOKEN: ${API_KEY}
claims:
  - id: first
    title: The first claim
    code: |
      import hokusai
    observed:
      exception: ImportError
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    path = tmp_path / "report.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _error(tmp_path: Path, text: str) -> ContractError:
    with pytest.raises(ContractError) as caught:
        load_report(_write(tmp_path, text))
    return caught.value


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.yaml")))
def test_fixtures_load(name: str) -> None:
    report = load_report(FIXTURES / name)
    assert report.claims and all(claim.code.strip() for claim in report.claims)
    assert report.reporter.sdk.kind == "path" and Path(report.reporter.sdk.value).is_dir()


def test_lead_scoring_report_reads_as_written() -> None:
    report = load_report(FIXTURES / "lead-scoring.yaml")
    assert [c.id for c in report.claims] == [
        "tracking-module-empty",
        "registry-requires-tracking-uri",
        "tracking-token-403",
        "register-tokenized-model-missing",
    ]
    assert report.reporter.mlflow_client == "2.9.0" and report.reporter.python == "3.11.8"
    assert report.reporter.server.auth == AUTH_GATEWAY and report.reporter.server.key_scopes == (
        "mlflow:read",
    )
    assert report.reporter.sdk.value == str(REPO)
    token = report.claim("tracking-token-403")
    assert token.observed.status == 403 and token.variables == {"MLFLOW_TRACKING_TOKEN": "${API_KEY}"}
    assert report.reporter.variable_lines["HOKUSAI_API_KEY"] == 20


@pytest.mark.parametrize(
    ("old", "new", "line", "fragment"),
    [
        ("  mlflow_client: 3.17.2\n", "  mlflow_client: 3.17.2\n  colour: blue\n", 8, "unknown key 'colour'"),
        ('  python: "3.11"\n', "  python: 3.11\n", 4, "YAML reads 3.11 as a number: quote it"),
        (
            "    auth: gateway-api-key\n",
            "    auth: oauth\n",
            10,
            "expected one of: none, basic, gateway-api-key",
        ),
        ("  mlflow_client: 3.17.2\n", "  mlflow_client: latest\n", 7, "expected a release number"),
        ("    path: .\n", "    path: .\n    git: main\n", 6, "exactly one of version, git, path, wheel"),
        ("    path: .\n", "    path: ./nowhere\n", 6, "no such a project directory"),
        ("      exception: ImportError\n", "      {}\n", 21, "should be non-empty"),
        ("  - id: first\n", "  - id: First Claim\n", 16, "expected a slug"),
        ("    key_scopes: [mlflow:read]\n", "", 9, "needs key_scopes"),
        (
            "    MLFLOW_TRACKING_URI: ${TRACKING_URI}\n",
            "    MLFLOW_TRACKING_URI: ${TRACKING URI}\n",
            13,
            "malformed",
        ),
    ],
)
def test_mistakes_are_named_with_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, fragment: str
) -> None:
    assert old in VALID
    error = _error(tmp_path, VALID.replace(old, new))
    assert error.file.endswith("report.yaml") and error.line == line, str(error)
    assert fragment in str(error)
    assert str(error).startswith(f"{error.file}:{line}: ")


def test_duplicate_claim_ids_are_refused(tmp_path: Path) -> None:
    second = VALID.split("claims:\n", 1)[1]
    error = _error(tmp_path, VALID + second)
    assert error.line == 22 and "claim id 'first' is used twice" in str(error)


@pytest.mark.parametrize(
    ("old", "new", "line", "kind"),
    [
        ("${API_KEY}", LIVE_KEY, 14, "a literal Hokusai API key"),
        ("      import hokusai\n", f'      registry = ModelRegistry(api_key="{LIVE_KEY}")\n', 19, "API key"),
        ("${API_KEY}", PASSWORD, 14, "a literal value for the secret variable MLFLOW_TRACKING_TOKEN"),
        ("${TRACKING_URI}", f"https://admin:{PASSWORD}@mlflow.example", 13, "a password in a URL"),
        (
            "      import hokusai\n",
            f'      os.environ["MLFLOW_TRACKING_PASSWORD"] = "{PASSWORD}"\n',
            19,
            "in code",
        ),
        (
            "      import hokusai\n",
            f'      headers = {{"Authorization": "Bearer {PASSWORD}"}}\n',
            19,
            "bearer token",
        ),
    ],
)
def test_literal_secrets_are_refused_by_line_without_echo(
    tmp_path: Path, old: str, new: str, line: int, kind: str
) -> None:
    error = _error(tmp_path, VALID.replace(old, new, 1))
    message = str(error)
    assert error.line == line and kind in message
    assert "${NAME}" in message  # the pointer to references
    secret = LIVE_KEY if LIVE_KEY in new else PASSWORD
    for piece in (secret, secret[-4:], secret[8:16]):
        assert piece not in message


def test_every_secret_line_is_listed(tmp_path: Path) -> None:
    text = VALID.replace("${API_KEY}", LIVE_KEY).replace(
        "      import hokusai\n", f"      key = '{LIVE_KEY}'\n"
    )
    error = _error(tmp_path, text)
    assert error.line == 14 and error.more == (
        f"{error.file}:19: a literal Hokusai API key (hk_live_/hk_test_) (not shown)",
    )


def test_secrets_are_refused_before_schema_errors_could_echo_them(tmp_path: Path) -> None:
    # An enum error would print the value: the secret scan runs first.
    error = _error(tmp_path, VALID.replace("auth: gateway-api-key", f"auth: {LIVE_KEY}"))
    assert error.line == 10 and LIVE_KEY[8:] not in str(error)


@pytest.mark.parametrize(
    "value",
    ["${HOKUSAI_API_KEY}", "hk_live_<redacted>", "hk_live_...", "<your key>", "***"],
)
def test_references_and_placeholders_are_no_secrets(tmp_path: Path, value: str) -> None:
    text = VALID.replace("      import hokusai\n", f'      registry = ModelRegistry(api_key="{value}")\n')
    assert load_report(_write(tmp_path, text)).claims[0].code.startswith("registry = ")


@pytest.mark.parametrize(
    "line",
    [
        'print("password:", os.environ["MLFLOW_TRACKING_PASSWORD"])',
        'token = os.environ["MLFLOW_TRACKING_TOKEN"]',
        'headers = {"Authorization": f"Bearer {token}"}',
        'mlflow.set_tracking_uri("https://registry.hokus.ai/mlflow")',
    ],
)
def test_code_that_only_handles_secrets_is_accepted(tmp_path: Path, line: str) -> None:
    report = load_report(_write(tmp_path, VALID.replace("      import hokusai\n", f"      {line}\n")))
    assert report.claims[0].code == line + "\n"

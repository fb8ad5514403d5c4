"""Run one scenario: resolve its variables, prepare files and setup, make the call in isolation, observe.

The call goes through a recording proxy in front of the real server, so what reached the server is
known. ``hook`` is the seam for deliberate regressions in the harness's own tests: it receives the
call and the scenario and may wrap, alter or replace the call.
"""

from __future__ import annotations

import configparser
import functools
import shutil
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hokusai_contracts.base.errors import InfrastructureError
from hokusai_contracts.checks.auth.isolation import captured, environment, sdk_state
from hokusai_contracts.checks.auth.model import Observation, Scenario
from hokusai_contracts.checks.auth.operations import OPERATIONS, CallInputs, write_model_folder
from hokusai_contracts.checks.auth.proxy import RecordingProxy, recording
from hokusai_contracts.checks.auth.servers import ServerHandle, unknown_key, wrong_password
from hokusai_contracts.checks.auth.setup_steps import run_setup
from hokusai_contracts.checks.auth.variables import is_secret, references, substitute

CallHook = Callable[[Callable[[], Any], Scenario], Any]
_ATTRIBUTES = ("status_code", "error_code", "required_scope", "mlflow_registered", "retry_after")


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario, what running it observed, and its secrets by variable name (for the leak check)."""

    scenario: Scenario
    observation: Observation
    secrets: Mapping[str, str]


def referenced(scenario: Scenario) -> set[str]:
    """Every variable the scenario uses (setup steps name key variables bare)."""
    names = set(references([scenario.env, scenario.args, scenario.config_file, scenario.files]))
    names |= set(references(scenario.call_args))
    for step in scenario.setup:
        names |= {step.argument} if step.action == "exhaust_rate_limit" else set(references(step.argument))
    return names


def scenario_values(
    scenario: Scenario, handle: ServerHandle, proxy_url: str, workdir: Path
) -> dict[str, str]:
    """The value of every variable the scenario may use (server secrets only when referenced)."""
    values = {
        "UNIQUE": f"auth-{scenario.name}-{uuid.uuid4().hex[:8]}",
        "TMP": str(workdir),
        "TRACKING_URI": proxy_url + handle.tracking_path,
        "KEY_UNKNOWN": unknown_key(),
        "WRONG_PASSWORD": wrong_password(),
    }
    if handle.is_gateway:
        values["API_URL"] = proxy_url
    values.update(handle.variables(sorted(referenced(scenario) - set(values))))
    return values


def write_config_file(home: Path, profiles: Mapping[str, Mapping[str, str]]) -> None:
    """``~/.hokusai/config`` with the scenario's profiles (mode 0600, as the SDK writes it)."""
    if not profiles:
        return
    parser = configparser.ConfigParser(interpolation=None)
    for profile, entries in profiles.items():
        parser[profile] = {key: value for key, value in entries.items() if value}
    path = home / ".hokusai" / "config"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        parser.write(handle)
    path.chmod(0o600)


def scenario_secrets(values: Mapping[str, str], handle: ServerHandle) -> dict[str, str]:
    """The secrets to look for, by the name a finding may print: the scenario's, then the server's."""
    secrets = {name: value for name, value in values.items() if is_secret(name)}
    others = [value for value in handle.secrets() if value not in secrets.values()]
    secrets.update({f"a server secret (#{number})": value for number, value in enumerate(others, 1)})
    return secrets


def prepare(
    scenario: Scenario, handle: ServerHandle, proxy: RecordingProxy, values: Mapping[str, str]
) -> None:
    """Write the scenario's files and config profiles, and run (or schedule) its setup steps."""
    workdir = Path(values["TMP"])
    (workdir / "home").mkdir()
    for name, content in scenario.files.items():
        (workdir / name).write_text(substitute(content, values), encoding="utf-8")
    write_config_file(workdir / "home", substitute(scenario.config_file, values))
    # A rate limit is spent when the call's first request arrives: the SDK's first imports can take
    # longer than the gateway needs to refill a token.
    deferred = [step for step in scenario.setup if step.action == "exhaust_rate_limit"]
    run_setup(handle, tuple(step for step in scenario.setup if step not in deferred), values)
    for step in deferred:
        proxy.before_first_request(functools.partial(run_setup, handle, (step,), values))


def run_scenario(scenario: Scenario, handle: ServerHandle, hook: CallHook | None = None) -> ScenarioRun:
    """Run ``scenario`` against ``handle``'s server and observe everything."""
    workdir = Path(tempfile.mkdtemp(prefix=f"hokusai-auth-{scenario.name[:40]}-"))
    try:
        with recording(handle.url) as proxy:
            values = scenario_values(scenario, handle, proxy.url, workdir)
            prepare(scenario, handle, proxy, values)
            inputs = CallInputs(
                args=substitute(scenario.args, values),
                call_args=substitute(scenario.call_args, values),
                unique=values["UNIQUE"],
                model_dir=write_model_folder(workdir / "model"),
            )
            env = substitute(scenario.env, values)
            observation = observe(scenario, inputs, env, workdir / "home", proxy, hook)
            if proxy.setup_error is not None:
                raise InfrastructureError(f"a setup step failed: {proxy.setup_error}")
        return ScenarioRun(scenario, observation, scenario_secrets(values, handle))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def observe(
    scenario: Scenario,
    inputs: CallInputs,
    env: Mapping[str, str],
    home: Path,
    proxy: RecordingProxy,
    hook: CallHook | None,
) -> Observation:
    """Make the call (and, for ``circuit: open``, a second one) in isolation; what happened."""
    operation = OPERATIONS[scenario.operation]

    def call() -> Any:
        invoke = lambda: operation(inputs)  # noqa: E731 - the hook receives a plain zero-argument call
        return hook(invoke, scenario) if hook is not None else invoke()

    tracking_uri = env.get("MLFLOW_TRACKING_URI") or inputs.args.get("tracking_uri") or ""
    with environment(home, env), sdk_state(scenario.resilience), captured() as capture:
        before = len(proxy.records())
        started = time.monotonic()
        result, error = _attempt(call)
        observation = _observation(result, error, time.monotonic() - started)
        observation.requests = proxy.records()[before:]
        observation.circuit = _breaker_state(str(tracking_uri))
        if scenario.expect.circuit == "open":
            before = len(proxy.records())
            _, followup = _attempt(call)
            observation.followup_exception = type(followup).__name__ if followup else "none"
            observation.followup_requests = len(proxy.records()) - before
    observation.logs, observation.output, observation.warnings = (
        capture.logs,
        capture.output,
        capture.warnings,
    )
    return observation


def _attempt(call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return call(), None
    except Exception as exc:
        return None, exc


def _observation(result: Any, error: BaseException | None, duration: float) -> Observation:
    if error is None:
        return Observation(succeeded=True, result=result, duration_s=duration)
    return Observation(
        succeeded=False,
        exception_type=type(error).__name__,
        attributes={name: getattr(error, name) for name in _ATTRIBUTES if hasattr(error, name)},
        text=_safe(str, error),
        representation=_safe(repr, error),
        traceback="".join(traceback.format_exception(type(error), error, error.__traceback__)),
        duration_s=duration,
    )


def _safe(render: Callable[[Any], str], value: Any) -> str:
    try:
        return render(value)
    except Exception as exc:  # a broken __str__ is an SDK bug the report should show, not a crash
        return f"<{render.__name__}() raised {type(exc).__name__}>"


def _breaker_state(tracking_uri: str) -> str | None:
    if not tracking_uri.startswith(("http://", "https://")):
        return None
    from hokusai.resilience import get_circuit_breaker

    return get_circuit_breaker(tracking_uri.rstrip("/")).state.value

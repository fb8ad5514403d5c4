"""The fault run's report: a JSON document, a Markdown page and a plot of outcomes over time (PNG)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hokusai_contracts.chaos.reconcile import Call, Reconciliation
from hokusai_contracts.chaos.schedule import DESCRIPTIONS

AVAILABILITY_TARGET = 0.999
DATABASE_RECOVERY_TARGET_S = 30.0
MAX_FAILURES_LISTED = 50


@dataclass
class ChaosReport:
    """One run's settings, figures and faults."""

    topology: str
    duration_s: float
    workers: int
    mlflow_version: str | None
    sdk: str
    reconciliation: Reconciliation
    calls: list[Call] = field(default_factory=list, repr=False)
    start: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON document: ``lost``, ``duplicated``, ``availability`` first, then the details."""
        r = self.reconciliation
        return {
            "lost": len(r.lost),
            "duplicated": len(r.duplicated),
            "availability": round(r.availability, 5),
            "calls": r.calls,
            "succeeded": r.succeeded,
            "registrations_acknowledged": r.registrations_acknowledged,
            "applied_despite_error": len(r.applied_despite_error),
            "errors": r.errors,
            "undocumented_errors": r.undocumented_errors,
            "by_operation": r.by_operation,
            "faults": [asdict(recovery) for recovery in r.recoveries],
            "failures": [
                {
                    "at_s": round(c.started - self.start, 2),
                    "took_s": round(c.ended - c.started, 2),
                    "worker": c.worker,
                    "op": c.op,
                    "error": c.error,
                    "message": c.message,
                }
                for c in self.calls
                if not c.ok
            ][:MAX_FAILURES_LISTED],
            "lost_keys": r.lost,
            "duplicated_keys": r.duplicated,
            "topology": self.topology,
            "duration_s": self.duration_s,
            "workers": self.workers,
            "mlflow_version": self.mlflow_version,
            "sdk": self.sdk,
            "notes": self.notes,
        }

    def verdicts(self) -> list[tuple[str, bool, str]]:
        """(criterion, met, figure) for the issue's targets."""
        r = self.reconciliation
        database = [x.recovery_s for x in r.recoveries if x.kind == "restart-postgres"]
        rows = [
            ("0 acknowledged-but-lost registrations", not r.lost, str(len(r.lost))),
            ("0 duplicated registrations", not r.duplicated, str(len(r.duplicated))),
            (
                f"availability >= {AVAILABILITY_TARGET:.1%}",
                r.availability >= AVAILABILITY_TARGET,
                f"{r.availability:.3%}",
            ),
            (
                "every error a documented hokusai exception",
                not r.undocumented_errors,
                str(r.undocumented_errors),
            ),
        ]
        if database:
            rows.append(
                (
                    f"recovery after a PostgreSQL restart <= {DATABASE_RECOVERY_TARGET_S:.0f} s",
                    max(database) <= DATABASE_RECOVERY_TARGET_S,
                    f"{max(database):.1f} s",
                )
            )
        return rows


def markdown(report: ChaosReport, plot_name: str | None) -> str:
    """The Markdown page: the verdicts, the faults table, the errors, the plot."""
    r = report.reconciliation
    lines = [
        f"# Fault run: topology `{report.topology}`",
        "",
        f"{report.workers} worker processes, {report.duration_s:.0f} s, MLflow {report.mlflow_version}, "
        f"SDK {report.sdk}: {r.calls} calls, {r.succeeded} succeeded, "
        f"{r.registrations_acknowledged} registrations acknowledged.",
        "",
        "| criterion | met | figure |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name} | {'yes' if met else '**no**'} | {figure} |" for name, met, figure in report.verdicts()
    ]
    lines += [
        "",
        "## Faults",
        "",
        "| at (s) | fault | instance | action (s) | calls failing for (s) | failed calls | slowest call (s) "
        "| what it does |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for x in r.recoveries:
        what = DESCRIPTIONS.get(x.kind, "") + (f": {x.detail}" if x.detail else "")
        what += f" (**failed: {x.error}**)" if x.error else ""
        lines.append(
            f"| {x.at_s:.1f} | {x.kind} | {x.instance} | {x.action_s:.1f} | {x.recovery_s:.1f} | "
            f"{x.failed_calls} | {x.slowest_call_s:.1f} | {what} |"
        )
    lines += ["", "## Calls by operation", "", "| operation | calls | succeeded |", "|---|---|---|"]
    lines += [f"| {op} | {c['calls']} | {c['succeeded']} |" for op, c in sorted(r.by_operation.items())]
    if r.errors:
        lines += ["", "## Errors the SDK raised", "", "| exception | count | documented |", "|---|---|---|"]
        lines += [
            f"| {name} | {count} | {'no' if name in r.undocumented_errors else 'yes'} |"
            for name, count in sorted(r.errors.items(), key=lambda item: -item[1])
        ]
    if r.lost or r.duplicated or r.applied_despite_error:
        lines += ["", "## Registrations that do not reconcile", ""]
        lines += [f"- lost (acknowledged, not in the registry): `{key}`" for key in r.lost]
        lines += [f"- duplicated ({n} versions): `{key}`" for key, n in r.duplicated.items()]
        lines += [f"- applied although the SDK raised: `{key}`" for key in r.applied_despite_error]
    if report.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in report.notes]
    if plot_name:
        lines += ["", f"![outcomes over time]({plot_name})"]
    return "\n".join(lines) + "\n"


def plot(calls: Sequence[Call], recoveries: Sequence[Any], start: float, path: Path, title: str) -> Path:
    """A PNG of call outcomes over time (one dot per call, by worker) with the faults marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(10, 3.5))
    for ok, colour, label in ((True, "tab:green", "succeeded"), (False, "tab:red", "failed")):
        chosen = [c for c in calls if c.ok is ok]
        axis.scatter(
            [c.started - start for c in chosen],
            [c.worker + (0.15 if c.op == "register" else 0.0) for c in chosen],
            s=6 if ok else 18,
            c=colour,
            label=label,
            marker="o" if ok else "x",
        )
    for x in recoveries:
        axis.axvspan(x.at_s, x.at_s + max(x.action_s, 0.3), color="tab:orange", alpha=0.2)
        axis.text(x.at_s, axis.get_ylim()[1], x.kind, rotation=90, va="top", fontsize=7)
    axis.set_xlabel("seconds since the workload started")
    axis.set_ylabel("worker")
    axis.set_title(title)
    axis.legend(loc="lower right", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write(report: ChaosReport, json_path: Path | None, markdown_path: Path | None) -> list[Path]:
    """Write the JSON and Markdown reports (the PNG beside the Markdown); the paths written."""
    written = []
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report.to_json(), indent=2) + "\n")
        written.append(json_path)
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        png = markdown_path.with_suffix(".png")
        plot(
            report.calls,
            report.reconciliation.recoveries,
            report.start,
            png,
            f"fault run, topology {report.topology}",
        )
        markdown_path.write_text(markdown(report, png.name))
        written += [markdown_path, png]
    return written

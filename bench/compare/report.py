"""The comparison's outputs: a Markdown table, the raw runs as JSON, a PNG bar chart.

One row per gateway x workload with the median [min-max] of each figure over the
repetitions. The chart needs matplotlib (the `bench` extra); without it the PNG is
skipped with a note and everything else is still written.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.compare.runner import HARNESS, Run
from bench.smpp_bench import machine_speed

REFERENCE = "smsgate"


def spread(values: list[float], fmt: Callable[[float], str]) -> str:
    """median [min-max] of `values` (just the value when there is one)."""
    if not values:
        return "-"
    middle = fmt(statistics.median(values))
    if len(values) == 1:
        return middle
    return f"{middle} [{fmt(min(values))}-{fmt(max(values))}]"


def rate(value: float) -> str:
    return f"{value:,.0f}"


def decimal(value: float) -> str:
    return f"{value:.1f}"


def seconds(value: float) -> str:
    return f"{value:.2f}"


def grouped(runs: list[Run]) -> dict[tuple[str, str], list[Run]]:
    """Runs by (workload, gateway), in the order they first ran."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.workload, run.gateway), []).append(run)
    return groups


def median_e2e(runs: list[Run]) -> float | None:
    values = [r.end_to_end_per_s for r in runs if r.status == "ok"]
    return statistics.median(values) if values else None


def cpu_text(runs: list[Run]) -> str:
    """Median CPU per process (processes of one name, `name#2`..., summed); with several
    gateway processes, their sum as well."""
    names: dict[str, list[float]] = {}
    for run in runs:
        for name, value in run.cpu.items():
            names.setdefault(name, []).append(value)
    medians: dict[str, float] = {}
    counts: dict[str, int] = {}
    for name, values in names.items():
        base = name.split("#")[0]
        medians[base] = medians.get(base, 0.0) + statistics.median(values)
        counts[base] = counts.get(base, 0) + 1
    own = [name for name in medians if name not in HARNESS]
    text = ", ".join(
        f"{name} {medians[name]:.0f}" + (f" ({counts[name]} processes)" if counts[name] > 1 else "")
        for name in own
    )
    if len(own) > 1:
        text += f" (all {sum(medians[n] for n in own):.0f})"
    harness = ", ".join(f"{name} {medians[name]:.0f}" for name in HARNESS if name in medians)
    return "; ".join(part for part in (text, harness) if part) or "-"


def cpu_per_message(runs: list[Run]) -> list[float]:
    return [r.cpu_us_per_msg for r in runs if r.cpu_us_per_msg is not None]


def receipts_text(runs: list[Run]) -> str:
    if all(r.receipts is None for r in runs):
        return "-"
    got = [(r.receipts or 0, r.accepted) for r in runs]
    count = "all" if all(n >= want for n, want in got) else f"min {min(n for n, _ in got)}"
    after = [r.receipts_s for r in runs if r.receipts_s is not None]
    dup = sum(r.receipt_duplicates for r in runs)
    return f"{count} after {spread(after, seconds)} s" + (f", {dup} dup" if dup else "")


def markdown(runs: list[Run], meta: dict[str, Any]) -> str:
    lines = [
        "# smsgate, Jasmin and Kannel side by side",
        "",
        f"{meta['date']}; {meta['machine']}; Python {meta['python']}. "
        f"{meta['reps']} repetition(s), gateways alternating; a fresh gateway per run after "
        f"a {meta['warmup']}-message warm-up; every gateway sends to the same SMPP sink "
        "(a separate process). Figures are median [min-max] over the repetitions; times "
        "are seconds from the first request; CPU is % of one core over the run; CPU µs/msg "
        "is the CPU time of all the gateway's processes over the run (until every message, "
        "and receipt if asked, arrived) per message.",
        "",
    ]
    for name, about in meta["gateways"].items():
        lines.append(f"- **{name}** {about['version']}: {about['settings']}")
    lines += [
        "",
        "| workload | gateway | messages | accepted msg/s | p50 ms | p99 ms | all at sink s "
        "| end-to-end msg/s | lost / dup (all reps) | receipts | CPU % | CPU µs/msg "
        "| smsgate / this |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    groups = grouped(runs)
    notes: list[str] = []
    for (workload, gateway), group in groups.items():
        ok = [r for r in group if r.status == "ok"]
        if not ok:
            lines.append(f"| {workload} | {gateway} | {group[0].status} |" + " |" * 10)
            continue
        reference = median_e2e(groups.get((workload, REFERENCE), []))
        own = median_e2e(ok)
        ratio = "-"
        if gateway != REFERENCE and reference is not None and own:
            ratio = f"{reference / own:.2f}"
        lines.append(
            f"| {workload} | {gateway} | {ok[0].messages:,} "
            f"| {spread([r.accepted_per_s for r in ok], rate)} "
            f"| {spread([r.p50_ms for r in ok], decimal)} "
            f"| {spread([r.p99_ms for r in ok], decimal)} "
            f"| {spread([r.sink_s for r in ok if r.sink_s is not None], seconds)} "
            f"| {spread([r.end_to_end_per_s for r in ok], rate)} "
            f"| {sum(r.lost for r in ok)} / {sum(r.duplicates for r in ok)} "
            f"| {receipts_text(ok)} | {cpu_text(ok)} | {spread(cpu_per_message(ok), rate)} "
            f"| {ratio} |"
        )
        notes += [f"{gateway} {workload} rep {r.rep}: {r.status}" for r in group if r not in ok]
        notes += [f"{gateway} {workload} rep {r.rep}: {r.note}" for r in ok if r.note]
        notes += [
            f"{gateway} {workload} rep {r.rep}: {r.errors} request(s) not accepted"
            for r in ok
            if r.errors
        ]
    if notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def chart(runs: list[Run], path: Path) -> bool:
    """Bars per workload and gateway: end-to-end msg/s, and the gateway's CPU µs per
    message; False without matplotlib."""
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return False
    matplotlib.use("Agg")
    plt: Any = importlib.import_module("matplotlib.pyplot")
    fig, (rates, cpu) = plt.subplots(1, 2, figsize=(14, 5))
    _bars(rates, runs, lambda r: [r.end_to_end_per_s])
    rates.set_title("end-to-end msg/s (higher is better)")
    _bars(cpu, runs, lambda r: [] if r.cpu_us_per_msg is None else [r.cpu_us_per_msg])
    cpu.set_yscale("log")
    cpu.set_title("CPU µs per message, all the gateway's processes (lower is better)")
    fig.suptitle("HTTP/SMPP in -> SMPP out, one sink, same machine; median and min-max")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def _bars(ax: Any, runs: list[Run], value: Callable[[Run], list[float]]) -> None:
    """One group of bars per workload, one bar per gateway: median with min-max."""
    groups = grouped(runs)
    workloads = list(dict.fromkeys(w for w, _ in groups))
    gateways = list(dict.fromkeys(g for _, g in groups))
    width = 0.8 / max(1, len(gateways))
    for n, gateway in enumerate(gateways):
        medians, low, high = [], [], []
        for workload in workloads:
            ok = [r for r in groups.get((workload, gateway), []) if r.status == "ok"]
            values = [v for r in ok for v in value(r)]
            middle = statistics.median(values) if values else 0.0
            medians.append(middle)
            low.append(middle - min(values) if values else 0.0)
            high.append(max(values) - middle if values else 0.0)
        xs = [i + (n - (len(gateways) - 1) / 2) * width for i in range(len(workloads))]
        ax.bar(xs, medians, width, yerr=[low, high], capsize=3, label=gateway)
    ax.set_xticks(range(len(workloads)), workloads, rotation=20)
    ax.legend()


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    speed = machine_speed()
    return (
        f"{os.cpu_count()} cores ({model or platform.machine()}), {memory:.0f} GiB, "
        f"{speed:.0f}M empty-loop iterations/s"
    )


def write(
    runs: list[Run], meta: dict[str, Any], out: Path, png: bool, say: Callable[[str], None]
) -> None:
    """Write compare.md, compare.json (and compare.png) under `out`; print the table."""
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "python": platform.python_version(),
        **meta,
    }
    text = markdown(runs, meta)
    (out / "compare.md").write_text(text)
    document = {"meta": meta, "runs": [asdict(r) for r in runs]}
    (out / "compare.json").write_text(json.dumps(document, indent=1) + "\n")
    say(text)
    if png:
        if chart(runs, out / "compare.png"):
            say(f"wrote {out / 'compare.png'}")
        else:
            say("matplotlib is not installed (pip install -e '.[bench]'): no PNG chart")
    say(f"wrote {out / 'compare.md'} and {out / 'compare.json'}")

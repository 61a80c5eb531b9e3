"""Drift speed: aipo's drift methods on many models, and Evidently on the same data.

Times ``aipo_site.evaluate.drift_methods.measure_many`` for every model of a seeded synthetic
portfolio (default 1,000 models x 10 features x 10,000 reference + 10,000 current rows), per
method, and reports milliseconds per model and the total. Data are generated model by model
(not timed), so memory stays at one model's arrays.

When an Evidently installation is given (``--evidently-python``: the interpreter of a separate
virtual environment, since Evidently needs pandas < 3), the first ``--evidently-models`` models
are written to a temporary ``.npz`` file and a small script runs there, in a subprocess:
``Report([DataDriftPreset(method=...)])`` per model (what an Evidently user runs) and, for a
core-to-core comparison, Evidently's bare stat-test functions per column. Its values are then
compared with aipo's for the same method and the same bins (Evidently's binning rebuilt from
its source: Sturges equal-width bins over reference + current when the reference has more than
20 distinct values, else one bin per value; natural-log Jensen-Shannon).

    python3 -m venv /tmp/evidently-venv
    /tmp/evidently-venv/bin/pip install evidently 'pandas<3'
    .venv/bin/python benchmarks/drift_speed.py --evidently-python /tmp/evidently-venv/bin/python

Timings are wall-clock (``time.perf_counter``) and process CPU time (``time.process_time``);
on a shared machine the CPU time is the steadier of the two. The load average is printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import scipy

from aipo_site.evaluate import drift_methods as dm

SEED = 20261120
METHODS = ["auto", "psi", "ks", "wasserstein", "jensen_shannon"]
EVIDENTLY_NAMES = {
    "auto": None,
    "psi": "psi",
    "ks": "ks",
    "wasserstein": "wasserstein",
    "jensen_shannon": "jensenshannon",
}

# ----------------------------------------------------------------------------- data


def model_data(model: int, features: int, rows: int, seed: int = SEED):
    """Reference and current samples (rows x features) of one model, seeded by its index.

    Feature ``i`` cycles through five shapes: two Gaussians, a log-normal, a Poisson count
    (~15 distinct values) and a 4-level integer code (low cardinality: categorical for the
    automatic choice). About half the features drift, by up to half a standard deviation.
    """
    rng = np.random.default_rng([seed, model])
    ref = np.empty((rows, features))
    cur = np.empty((rows, features))
    for i in range(features):
        drift = rng.uniform(0.0, 0.5) if rng.random() < 0.5 else 0.0
        shape = i % 5
        if shape in (0, 1):
            mu, sd = rng.normal(0, 10), rng.uniform(0.5, 5)
            ref[:, i] = rng.normal(mu, sd, rows)
            cur[:, i] = rng.normal(mu + drift * sd, sd * (1 + drift / 5), rows)
        elif shape == 2:
            ref[:, i] = rng.lognormal(0.0, 0.6, rows)
            cur[:, i] = rng.lognormal(drift * 0.6, 0.6, rows)
        elif shape == 3:
            ref[:, i] = rng.poisson(4.0, rows)
            cur[:, i] = rng.poisson(4.0 + 2 * drift * 2.0, rows)
        else:
            p = np.array([0.4, 0.3, 0.2, 0.1])
            q = p + drift * np.array([-0.3, 0.0, 0.1, 0.2])
            ref[:, i] = rng.choice(4, rows, p=p)
            cur[:, i] = rng.choice(4, rows, p=q / q.sum())
    return ref, cur


# ----------------------------------------------------------------------------- aipo timing


def time_aipo(models: int, features: int, rows: int) -> dict[str, dict[str, float]]:
    totals = {m: {"wall": 0.0, "cpu": 0.0} for m in METHODS}
    warm_ref, warm_cur = model_data(0, features, min(rows, 2000))
    for method in METHODS:
        dm.measure_many(method, warm_ref, warm_cur)
    started = time.perf_counter()
    for model in range(models):
        ref, cur = model_data(model, features, rows)
        for method in METHODS:
            w0, c0 = time.perf_counter(), time.process_time()
            dm.measure_many(method, ref, cur)
            totals[method]["wall"] += time.perf_counter() - w0
            totals[method]["cpu"] += time.process_time() - c0
        if model and model % 200 == 0:
            print(f"  ... {model} models, {time.perf_counter() - started:.0f} s", flush=True)
    return totals


# ----------------------------------------------------------------------------- Evidently

EVIDENTLY_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.filterwarnings("ignore")
    import numpy as np, pandas as pd
    import evidently
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType

    data = np.load(sys.argv[1])
    methods = json.loads(sys.argv[2])
    reference, current = data["reference"], data["current"]
    n_models, _, n_features = reference.shape
    cols = [f"f{i}" for i in range(n_features)]
    definition = DataDefinition(numerical_columns=cols)

    def frames(m):
        return (pd.DataFrame(reference[m], columns=cols), pd.DataFrame(current[m], columns=cols))

    def preset(method, m):
        ref, cur = frames(m)
        t0, c0 = time.perf_counter(), time.process_time()
        snapshot = Report([DataDriftPreset(method=method)]).run(
            current_data=Dataset.from_pandas(cur, data_definition=definition),
            reference_data=Dataset.from_pandas(ref, data_definition=definition),
        )
        result = snapshot.dict()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        values = {}
        for metric in result["metrics"]:
            config = metric["config"]
            if config.get("type", "").endswith("ValueDrift"):
                values[config["column"]] = [float(metric["value"]), config["method"]]
        return wall, cpu, [values[c] for c in cols]

    def bare(method, m):
        ref, cur = frames(m)
        t0, c0 = time.perf_counter(), time.process_time()
        out = []
        for c in cols:
            test = get_stattest(ref[c], cur[c], ColumnType.Numerical, method)
            out.append(float(test(ref[c], cur[c], ColumnType.Numerical, None).drift_score))
        return time.perf_counter() - t0, time.process_time() - c0, out

    preset(None, 0)  # warm-up: imports, registries
    report = {"version": evidently.__version__, "pandas": pd.__version__, "methods": {}}
    for method in methods:
        runs = [preset(method, m) for m in range(n_models)]
        cores = [bare(method, m) for m in range(n_models)]
        report["methods"][str(method)] = {
            "preset_wall": sum(r[0] for r in runs),
            "preset_cpu": sum(r[1] for r in runs),
            "values": [r[2] for r in runs],
            "core_wall": sum(r[0] for r in cores),
            "core_cpu": sum(r[1] for r in cores),
            "core_values": [r[2] for r in cores],
        }
    print(json.dumps(report))
    """
)


def run_evidently(python: str, models: int, features: int, rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = [model_data(m, features, rows) for m in range(models)]
        path = Path(tmp) / "data.npz"
        np.savez(
            path, reference=np.stack([d[0] for d in data]), current=np.stack([d[1] for d in data])
        )
        script = Path(tmp) / "evidently_drift.py"
        script.write_text(EVIDENTLY_SCRIPT, encoding="utf-8")
        names = [EVIDENTLY_NAMES[m] for m in METHODS]
        proc = subprocess.run(
            [python, str(script), str(path), json.dumps(names)],
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"Evidently run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def evidently_bins(ref: np.ndarray, cur: np.ndarray) -> dm.BinnedCounts:
    """Evidently's ``get_binned_data``: Sturges equal-width bins over reference + current when
    the reference has more than 20 distinct values, else one bin per distinct value."""
    if np.unique(ref).size > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        return dm.binned_counts(ref, cur, bins=edges)
    return dm.categorical_counts(ref, cur)


def evidently_fill(p: np.ndarray) -> np.ndarray:
    """Evidently's empty-bin rule: 1e-4, or min(non-empty) / 1e6 when that minimum is <= 1e-4."""
    smallest = p[p != 0].min()
    out = p.copy()
    out[out == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return out


def aipo_like_evidently(method: str, ref: np.ndarray, cur: np.ndarray) -> dict[str, float]:
    """aipo's value for Evidently's method on Evidently's bins (and, for PSI, its fill rule)."""
    if method == "ks":
        return {"value": dm.ks(ref, cur)[1]}
    if method == "wasserstein":
        return {"value": dm.wasserstein_norm(ref, cur)}
    b = evidently_bins(ref, cur)
    if method == "jensen_shannon":
        return {"value": dm.jensen_shannon_from_counts(b.reference, b.current, base=math.e)}
    # psi: aipo's fixed eps, and the same formula with Evidently's adaptive fill for reference
    r, c = b.reference / b.reference.sum(), b.current / b.current.sum()
    r_fill, c_fill = evidently_fill(r), evidently_fill(c)
    return {
        "value": dm.psi_from_counts(b.reference, b.current),
        "with_evidently_fill": float(np.sum((r_fill - c_fill) * np.log(r_fill / c_fill))),
        "empty_bins": int(np.count_nonzero((b.reference == 0) | (b.current == 0))),
    }


def compare(evidently: dict, models: int, features: int, rows: int) -> list[str]:
    lines = []
    for method in METHODS:
        ev = evidently["methods"][str(EVIDENTLY_NAMES[method])]
        diffs, fill_diffs, chosen = [], [], set()
        mismatched = mismatched_without_empty = features_with_empty = 0
        for m in range(models):
            ref, cur = model_data(m, features, rows)
            for i in range(features):
                value, ev_method = ev["values"][m][i]
                assert abs(value - ev["core_values"][m][i]) <= 1e-12 * max(1.0, abs(value))
                if method == "auto":
                    ours = dm.measure("auto", ref[:, i], cur[:, i], base=math.e)
                    chosen.add(f"{ev_method} / {ours.method}")
                    # Evidently's p-value methods report the p-value, aipo's value is the
                    # statistic; at 10k rows neither side picks one.
                    diffs.append(abs(ours.score - value))
                    continue
                ours = aipo_like_evidently(method, ref[:, i], cur[:, i])
                diffs.append(abs(ours["value"] - value))
                if "with_evidently_fill" in ours:
                    fill_diffs.append(abs(ours["with_evidently_fill"] - value))
                    differs = abs(ours["value"] - value) > 1e-9
                    features_with_empty += ours["empty_bins"] > 0
                    mismatched += differs
                    mismatched_without_empty += differs and ours["empty_bins"] == 0
        line = f"  {method:15s} max |aipo - Evidently| = {max(diffs):.2e}"
        if chosen:
            line += f"  (methods Evidently / aipo: {', '.join(sorted(chosen))})"
        if fill_diffs:
            line += (
                f"; {mismatched}/{len(diffs)} features differ by > 1e-9, of which"
                f" {mismatched_without_empty} without an empty bin ({features_with_empty}"
                f" features have an empty bin); with Evidently's fill rule instead of eps:"
                f" max diff = {max(fill_diffs):.2e}"
            )
        lines.append(line)
    return lines


# ----------------------------------------------------------------------------- report


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} logical cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}"
    )


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000, help="models to time (default 1000)")
    parser.add_argument("--features", type=int, default=10, help="features per model")
    parser.add_argument("--rows", type=int, default=10_000, help="rows per window (each side)")
    parser.add_argument("--evidently-python", help="python of a venv with evidently installed")
    parser.add_argument(
        "--evidently-models", type=int, default=5, help="models run through Evidently (default 5)"
    )
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    print(f"load average at start: {load_average()}")
    print(
        f"aipo: {args.models} models x {args.features} features x "
        f"{args.rows:,} reference + {args.rows:,} current rows"
    )
    totals = time_aipo(args.models, args.features, args.rows)
    print(f"{'method':15s} {'total wall s':>12s} {'ms/model':>9s} {'cpu ms/model':>13s}")
    for method in METHODS:
        t = totals[method]
        print(
            f"{method:15s} {t['wall']:12.2f} {1e3 * t['wall'] / args.models:9.2f} "
            f"{1e3 * t['cpu'] / args.models:13.2f}"
        )
    print(f"load average at end: {load_average()}")

    if not args.evidently_python:
        print("Evidently: not compared (pass --evidently-python)")
        return 0
    n = min(args.evidently_models, args.models)
    print(f"\nEvidently: {n} models through {args.evidently_python}")
    ev = run_evidently(args.evidently_python, n, args.features, args.rows)
    print(f"evidently {ev['version']}, pandas {ev['pandas']}; load average: {load_average()}")
    print(
        f"{'method':15s} {'preset ms/model':>15s} {'(cpu)':>8s} {'core ms/model':>13s} "
        f"{'aipo ms/model':>13s} {'x preset':>9s} {'x core':>7s}"
    )
    for method in METHODS:
        e = ev["methods"][str(EVIDENTLY_NAMES[method])]
        ours = 1e3 * totals[method]["cpu"] / args.models
        preset_ms, core_ms = 1e3 * e["preset_cpu"] / n, 1e3 * e["core_cpu"] / n
        print(
            f"{method:15s} {1e3 * e['preset_wall'] / n:15.1f} {preset_ms:8.1f} {core_ms:13.1f} "
            f"{ours:13.2f} {preset_ms / ours:9.0f} {core_ms / ours:7.0f}"
        )
    print("(ratios on CPU time: Evidently's DataDriftPreset, and its bare stat-test functions)")
    print("values, same method and bins:")
    for line in compare(ev, n, args.features, args.rows):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

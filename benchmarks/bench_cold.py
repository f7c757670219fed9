"""Init phase and first-request cost, each sample in a fresh interpreter.

For every sample and variant a new Python process (re)starts from nothing and
times, with ``time.perf_counter``:

  init     importing the adapter and building the handler (what Lambda's init
           phase runs at module import; interpreter start-up is excluded);
  first    the first request after init;
  steady   the median of requests 2..11.

Variants: ``bridge`` (``make_handler(...)``, warm-up on, the default),
``bridge-nowarm`` (``make_handler(..., warm_up=False)``) and ``apig-wsgi``
(``make_lambda_handler(get_wsgi_application())``). The goal from issue 2: with
warm-up, ``first`` is close to ``steady``. Each child also reports whether
boto3/botocore got imported (they must not be, on the HTTP path).

    .venv/bin/python benchmarks/bench_cold.py                  # 10 samples, v1
    .venv/bin/python benchmarks/bench_cold.py --samples 5 --format v2 --json
    .venv/bin/python benchmarks/bench_cold.py --profile-first bridge   # what is still lazy
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import _common

VARIANTS = ("bridge", "bridge-observability", "bridge-nowarm", "apig-wsgi")
#: ``bridge-observability``: the bridge with Powertools JSON logs and EMF metrics on.
OBSERVABILITY = {"json_logs": True, "metrics": True, "metrics_namespace": "Bench"}


def child(variant: str, event_json: str, profile: bool) -> dict[str, Any]:
    """Runs in the fresh process. Everything up to the clock is stdlib only."""
    start = time.perf_counter()
    if variant == "apig-wsgi":
        from apig_wsgi import make_lambda_handler
        from django.core.wsgi import get_wsgi_application

        handler = make_lambda_handler(get_wsgi_application())
    else:
        from django_lambda_bridge import make_handler

        options = OBSERVABILITY if variant == "bridge-observability" else {}
        handler = make_handler(_common.SETTINGS, warm_up=variant != "bridge-nowarm", **options)
    init = time.perf_counter() - start
    after_init = {m: m in sys.modules for m in ("boto3", "botocore", "aws_lambda_powertools")}

    from django_lambda_bridge.testing.context import FakeContext

    context = FakeContext()
    modules_before_first = len(sys.modules)
    times = []
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    for i in range(11):
        event = json.loads(event_json)
        if profiler is not None and i == 0:
            profiler.enable()
        t0 = time.perf_counter()
        reply = handler(event, context)
        times.append(time.perf_counter() - t0)
        if i == 0:
            modules_after_first = len(sys.modules)
            if profiler is not None:
                profiler.disable()
        if reply["statusCode"] != 200:
            raise SystemExit(f"{variant}: request {i + 1} got {reply['statusCode']}: {reply}")
    if profiler is not None:
        import pstats

        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(60)
    return {
        "variant": variant,
        "init_ms": init * 1e3,
        "first_ms": times[0] * 1e3,
        "steady_ms": statistics.median(times[1:]) * 1e3,
        "new_modules_on_first_request": modules_after_first - modules_before_first,
        "boto3_after_init": after_init["boto3"],
        "botocore_after_init": after_init["botocore"],
        "boto3_after_requests": "boto3" in sys.modules,
        "powertools_after_requests": "aws_lambda_powertools" in sys.modules,
    }


def spawn(variant: str, fmt: str, db: str, profile: bool = False) -> dict[str, Any]:
    env = {**os.environ, "BENCH_DB": db, "DJANGO_SETTINGS_MODULE": _common.SETTINGS}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # .pyc files exist, as in a deployed package
    cmd = [sys.executable, __file__, "--child", variant, "--format", fmt]
    if profile:
        cmd.append("--profile")
    out = subprocess.run(
        cmd,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE,
        stderr=None if profile else subprocess.PIPE,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare_database() -> str:
    """Create the SQLite file once, in this (untimed) parent process."""
    import django

    django.setup()
    from benchproject.db import create_database

    create_database()
    return os.environ["BENCH_DB"]


def run(samples: int, fmt: str, variants: list[str], db: str, quiet: bool) -> dict[str, Any]:
    # One untimed pass so every child finds warm .pyc files and a warm page cache.
    for variant in variants:
        spawn(variant, fmt, db)
    rows: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for s in range(samples):
        shift = s % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            rows[variant].append(spawn(variant, fmt, db))
        if not quiet:
            print(f"sample {s + 1}/{samples}", file=sys.stderr)
    summary: dict[str, Any] = {}
    for variant, results in rows.items():
        out: dict[str, Any] = {}
        for key in ("init_ms", "first_ms", "steady_ms"):
            values = [r[key] for r in results]
            q1, med, q3 = _common.quartiles(values) if len(values) > 1 else (values[0],) * 3
            out[key] = {"median": med, "q1": q1, "q3": q3}
        ratios = [r["first_ms"] / r["steady_ms"] for r in results]
        out["first_over_steady"] = statistics.median(ratios)
        out["new_modules_on_first_request"] = statistics.median(
            r["new_modules_on_first_request"] for r in results
        )
        out["boto3_imported"] = any(
            r["boto3_after_init"] or r["botocore_after_init"] or r["boto3_after_requests"]
            for r in results
        )
        out["powertools_imported"] = any(r["powertools_after_requests"] for r in results)
        summary[variant] = out
    return {
        "machine": _common.machine(),
        "config": {"samples": samples, "format": fmt, "path": _common.PATH},
        "results": summary,
        "raw": rows,
    }


def print_table(report: dict[str, Any]) -> None:
    cfg = report["config"]
    print(
        f"# cold start: {cfg['samples']} fresh processes per variant, {cfg['format']} GET "
        f"{cfg['path']}; medians (IQR) in ms\n"
    )
    print(
        "| variant | init | first request | steady (median of 2..11) | first/steady "
        "| modules imported by 1st request | boto3 imported | Powertools imported |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|")

    def cell(v: dict[str, float]) -> str:
        return f"{v['median']:.1f} ({v['q1']:.1f}-{v['q3']:.1f})"

    for variant, r in report["results"].items():
        print(
            f"| {variant} | {cell(r['init_ms'])} | {cell(r['first_ms'])} | "
            f"{cell(r['steady_ms'])} | {r['first_over_steady']:.1f}x | "
            f"{r['new_modules_on_first_request']:.0f} | {'yes' if r['boto3_imported'] else 'no'} | "
            f"{'yes' if r.get('powertools_imported') else 'no'} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--format", choices=_common.FORMATS, default="v1")
    parser.add_argument("--variant", action="append", choices=VARIANTS, help="default: all")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--profile-first", choices=VARIANTS, help="cProfile the first request of one child"
    )
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        _common.use_project(os.environ["BENCH_DB"])
        event_json = os.environ.get("BENCH_EVENT") or ""
        print(json.dumps(child(args.child, event_json, args.profile)))
        return 0

    with tempfile.TemporaryDirectory(prefix="dlb-bench-") as tmp:
        _common.use_project(os.path.join(tmp, "bench.sqlite3"))
        os.environ["BENCH_EVENT"] = json.dumps(_common.make_event(args.format))
        db = prepare_database()
        if args.profile_first:
            spawn(args.profile_first, args.format, db)  # warm .pyc files first
            print(json.dumps(spawn(args.profile_first, args.format, db, profile=True), indent=2))
            return 0
        variants = args.variant or list(VARIANTS)
        report = run(args.samples, args.format, variants, db, args.quiet or args.json)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

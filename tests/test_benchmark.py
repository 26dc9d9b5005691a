"""The benchmark runs as the README says, and measures what it names (on a small workbook)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "tests" / "benchmark" / "bench.py"
FIGURES = {
    "orders",
    "lines",
    "xlsx_mb",
    "baseline_s",
    "export_s",
    "writeback_s",
    "ratio_export_to_baseline",
    "ratio_writeback_to_baseline",
    "baseline_peak_mb",
    "export_peak_mb",
    "export_process_peak_mb",
    "ratio_peak_memory",
    "seconds_per_1000_orders",
    "repeat",
    "machine",
}
AGAINST = {
    "against",
    "against_commit",
    "against_export_s",
    "export_difference_s",
    "export_difference_standard_error_s",
}


def run_bench(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(BENCH), "--orders", "30", "--cache", str(tmp_path / "cache")]
    return subprocess.run(
        [*command, *options], capture_output=True, text=True, check=False, cwd=ROOT
    )


def bench(tmp_path: Path, *options: str) -> dict[str, Any]:
    output = tmp_path / "figures.json"
    completed = run_bench(tmp_path, "--json", str(output), *options)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    figures: dict[str, Any] = json.loads(output.read_text())
    # The table printed is the figures written.
    assert completed.stdout.splitlines()[-len(figures) :] == [
        f"{key:<{max(map(len, figures))}}  {value}" for key, value in figures.items()
    ]
    return figures


def test_the_benchmark_measures_the_export_against_the_read(tmp_path: Path) -> None:
    figures = bench(tmp_path, "--repeat", "1")
    assert set(figures) == FIGURES
    assert (figures["orders"], figures["lines"], figures["repeat"]) == (30, 87, 1)
    for key in ("baseline_s", "export_s", "writeback_s", "baseline_peak_mb", "export_peak_mb"):
        assert figures[key] > 0, key
    # The export's peak counts its own process at least.
    assert figures["export_peak_mb"] >= figures["export_process_peak_mb"] > 0
    # The workbook is generated once, in the cache; what the runs wrote is gone.
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == [
        "orders-30-v2.json",
        "orders-30-v2.xlsx",
    ]


def test_the_scan_finds_each_cell_of_a_generated_workbook_with_its_reference(
    tmp_path: Path,
) -> None:
    """What the write-back alone is told (bench.work_writeback), as the export's scan tells it."""
    from ccp_xlsx2iif.package import PackageInspector

    spec = importlib.util.spec_from_file_location("bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "orders.xlsx"
    module.generate(path, 30)
    inspector = PackageInspector(path)
    try:
        assert inspector.scan("Orders").cells_referenced
    finally:
        inspector.close()


def test_a_cached_workbook_exported_in_place_is_generated_again(tmp_path: Path) -> None:
    """Its orders marked, the export would find nothing to do: the benchmark starts afresh."""
    bench(tmp_path, "--repeat", "1")
    cached = tmp_path / "cache" / "orders-30-v2.xlsx"
    generated = cached.read_bytes()
    meta = json.loads(cached.with_suffix(".json").read_text())
    assert meta["sha256"] == hashlib.sha256(generated).hexdigest()
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "ccp_xlsx2iif",
            "export",
            str(cached),
            "-o",
            str(tmp_path / "x.iif"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert cached.read_bytes() != generated

    output = tmp_path / "figures.json"
    completed = run_bench(tmp_path, "--repeat", "1", "--json", str(output))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.splitlines()[0] == (
        "changed since it was generated: generating orders-30-v2.xlsx ..."
    )
    regenerated = cached.read_bytes()
    assert json.loads(cached.with_suffix(".json").read_text()) == meta | {
        "sha256": hashlib.sha256(regenerated).hexdigest()
    }
    # Its export was proven right again: every completed order exported, to the cent.
    assert json.loads(output.read_text())["orders"] == 30
    # Unchanged, it is not generated again.
    again = run_bench(tmp_path, "--repeat", "1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "generating" not in again.stdout
    assert cached.read_bytes() == regenerated


NEEDS_HISTORY = pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="needs the repository's history"
)


@NEEDS_HISTORY
def test_the_benchmark_times_another_revision_alternately(tmp_path: Path) -> None:
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    figures = bench(tmp_path, "--repeat", "2", "--against", "HEAD")
    assert set(figures) == FIGURES | AGAINST
    assert (figures["against"], figures["against_commit"]) == ("HEAD", head)
    assert figures["against_export_s"] > 0
    # The other revision's tool is kept in the cache, beside the workbook.
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == [
        "orders-30-v2.json",
        "orders-30-v2.xlsx",
        f"tool-{head[:12]}",
    ]
    tool = tmp_path / "cache" / f"tool-{head[:12]}"
    assert sorted(path.name for path in tool.iterdir()) == ["ccp_xlsx2iif", "templates"]


@NEEDS_HISTORY
def test_another_revision_that_does_not_exist_is_named(tmp_path: Path) -> None:
    completed = run_bench(tmp_path, "--against", "no-such-revision")
    assert completed.returncode == 1
    assert completed.stderr.startswith("git rev-parse: fatal: ")


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux's /proc")
def test_the_memory_of_an_export_counts_its_child_processes() -> None:
    """A process of 60 MB whose child holds 40 MB more is measured as both together."""
    from tests.benchmark.bench import tree_memory_mb

    held = "data = b'x' * ({} << 20); print(flush=True); import sys; sys.stdin.read()"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {held.format(40)!r}])"
    parent = held.format(60).replace("import sys;", f"import sys; {child};", 1)
    with subprocess.Popen(
        [sys.executable, "-c", parent], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        assert process.stdin is not None
        process.stdout.readline()  # the parent holds its 60 MB
        process.stdout.readline()  # its child holds 40 MB
        measured = tree_memory_mb(process.pid)
        process.stdin.close()
    assert 100 <= measured < 100 + 2 * 15, measured  # and two interpreters, some MB each

"""The README cannot drift: its commands run as written, and what it shows is what they print."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.readme import README, readme_block_after, readme_command

ROOT = README.parent


def test_ci_runs_the_readme_test_command() -> None:
    command = readme_command("tests")
    assert command == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    )
    assert 'test_command="$(python3 tests/readme.py tests)"' in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_the_readme_export_command_installs_and_exports_the_sample(tmp_path: Path) -> None:
    """Run the README's first command as written, in a shell, from the repository's top."""
    sample = ROOT / "samples" / "orders.xlsx"
    sample_before = sample.read_bytes()
    environment = dict(os.environ, TMPDIR=str(tmp_path))
    environment.pop("VIRTUAL_ENV", None)
    completed = subprocess.run(
        ["bash", "-c", readme_command("export-sample")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    shown = readme_block_after("It prints:")
    printed = completed.stdout.splitlines()[-len(shown) :]  # after what pip prints
    demo = next(tmp_path.iterdir())
    # The README shows one run: only the folder and the time differ.
    batch = re.compile(r"orders-\d{8}-\d{6}\.iif")
    assert [batch.sub("BATCH", line.replace(str(demo), "DEMO")) for line in printed] == [
        batch.sub("BATCH", re.sub(r"/tmp/tmp\.\w+", "DEMO", line)) for line in shown
    ]
    assert len(list(demo.glob("orders-*.iif"))) == 1
    assert sample.read_bytes() == sample_before

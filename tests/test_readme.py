"""The README cannot drift: its commands run as written, and what it shows is what they print."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ccp_xlsx2iif import cli
from tests.readme import README, Step, readme_block_after, readme_command, readme_sessions

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


README_NOW = dt.datetime(2026, 11, 25, 14, 2, 33)


def run_session(steps: list[Step]) -> list[str]:
    """Run the commands of a README session; return what it would show with today's output."""
    shown = []
    for step in steps:
        arguments = shlex.split(step.command)
        assert arguments[0] == "ccp-xlsx2iif"
        result = CliRunner().invoke(cli.app, arguments[1:], input=step.answers or None)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        output = result.output if os.sep == "/" else result.output.replace(os.sep, "/")
        shown += [f"$ {step.command}", *output.splitlines()]
    return shown


def test_the_readme_sessions_show_what_the_commands_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the README's sessions in order, in a folder with a copy of samples/."""
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_now", lambda: README_NOW)
    sessions = readme_sessions()
    assert len(sessions) >= 2
    for steps in sessions:
        expected = [line for step in steps for line in (f"$ {step.command}", *step.shown)]
        assert run_session(steps) == expected
    assert (tmp_path / "samples" / "orders.xlsx").read_bytes() == (
        ROOT / "samples" / "orders.xlsx"
    ).read_bytes()


def test_the_readme_documents_every_field_of_the_json_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| field | what it holds |") :].split("\n\n", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE)
    shutil.copyfile(ROOT / "samples" / "orders.xlsx", tmp_path / "orders.xlsx")
    monkeypatch.setattr(cli, "_now", lambda: README_NOW)
    result = CliRunner().invoke(cli.app, ["export", str(tmp_path / "orders.xlsx"), "--json"])
    assert result.exit_code == 0
    assert documented == list(json.loads(result.stdout))

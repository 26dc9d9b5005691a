"""A disk that fills midway: each command names the file it could not write.

The folder is left as it was: no half-written file, no temporary one, the workbook
byte-identical.

The disk is filled for real: the command runs in a process whose files the system stops at a
size (``RLIMIT_FSIZE``), so writes fail where a full disk fails them, inside the buffered
streams, the zip writers and their closing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shops import shopify_export
from tests.test_layouts import accounts_file
from tests.workbooks import OrderBook

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="file size limits are POSIX")

TOO_LARGE = "cannot be written (File too large)"


def run_limited(limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``ccp-xlsx2iif ARGS`` in a process that may write no file beyond ``limit`` bytes."""

    def limit_files() -> None:  # pragma: no cover - runs in the child
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails, the process lives
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "ccp_xlsx2iif", *args],
        capture_output=True,
        text=True,
        preexec_fn=limit_files,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def assert_stopped_at(
    completed: subprocess.CompletedProcess[str], folder: Path, name: str, after: str
) -> None:
    """Assert the command stopped with exit 3, naming first the file that ``name`` matches."""
    assert completed.returncode == 3, completed.stderr
    first, *rest = completed.stderr.splitlines()
    path = re.escape(f"{folder}{os.sep}") + name
    assert re.fullmatch(f"{path}: {re.escape(TOO_LARGE)}{re.escape(after)}", first), first
    assert rest == ["Check that the disk has free space and that you may write to the folder."]


def exported_book(folder: Path) -> Path:
    path = OrderBook().save(folder / "orders.xlsx")
    assert run_limited(1 << 30, "export", str(path), "-q").returncode == 0
    for batch in folder.glob("*.iif"):
        batch.unlink()
    return path


@pytest.mark.parametrize(
    ("limit", "name"),
    [
        (500, r"\.orders-\d{8}-\d{6}\.iif\.partial"),  # the IIF file (1.4 KB) fills it first
        (2000, r"\.orders\.[0-9a-f]{8}\.tmp\.xlsx"),  # the marked copy (6.7 KB) does
    ],
)
def test_export(tmp_path: Path, limit: int, name: str) -> None:
    path = OrderBook().save(tmp_path / "orders.xlsx")
    before = snapshot(tmp_path)
    completed = run_limited(limit, "export", str(path))
    assert_stopped_at(completed, tmp_path, name, "; nothing was changed")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "command", [("unmark", "--all", "-y"), ("mark", "--orders", "1001-1002", "-y")]
)
def test_marking_by_hand(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = exported_book(tmp_path)
    if command[0] == "mark":
        assert run_limited(1 << 30, "unmark", str(path), "--all", "-y").returncode == 0
    before = snapshot(tmp_path)
    completed = run_limited(2000, command[0], str(path), *command[1:])
    assert_stopped_at(
        completed, tmp_path, r"\.orders\.[0-9a-f]{8}\.tmp\.xlsx", "; nothing was changed"
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("limit", "name"),
    [
        (500, r"\.orders_export-\d{8}-\d{6}\.iif\.partial"),  # the IIF file (2.5 KB)
        (3000, r"\.exported-orders\.[0-9a-f]{8}\.tmp\.xlsx"),  # the new ledger (5.3 KB)
    ],
)
def test_csv_export_and_its_ledger(tmp_path: Path, limit: int, name: str) -> None:
    shop = tmp_path / "shop"
    shop.mkdir()
    path = shopify_export().save_csv(shop / "orders_export.csv")
    accounts = accounts_file(tmp_path)
    before = snapshot(shop)
    completed = run_limited(limit, "export", str(path), "--accounts", str(accounts))
    assert_stopped_at(completed, shop, name, "; nothing was changed")
    assert snapshot(shop) == before


@pytest.mark.parametrize("folder", [".", "books", "shop/books"])
def test_init(tmp_path: Path, folder: str) -> None:
    target = tmp_path / folder
    completed = run_limited(2000, "init", str(target))
    assert_stopped_at(completed, target, "orders.xlsx", "; nothing was written")
    assert list(tmp_path.iterdir()) == []  # the folders it made are gone


def in_read_only_mount(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``ccp-xlsx2iif ARGS`` where ``folder`` is mounted again, read-only (Linux).

    The mount lives in a namespace of the command's own, and ends with it.
    """
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    command = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh"]
    return subprocess.run(
        [*command, str(folder), sys.executable, "-m", "ccp_xlsx2iif", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def read_only_mounts(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skip unless this system lets a user mount a folder read-only in a namespace."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        pytest.skip("mounting a folder read-only takes Linux and unshare")
    probe = tmp_path_factory.mktemp("probe")
    if in_read_only_mount(probe, "--version").returncode != 0:
        pytest.skip("no user namespaces to mount a folder read-only in")


@pytest.mark.usefixtures("read_only_mounts")
def test_a_workbook_on_a_read_only_disk(tmp_path: Path) -> None:
    path = exported_book(tmp_path)  # 1001 exported, 1002 to export
    assert run_limited(1 << 30, "unmark", str(path), "--orders", "1002", "-y").returncode == 0
    before = snapshot(tmp_path)
    for command in (
        ("export",),
        ("unmark", "--orders", "1001", "-y"),
        ("mark", "--orders", "1002", "-y"),
    ):
        completed = in_read_only_mount(tmp_path, command[0], str(path), *command[1:])
        assert completed.returncode == 3, completed.stderr
        assert completed.stderr.splitlines() == [
            f"{path}: the workbook is on a read-only disk or share, so it cannot be marked",
            "Copy the workbook to a folder you may write to and run the command on the copy, "
            "or use --dry-run.",
        ]
        assert snapshot(tmp_path) == before
    dry_run = in_read_only_mount(tmp_path, "export", str(path), "--dry-run", "-q")
    assert (dry_run.returncode, dry_run.stderr) == (0, "")

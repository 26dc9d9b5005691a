"""Benchmark: the export against the fastest possible read of the same workbook.

    python tests/benchmark/bench.py --orders 100000 [--repeat 3] [--json FILE] [--openpyxl]
                                    [--against REVISION] [--cache FOLDER]

Generates a realistic order workbook (Orders, Items and Accounts sheets, the items going on
in Items 2, Items 3... past Excel's last row; 1 to 5 items per order, taxes, discounts),
deterministic by seed and cached in tests/benchmark/cache/ (generated again if it changed
there, exported in place for one). The tool's modules are byte-compiled, as an installed
tool's are. Then, each in a fresh process, repeated (the median is kept):

  baseline   python-calamine reads every row of every sheet into Python values
  export     ccp-xlsx2iif export of a fresh copy (read, check, render, write IIF, write back)
  writeback  the write-back alone, marking the same cells
  openpyxl   for reference, where it finishes in reasonable time: openpyxl read-only read,
             and openpyxl load + set one column + save

Peak memory is each process's maximum resident set; the export's is the larger of its own and
that of all its processes together (the export and the processes it starts, on Linux), sampled
in one more run. The export's IIF is read back with the test suite's IIF reader at the end of
each run: a fast export that is wrong does not count.

--against REVISION also times the export of that git revision's tool, in the same rounds,
each version first in every other round, and gives the mean difference of the two (this
one's seconds minus the other's) with its standard error: a shared machine's times vary by
10 to 20% from one run to the next, which hides a change of a few percent between two runs
of the benchmark.

Not collected by pytest (tests/test_benchmark.py runs it on a small workbook).
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import hashlib
import io
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = HERE / "cache"
NOW = "2026-03-14T09:30:05"
SEED = 20261125

FIRST = [
    "Ada",
    "Grace",
    "Linus",
    "Marie",
    "Alan",
    "Rosalind",
    "Katherine",
    "Tim",
    "Barbara",
    "Edsger",
    "Donald",
    "Frances",
    "Jos\u00e9",
    "Bj\u00f6rn",
    "Zo\u00eb",
    "Hedy",
    "Claude",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Pauling",
    "Curie",
    "Turing",
    "Franklin",
    "Johnson",
    "Berners-Lee",
    "Liskov",
    "Dijkstra",
    "Knuth",
    "Allen",
    "M\u00fcller",
    "Nguyen",
    "Lamarr",
    "Shannon",
]
STREETS = [
    "Main St",
    "Oak Avenue",
    "Maple Road",
    "Analytical Way",
    "Compiler Court",
    "Helix Rd",
    "Rue de la Paix",
    "High Street",
    "Elm Street",
    "Harbor Blvd",
]
CITIES = [
    ("Portland", "OR", "972"),
    ("Arlington", "VA", "222"),
    ("Austin", "TX", "787"),
    ("Pasadena", "CA", "911"),
    ("Seattle", "WA", "981"),
    ("Boston", "MA", "021"),
    ("Denver", "CO", "802"),
    ("Chicago", "IL", "606"),
]
PRODUCTS = [
    (f"SKU-{n:04d}", f"Product {n} - {kind}", Decimal(random.Random(n).randint(199, 19999)) / 100)
    for n, kind in enumerate(
        ["mug", "shirt", "cards", "book", "poster", "candle", "tea", "socks", "pen", "bag"] * 30
    )
]
ORDER_HEADERS = [
    "Order ID",
    "Order Date",
    "Status",
    "Customer",
    "Company",
    "Email",
    "Phone",
    "Bill Address 1",
    "Bill Address 2",
    "Bill City",
    "Bill State",
    "Bill Zip",
    "Bill Country",
    "Ship Name",
    "Ship Address 1",
    "Ship Address 2",
    "Ship City",
    "Ship State",
    "Ship Zip",
    "Ship Country",
    "Subtotal",
    "Discount",
    "Sale",
    "State Tax",
    "Country Tax",
    "Shipping",
    "Total",
    "Payment Method",
    "Ship Method",
    "PO Number",
    "Memo",
    "Exported",
]
ITEM_HEADERS = ["Order ID", "SKU", "Description", "Quantity", "Unit Price", "Line Total", "Taxable"]
CENT = Decimal("0.01")
# The data rows of a sheet below its header row, up to Excel's last row.
ROWS_PER_SHEET = 1_048_575
# Part of the cached workbook's name: a change of the generator makes new workbooks.
GENERATOR_VERSION = 2


def generate(path: Path, orders: int) -> dict[str, Any]:
    """Write the workbook of ``orders`` orders; return what the export must do with it."""
    import xlsxwriter

    sys.path.insert(0, str(ROOT))
    from tests.workbooks import ACCOUNT_ROWS

    rng = random.Random(SEED)
    # Beyond 200,000 orders, rows are streamed to disk (text as inline strings).
    book = xlsxwriter.Workbook(str(path), {"constant_memory": orders > 200_000})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})
    bold = book.add_format({"bold": True})
    order_sheet = book.add_worksheet("Orders")
    order_sheet.write_row(0, 0, ORDER_HEADERS, bold)
    completed = lines = 0
    total_amount = Decimal(0)
    item_rows: list[list[Any]] = []
    start = dt.date(2025, 1, 1)
    for number in range(orders):
        order_id = 100000 + number
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, state, zip_prefix = rng.choice(CITIES)
        street = f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
        subtotal = Decimal(0)
        taxable = Decimal(0)
        for _ in range(rng.randint(1, 5)):
            sku, description, price = rng.choice(PRODUCTS)
            quantity = rng.choice([1, 1, 1, 2, 2, 3, 4])
            amount = price * quantity
            is_taxable = rng.random() < 0.8
            subtotal += amount
            taxable += amount if is_taxable else 0
            item_rows.append(
                [
                    order_id,
                    sku,
                    description,
                    quantity,
                    float(price),
                    float(amount),
                    "Y" if is_taxable else "N",
                ]
            )
        discount = (subtotal * Decimal("0.1")).quantize(CENT) if rng.random() < 0.15 else Decimal(0)
        sale = Decimal("5.00") if rng.random() < 0.05 and subtotal > 20 else Decimal(0)
        state_tax = (
            (taxable * Decimal("0.0725")).quantize(CENT) if rng.random() < 0.7 else Decimal(0)
        )
        country_tax = (
            (subtotal * Decimal("0.05")).quantize(CENT) if rng.random() < 0.05 else Decimal(0)
        )
        shipping = Decimal(rng.choice(["0", "4.95", "6.95", "9.50", "12.00"]))
        total = subtotal - discount - sale + state_tax + country_tax + shipping
        status = "Completed" if rng.random() < 0.9 else rng.choice(["Pending", "Cancelled"])
        if status == "Completed":
            completed += 1
            total_amount += total
        company = f"{last} Trading" if rng.random() < 0.2 else ""
        row = [
            order_id,
            None,
            status,
            f"{first} {last}",
            company,
            f"{first.lower()}.{last.lower()}@example.com",
            f"555-{rng.randint(1000, 9999)}",
            street,
            "",
            city,
            state,
            f"{zip_prefix}{rng.randint(10, 99)}",
            "USA",
            "",
            street,
            "",
            city,
            state,
            f"{zip_prefix}{rng.randint(10, 99)}",
            "USA",
            float(subtotal),
            float(discount),
            float(sale),
            float(state_tax),
            float(country_tax),
            float(shipping),
            float(total),
            rng.choice(["Visa", "MasterCard", "PayPal"]),
            rng.choice(["UPS Ground", "USPS Priority", "FedEx 2Day"]),
            f"PO-{rng.randint(1000, 9999)}" if rng.random() < 0.05 else "",
            "Gift wrap" if rng.random() < 0.1 else "",
            "",
        ]
        excel_row = number + 1
        for column, value in enumerate(row):
            if column == 1:
                order_sheet.write_datetime(
                    excel_row, 1, start + dt.timedelta(days=number % 420), date_format
                )
            elif value in ("", None):
                continue
            elif isinstance(value, float):
                order_sheet.write_number(excel_row, column, value, money)
            elif isinstance(value, int):
                order_sheet.write_number(excel_row, column, value)
            else:
                order_sheet.write_string(excel_row, column, value)
    # A sheet ends at Excel's last row: the items go on in "Items 2", "Items 3"...
    for offset in range(0, len(item_rows), ROWS_PER_SHEET):
        number = offset // ROWS_PER_SHEET + 1
        item_sheet = book.add_worksheet("Items" if number == 1 else f"Items {number}")
        item_sheet.write_row(0, 0, ITEM_HEADERS, bold)
        for index, item in enumerate(item_rows[offset : offset + ROWS_PER_SHEET], start=1):
            item_sheet.write_row(index, 0, item)
            lines += 1
    accounts = book.add_worksheet("Accounts")
    accounts.write_row(0, 0, ["Role", "Account", "Item"], bold)
    for index, account in enumerate(ACCOUNT_ROWS[1:], start=1):
        accounts.write_row(index, 0, account)
    book.close()
    return {"orders": orders, "lines": lines, "completed": completed, "total": str(total_amount)}


def workbook_for(orders: int, cache: Path = CACHE) -> tuple[Path, dict[str, Any]]:
    """Return the cached workbook of ``orders`` orders, generating it once.

    A cached workbook that is no longer the one generated (exported in place, to look at it:
    its orders are marked, and the export would have nothing to do) is generated again.
    """
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"orders-{orders}-v{GENERATOR_VERSION}.xlsx"
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if not path.exists() or meta.get("sha256") != sha256_of(path):
        changed = "changed since it was generated: " if path.exists() and "sha256" in meta else ""
        print(f"{changed}generating {path.name} ...", flush=True)
        meta = generate(path, orders) | {"sha256": sha256_of(path)}
        meta_path.write_text(json.dumps(meta))
    return path, meta


def sha256_of(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- the measured work, each run in a fresh process -------------------------------------


def work_baseline(path: str) -> None:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(path) as book:
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()


def work_export(path: str) -> None:
    sys.argv = ["ccp-xlsx2iif", "export", path, "-o", path + ".iif"]
    # As the program starts (launch.main), the workbook is opened before the commands load;
    # a version of the tool without that starts with its command line.
    try:
        from ccp_xlsx2iif.launch import begin
    except ImportError:
        head_start = None
    else:
        head_start = begin(sys.argv[1:])
    from ccp_xlsx2iif import cli

    cli._now = lambda: dt.datetime.fromisoformat(NOW)
    # The command line ends its process at once (os._exit), as it does for a user: the peak
    # memory is told just before.
    end = os._exit

    def told_then_ended(status: int) -> None:
        print(json.dumps({"peak_mb": peak_mb()}), flush=True)
        end(status)

    os._exit = told_then_ended  # type: ignore[assignment]
    try:
        cli.main() if head_start is None else cli.main(head_start)
    except SystemExit as exit_:  # a version of the tool that ends the usual way
        if exit_.code:
            raise


def work_writeback(path: str, rows: str, output: str) -> None:
    from ccp_xlsx2iif.writeback import ExportedMarks, write_marked_copy

    marked = json.loads(Path(rows).read_text())
    # The marks as the export gives them: its scan of the Orders sheet finds every cell's
    # reference first, as xlsxwriter writes them (tests/test_benchmark.py proves it).
    marks = ExportedMarks(
        "Orders", 32, dict.fromkeys(marked, "2026-03-14 09:30 bench.iif"), cells_referenced=True
    )
    with Path(output).open("wb") as out:
        write_marked_copy(Path(path), out, marks)


def work_openpyxl_read(path: str) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    for sheet in book.worksheets:
        for _ in sheet.iter_rows(values_only=True):
            pass


def work_openpyxl_save(path: str) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book["Orders"]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, 32).value = "2026-03-14 09:30 bench.iif"
    book.save(path + ".openpyxl.xlsx")


WORK: dict[str, Any] = {
    "baseline": work_baseline,
    "export": work_export,
    "writeback": work_writeback,
    "openpyxl_read": work_openpyxl_read,
    "openpyxl_save": work_openpyxl_save,
}


def peak_mb() -> float:
    """Return this process's peak resident memory, in MiB.

    On Linux, VmHWM of /proc/self/status: ru_maxrss would also count the memory of the
    process that started this one before it became this program.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def child(kind: str, *args: str) -> None:
    WORK[kind](*args)
    print(json.dumps({"peak_mb": peak_mb()}))


def measure(
    kind: str, *args: str, tool: Path | None = None, sample: bool = False
) -> tuple[float, float]:
    """Run one kind of work in a fresh process; return (seconds, peak MB).

    ``tool`` is a folder holding another version of the tool (``--against``), imported
    instead of the one installed. With ``sample``, the peak is the larger of the process's
    own and the memory of it and its child processes together, sampled while it runs
    (``tree_memory_mb``); the sampling takes some CPU, so the seconds of such a run are not
    kept.
    """
    environment = dict(os.environ)
    if tool is not None:
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(tool), *filter(None, [environment.get("PYTHONPATH")])]
        )
    start = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, __file__, "_child", kind, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=environment,
    ) as process:
        sampled = 0.0
        while sample and process.poll() is None:
            sampled = max(sampled, tree_memory_mb(process.pid))
            time.sleep(SAMPLE_EVERY)
        stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{kind} failed:\n{stdout}\n{stderr}")
    return seconds, max(sampled, json.loads(stdout.splitlines()[-1])["peak_mb"])


# How often the memory of an export's processes is sampled, in seconds.
SAMPLE_EVERY = 0.02


def tree_memory_mb(pid: int) -> float:
    """Return the memory of process ``pid`` and its descendants together, in MiB (Linux).

    Each process's proportional set size (Pss of /proc/PID/smaps_rollup): a page shared by
    several processes (a forked child's, before either writes to it) is counted once in all.
    Elsewhere, or when /proc does not tell, 0: the process's own peak stands alone.
    """
    total_kb, waiting, seen = 0, [pid], set()
    while waiting:
        current = waiting.pop()
        if current in seen:
            continue
        seen.add(current)
        process = Path(f"/proc/{current}")
        try:
            for task in (process / "task").iterdir():
                waiting.extend(map(int, (task / "children").read_text().split()))
            with (process / "smaps_rollup").open() as rollup:
                total_kb += next(
                    (int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0
                )
        except (OSError, ValueError):
            continue  # ended meanwhile, or not Linux
    return total_kb / 1024


def verify(iif_path: Path, meta: dict[str, Any]) -> None:
    """Prove the export's IIF right with the test suite's reader."""
    sys.path.insert(0, str(ROOT))
    from tests.iif_reader import read_iif

    iif = read_iif(iif_path.read_bytes())
    invoices = [t for t in iif.transactions if t.trns["TRNSTYPE"] == "INVOICE"]
    assert len(invoices) == meta["completed"], "not every completed order was exported"
    assert all(t.amount_sum() == 0 for t in iif.transactions), "a transaction does not balance"
    total = sum((Decimal(t.trns["AMOUNT"]) for t in invoices), Decimal(0))
    assert total == Decimal(meta["total"]), f"invoices total {total}, workbook {meta['total']}"


def compile_the_tool() -> None:
    """Byte-compile the tool's modules, as installing it does (pip compiles what it installs).

    From a source checkout (an editable install), Python would otherwise compile them anew in
    every run where it may not keep the result (PYTHONDONTWRITEBYTECODE).
    """
    import importlib.util

    spec = importlib.util.find_spec("ccp_xlsx2iif")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def checkout(revision: str, cache: Path) -> tuple[str, Path]:
    """Return the commit of ``revision`` and a folder holding its tool (package, templates)."""

    def git(*args: str) -> bytes:
        try:
            completed = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True)
        except FileNotFoundError:
            raise SystemExit("--against needs git, to read the other revision") from None
        if completed.returncode:
            raise SystemExit(f"git {args[0]}: {completed.stderr.decode(errors='replace')}")
        return completed.stdout

    commit = git("rev-parse", "--verify", f"{revision}^{{commit}}").decode().strip()
    folder = cache / f"tool-{commit[:12]}"
    if not folder.is_dir():
        archive = git("archive", "--format=tar", commit, "ccp_xlsx2iif", "templates")
        unpacked = cache / f"tool-{commit[:12]}.partial"
        shutil.rmtree(unpacked, ignore_errors=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.10.12 and later
                tar.extraction_filter = tarfile.data_filter
            tar.extractall(unpacked)  # noqa: S202 - this repository's own files
        unpacked.rename(folder)
    compileall.compile_dir(folder / "ccp_xlsx2iif", quiet=1)
    return commit, folder


def run(
    orders: int,
    repeat: int,
    with_openpyxl: bool,
    cache: Path = CACHE,
    against: str | None = None,
) -> dict[str, Any]:
    path, meta = workbook_for(orders, cache)
    compile_the_tool()
    other = checkout(against, cache) if against else None
    work = cache / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    rows_file = work / "rows.json"
    rows_file.write_text(json.dumps(_completed_rows(path)))
    results: dict[str, list[tuple[float, float]]] = {}
    for round_number in range(repeat):
        results.setdefault("baseline", []).append(measure("baseline", str(path)))
        exports = [("export", None), ("against", other[1])] if other else [("export", None)]
        if round_number % 2:
            exports.reverse()  # each version runs first as often as the other
        for kind, tool in exports:
            results.setdefault(kind, []).append(export_copy(path, work, meta, tool=tool))
        marked = str(work / "marked.xlsx")
        results.setdefault("writeback", []).append(
            measure("writeback", str(path), str(rows_file), marked)
        )
    # The memory of the export's processes together, sampled in a run of its own.
    _, sampled_mb = export_copy(path, work, meta, sample=True)
    if with_openpyxl:
        results["openpyxl_read"] = [measure("openpyxl_read", str(path))]
        results["openpyxl_save"] = [measure("openpyxl_save", str(path))]
    median = {
        kind: (statistics.median(s for s, _ in runs), max(m for _, m in runs))
        for kind, runs in results.items()
    }
    export_peak_mb = max(median["export"][1], sampled_mb)
    figures: dict[str, Any] = {
        "orders": orders,
        "lines": meta["lines"],
        "xlsx_mb": round(path.stat().st_size / 2**20, 1),
        "baseline_s": round(median["baseline"][0], 2),
        "export_s": round(median["export"][0], 2),
        "writeback_s": round(median["writeback"][0], 2),
        "ratio_export_to_baseline": round(median["export"][0] / median["baseline"][0], 2),
        "ratio_writeback_to_baseline": round(median["writeback"][0] / median["baseline"][0], 2),
        "baseline_peak_mb": round(median["baseline"][1]),
        "export_peak_mb": round(export_peak_mb),
        "export_process_peak_mb": round(median["export"][1]),
        "ratio_peak_memory": round(export_peak_mb / median["baseline"][1], 2),
        "seconds_per_1000_orders": round(median["export"][0] / orders * 1000, 4),
        "repeat": repeat,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if other is not None:
        # Paired by round: the machine's drift from one round to the next cancels out.
        differences = [
            ours - theirs
            for (ours, _), (theirs, _) in zip(results["export"], results["against"], strict=True)
        ]
        figures["against"] = against
        figures["against_commit"] = other[0]
        figures["against_export_s"] = round(median["against"][0], 2)
        figures["export_difference_s"] = round(statistics.mean(differences), 3)
        if len(differences) > 1:
            error = statistics.stdev(differences) / len(differences) ** 0.5
            figures["export_difference_standard_error_s"] = round(error, 3)
    if with_openpyxl:
        figures["openpyxl_read_s"] = round(median["openpyxl_read"][0], 2)
        figures["openpyxl_save_s"] = round(median["openpyxl_save"][0], 2)
        figures["openpyxl_save_peak_mb"] = round(median["openpyxl_save"][1])
    shutil.rmtree(work, ignore_errors=True)
    return figures


def export_copy(
    path: Path, work: Path, meta: dict[str, Any], *, tool: Path | None = None, sample: bool = False
) -> tuple[float, float]:
    """Export a fresh copy of the workbook in ``work`` (see ``measure``), prove its IIF right."""
    copy = work / "orders.xlsx"
    shutil.copyfile(path, copy)
    measured = measure("export", str(copy), tool=tool, sample=sample)
    verify(Path(str(copy) + ".iif"), meta)
    Path(str(copy) + ".iif").unlink()
    return measured


def _completed_rows(path: Path) -> list[int]:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as book:
        rows = book.get_sheet_by_name("Orders").to_python()
    return [index + 1 for index, row in enumerate(rows) if index and row[2] == "Completed"]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child(sys.argv[2], *sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--openpyxl", action="store_true", help="also time openpyxl (slow)")
    parser.add_argument(
        "--against",
        metavar="REVISION",
        help="also time the export of this git revision, alternately with this one",
    )
    parser.add_argument(
        "--cache", type=Path, default=CACHE, help="the folder of the generated workbooks"
    )
    arguments = parser.parse_args()
    figures = run(
        arguments.orders,
        arguments.repeat,
        arguments.openpyxl,
        arguments.cache.resolve(),
        arguments.against,
    )
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if arguments.json:
        arguments.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

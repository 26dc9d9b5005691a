"""OpenDocument spreadsheets (.ods) for tests, written as LibreOffice writes them.

A stored ``mimetype`` first, the manifest, and ``content.xml`` with rows and cells repeated
(``number-rows-repeated``, ``number-columns-repeated``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
# What LibreOffice writes after the last row of a sheet: the empty rest of it, repeated.
LIBREOFFICE_END = (
    '<table:table-row table:style-name="ro1" table:number-rows-repeated="1048560">'
    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
)


def text_cell(text: str, repeated: int = 1) -> str:
    repeat = f' table:number-columns-repeated="{repeated}"' if repeated > 1 else ""
    return (
        f'<table:table-cell office:value-type="string"{repeat}>'
        f"<text:p>{escape(text)}</text:p></table:table-cell>"
    )


def empty_cell(repeated: int = 1) -> str:
    repeat = f' table:number-columns-repeated="{repeated}"' if repeated > 1 else ""
    return f'<table:table-cell table:style-name="ce1"{repeat}/>'


def row(*cells: str, repeated: int = 1) -> str:
    repeat = f' table:number-rows-repeated="{repeated}"' if repeated > 1 else ""
    return f"<table:table-row{repeat}>{''.join(cells)}</table:table-row>"


def table(name: str, *rows: str) -> str:
    return f"<table:table table:name={quoteattr(name)}>{''.join(rows)}</table:table>"


def content(*tables: str, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}'
        f'<office:document-content xmlns:office="{OFFICE}" xmlns:table="{TABLE}" '
        f'xmlns:text="{TEXT}" office:version="1.2"><office:body><office:spreadsheet>'
        f"{''.join(tables)}</office:spreadsheet></office:body></office:document-content>"
    ).encode()


def write_ods(path: Path, content_xml: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as package:
        package.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        package.writestr("META-INF/manifest.xml", MANIFEST, zipfile.ZIP_DEFLATED)
        package.writestr("content.xml", content_xml, zipfile.ZIP_DEFLATED)
    return path

"""ccp-xlsx2iif: a web shop's order workbook becomes a QuickBooks Desktop IIF file.

The package is a library first; ``ccp_xlsx2iif.cli`` is a thin command line over
``ccp_xlsx2iif.export``. Importing the package itself loads nothing heavy, so that
``ccp-xlsx2iif --version`` and ``--help`` start fast.
"""

__version__ = "0.1.0"

"""``python -m ccp_xlsx2iif``: the same command line as ``ccp-xlsx2iif``."""

from ccp_xlsx2iif.launch import main

main()

"""The test suite of ccp-xlsx2iif."""

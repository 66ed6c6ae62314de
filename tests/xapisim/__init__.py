"""xapisim: a XAPI pool master that runs anywhere, for tests, demos and CI.

Start it with ``python -m xapisim`` (see README.md in this folder).
"""

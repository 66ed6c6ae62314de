"""xapisim: a XAPI pool master that runs anywhere, for tests, demos and CI.

Start it with ``xapisim`` or ``python -m xapisim`` (see the README of the simulator package).
"""

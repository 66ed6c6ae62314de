"""The pool and its hosts: the master and moving it, enabling and disabling hosts."""

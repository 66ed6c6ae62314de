# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pool and its hosts (xen_host).

- ``hosts``: resolving host names, and ordering work around the pool master (used by the network and storage
  families too);
- ``host_resource``: the ``Resource`` of a host (enable, disable).
"""

# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Networks and their VLANs across the pool (xen_network).

- ``plan``: the pure decisions (VLAN steps, what cannot change, what is shown);
- ``removal``: what removing a network takes (the VMs' interfaces, the VLANs);
- ``resource``: the ``Resource`` that reads and writes through XAPI.
"""

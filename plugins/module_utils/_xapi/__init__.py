# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection layer: how the modules talk to a pool, whatever they manage.

- ``transport``: one HTTP(S) connection, JSON-RPC or XML-RPC, TLS; reads sent together (pipelined) in one round trip;
- ``codec``: the two wire encodings, and records in one Python shape whichever carried them; ``urls``: hosts as base URLs;
- ``client``: a session on the pool master (login with an originator, SESSION_INVALID and HOST_IS_SLAVE,
  fallback hosts, time bounded per host, logout always);
- ``errors``: the exceptions and the sentences users read; ``naming``: objects in errors by name and uuid;
- ``tasks``: Async calls waited for on events, found again when their answer was lost;
- ``guest_tools``: waiting on events for a running guest's tools;
- ``query``: batched reads (filters; several classes in one round trip, one call each, sent together);
- ``datamodel`` and ``datamodel_fields``: facts generated from xapi's datamodel; ``units``: sizes.
"""

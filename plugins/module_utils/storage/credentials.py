# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which storage settings are credentials, and how they are shown: masked.

A leaf with no imports of the collection, so that modules which only return records (xen_info) mask them
without shipping the reconcile engine that device_config needs to change them.
"""

from __future__ import annotations

import typing as t

SECRET_MARKER = "********"
# Parts of key names that hold credentials, in any driver's device_config.
_SECRET_KEY_PARTS = ("password", "passwd", "secret", "token")


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in _SECRET_KEY_PARTS)


def masked(config: t.Mapping[str, t.Any]) -> t.Dict[str, str]:
    """A copy fit to return: secret values replaced by a marker."""
    return dict((key, SECRET_MARKER if is_secret_key(key) else str(value)) for key, value in config.items())

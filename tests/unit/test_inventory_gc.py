# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory is built with the cyclic garbage collector paused, then frozen."""

from __future__ import annotations

import gc
import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_gc import long_lived_objects


@pytest.fixture(autouse=True)
def restore_gc() -> t.Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()


def test_collector_is_paused_inside_and_objects_frozen_after() -> None:
    gc.enable()
    gc.unfreeze()
    with long_lived_objects():
        assert not gc.isenabled()
        built = [["vm{0}".format(index), []] for index in range(1000)]  # lists: always tracked by the collector
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(built)
    # Frozen objects are in the permanent generation, which collections (and get_objects) skip.
    assert gc.is_tracked(built[0]) and id(built[0]) not in set(id(obj) for obj in gc.get_objects())


def test_a_disabled_collector_stays_disabled_even_on_errors() -> None:
    gc.disable()
    with pytest.raises(RuntimeError):
        with long_lived_objects():
            raise RuntimeError("pool unreachable")
    assert not gc.isenabled()
    assert gc.get_freeze_count() > 0

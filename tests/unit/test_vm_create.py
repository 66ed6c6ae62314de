# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Template disk descriptions: where provisioning puts the disks."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm.create import ProvisionDisk, provision_disks, rewrite_provision_spec

SPEC = ('<provision><disk device="0" size="10737418240" sr="" bootable="true" type="system"/>'
        '<disk device="1" size="1073741824" sr="1234" bootable="false" type="user"/></provision>')


def test_every_disk_is_moved_to_the_chosen_sr() -> None:
    rewritten = rewrite_provision_spec(SPEC, "sr-uuid")
    assert rewritten.count('sr="sr-uuid"') == 2
    assert provision_disks(rewritten) == [ProvisionDisk("0", 10737418240, True), ProvisionDisk("1", 1073741824, False)]


def test_a_broken_description_is_reported_against_the_template() -> None:
    with pytest.raises(ResourceError, match="template: its disk description"):
        rewrite_provision_spec("<provision><disk", "sr-uuid")


def test_no_description_means_no_disks() -> None:
    assert provision_disks("") == []

"""How long operations take: the quick default pace, and the realistic one.

``instant`` (the default) runs every long operation in a few tens of milliseconds and lets the
guest agent report 0.3 s after a VM starts: fast tests, but a world in which nothing is ever
slower than the client.

``realistic`` keeps the proportions of a real pool (typical seconds below, as seen on XenServer and
XCP-ng hosts with local or NFS storage): a VM takes longest to start and to be provisioned, its guest
tools come up a good while after it runs, copies take time in proportion to the data they move,
and database-only calls stay quick. ``scale`` shrinks every number by the same factor so that
tests stay short while the order in which things finish stays true.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

GIB = 1024 ** 3
INSTANT_DURATION = 0.05
INSTANT_GUEST_AGENT = 0.3
INSTANT_HOST_BOOT = 0.5
DEFAULT_REALISTIC_SCALE = 0.1

# Seconds on a real pool, before scaling. "guest_agent" is the time from a VM entering Running to its
# guest tools reporting (PV drivers, OS, addresses); "*" is every other long (async-capable) operation.
REALISTIC_SECONDS: dict[str, float] = {
    "VM.start": 15.0, "VM.start_on": 15.0, "VM.resume": 10.0, "VM.resume_on": 10.0,
    "VM.clean_shutdown": 10.0, "VM.hard_shutdown": 3.0, "VM.clean_reboot": 20.0, "VM.hard_reboot": 10.0,
    "VM.suspend": 12.0, "VM.checkpoint": 12.0, "VM.pause": 1.0, "VM.unpause": 1.0,
    "VM.clone": 3.0, "VM.snapshot": 4.0, "VM.snapshot_with_quiesce": 6.0, "VM.revert": 5.0,
    "VM.provision": 12.0, "VM.destroy": 2.0, "VM.copy": 5.0,
    "VM.pool_migrate": 20.0, "VM.migrate_send": 30.0, "host.evacuate": 30.0,
    "pool.sync_updates": 20.0, "host.apply_updates": 60.0, "host.reboot": 1.0,
    "VDI.create": 2.0, "VDI.destroy": 2.0, "VDI.copy": 3.0, "VDI.clone": 2.0, "VDI.snapshot": 2.0,
    "VDI.resize": 3.0, "VDI.resize_online": 4.0,
    "VBD.plug": 2.0, "VBD.unplug": 2.0, "VBD.insert": 1.0, "VBD.eject": 1.0,
    "VIF.plug": 1.0, "VIF.unplug": 1.0,
    "SR.create": 8.0, "SR.destroy": 4.0, "SR.scan": 3.0, "PBD.plug": 3.0, "PBD.unplug": 2.0,
    "pool.create_VLAN_from_PIF": 4.0, "VLAN.create": 2.0, "PIF.plug": 2.0, "PIF.unplug": 1.0,
    "guest_agent": 30.0,
    # From host.reboot to the host answering again, live and enabled.
    "host_boot": 120.0,
    "*": 1.0,
}
# Extra seconds per GiB of disk an operation moves (full copies read and write every block).
REALISTIC_SECONDS_PER_GIB: dict[str, float] = {"VDI.copy": 4.0, "VM.copy": 4.0}

PROFILES = ("instant", "realistic")

# How xapi batches event calls (xapi_globs.ml: event_from, event_from_task, event_next): seconds slept
# before an event call first reads the database, and at most between its later reads once something
# changed (the wait between reads starts at a sixteenth of it and doubles; throttle.ml, Batching).
# Every event.from not only about tasks waits 50 ms before answering, even with an empty token (xapi 26.10 and
# later; earlier ones answered at once).
# These are server settings, the same whatever the hardware, so the realistic pace does not scale them;
# the instant pace answers at once.
XAPI_EVENT_BATCHING: dict[str, tuple[float, float]] = {
    "event_from": (0.05, 0.05), "event_from_task": (0.0, 0.05), "event_next": (0.2, 0.05),
}

# Given (method, args), how many bytes of disk the operation moves; set by the core, which knows the store.
SizeOf = Callable[[str, list], int]


@dataclass
class Pace:
    """The pool's pace: a profile and a scale, overridden per operation by explicit durations."""

    profile: str = "instant"
    scale: float = DEFAULT_REALISTIC_SCALE
    # Seconds per operation set through the control API or a state file; they win over the profile.
    explicit: dict[str, float] = field(default_factory=dict)
    # (before, between) per event call, set through the control API; they win over the profile.
    batching: dict[str, tuple[float, float]] = field(default_factory=dict)

    def set_profile(self, profile: str, scale: float | None = None) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown pace {profile!r}; choose one of {', '.join(PROFILES)}")
        if scale is not None and not 0 < float(scale) <= 10:
            raise ValueError(f"pace scale {scale!r} must be above 0 and at most 10")
        self.profile = profile
        if scale is not None:
            self.scale = float(scale)

    def describe(self) -> dict[str, Any]:
        return {"profile": self.profile, "scale": self.scale, "durations": dict(self.explicit),
                "event_batching": {name: list(self.event_batching(name)) for name in XAPI_EVENT_BATCHING}}

    def set_event_batching(self, settings: dict[str, Any]) -> None:
        """``{"event_from": [before, between], ...}`` as xapi.conf's ``event_from_delay = before,between`` sets them; ``null`` goes
        back to the profile's."""
        for name, value in settings.items():
            if name not in XAPI_EVENT_BATCHING:
                raise ValueError(f"unknown event batching {name!r}; choose among {', '.join(XAPI_EVENT_BATCHING)}")
            if value is None:
                self.batching.pop(name, None)
                continue
            before, between = (float(part) for part in value)
            if not (0 <= before <= 10 and 0 <= between <= 10):
                raise ValueError(f"event batching {name!r}: both delays must be between 0 and 10 seconds")
            self.batching[name] = (before, between)

    def event_batching(self, name: str) -> tuple[float, float]:
        """(seconds before the first read, most seconds between later reads) of one event call."""
        if name in self.batching:
            return self.batching[name]
        return XAPI_EVENT_BATCHING[name] if self.profile == "realistic" else (0.0, 0.0)

    def seconds(self, method: str, args: list | None = None, size_of: SizeOf | None = None) -> float:
        """How long ``method`` takes (``Async.`` stripped), in seconds of wall time."""
        for key in (method, "*"):
            if key in self.explicit:
                return self.explicit[key]
        if self.profile == "instant":
            return INSTANT_DURATION
        base = REALISTIC_SECONDS.get(method, REALISTIC_SECONDS["*"])
        per_gib = REALISTIC_SECONDS_PER_GIB.get(method, 0.0)
        if per_gib and size_of is not None:
            base += per_gib * size_of(method, list(args or [])) / GIB
        return base * self.scale

    def guest_agent_delay(self) -> float:
        """Seconds from a VM entering Running to its guest tools reporting."""
        return self._delay("guest_agent", INSTANT_GUEST_AGENT)

    def host_boot_delay(self) -> float:
        """Seconds a rebooting host is away."""
        return self._delay("host_boot", INSTANT_HOST_BOOT)

    def _delay(self, name: str, instant: float) -> float:
        if name in self.explicit:
            return self.explicit[name]
        if self.profile == "instant":
            return instant
        return REALISTIC_SECONDS[name] * self.scale

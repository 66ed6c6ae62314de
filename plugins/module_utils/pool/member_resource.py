# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_pool_member: a host joining the pool (``pool.join``) or leaving it (``pool.eject``).

The module talks to the pool master, as every module does. A join is asked of the joining host itself: the
module logs in there (``member``, with ``member_username``/``member_password``), checks that it is a pool of its own,
and sends ``pool.join`` with the master's address and credentials; the host is then found again in the pool,
enabled, on the master's event stream. A lost answer to the join is not sent again: that wait tells whether it
happened. Ejecting wipes the host's local state, so it needs ``force``, and the master and a host still running
VMs are refused before anything is sent.
"""

from __future__ import annotations

import time
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, codec, errors, query, urls
from ansible_collections.xen.xapi.plugins.module_utils.pool import host_resource, hosts as pool_hosts


def address_of(host: str) -> str:
    """The address part of what the user gives as host: a name, an address, or a URL."""
    text = host.strip()
    text = text.split("://", 1)[1] if "://" in text else text
    text = text.rstrip("/")
    if text.startswith("["):
        return text[1:text.index("]")]
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def find_member(hosts: t.Mapping[str, _engine.Record], key: str) -> _engine.Found:
    """The pool's host whose address, host name, name or uuid is ``key`` (the address part of a URL)."""
    wanted = address_of(key)
    matches = [(ref, record) for ref, record in sorted(hosts.items())
               if wanted in (record.get("address"), record.get("hostname"), record.get("name_label"), record.get("uuid"))]
    if len(matches) > 1:
        raise errors.ResourceError("member: {0!r} matches {1} hosts of the pool ({2}); give its uuid.".format(
            key, len(matches), ", ".join(host_resource.describe_host(record) for _ref, record in matches)))
    return matches[0] if matches else None


class PoolMemberResource(_engine.BatchedResource):
    result_key = "member"
    read_classes = ("host", "pool")

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._predicted: _engine.Record = {}

    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        if not str(params.get("member") or "").strip():
            raise errors.ResourceError("member: give the address, host name or uuid of the host (it is empty).")
        if params.get("state") == "absent" and not params.get("force"):
            raise errors.ResourceError("state: absent ejects the host from the pool, which wipes its local storage and configuration "
                                       "(XAPI pool.eject). Set force: true to do it.")

    def locate(self) -> _engine.Found:
        return find_member(self.world()["host"], self.params["member"])

    # -- join -----------------------------------------------------------------------------------
    def plan_create(self) -> t.Callable[[], str]:
        params = self._joining_params()
        master = self.world()["host"][pool_hosts.pool_master(self.world()["pool"])]
        master_address = self.params.get("master_address") or master.get("address")
        with xapi_client.XapiClient(params) as joining:
            hosts = query.snapshot(joining, ("host",))["host"]
        if len(hosts) != 1:
            raise errors.ResourceError("member: {0} is the master of {1} hosts; only a host that is a pool of its own can join "
                                       "(POOL_JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS).".format(self.params["member"], len(hosts)))
        record = next(iter(hosts.values()))
        self._predicted = dict(host_resource.host_view("", record, "-"), enabled=True, is_master=False)

        def join() -> str:
            with xapi_client.XapiClient(params) as joining:
                try:
                    joining.call("pool.join", master_address, self.params.get("username") or "root",
                                 self.params.get("password") or "")
                except errors.XapiConnectionError as err:
                    # The host restarts its toolstack once it has joined: a lost answer is settled by the wait below.
                    if not err.recoverable:
                        raise
            return self._wait_for_member(address_of(self.params["member"]), record.get("uuid", ""))
        return join

    def predict_created(self) -> _engine.Record:
        return dict(self._predicted)

    def _joining_params(self) -> urls.ConnectionParams:
        base = self.client.params
        return urls.ConnectionParams(hostname=urls.build_base_url(self.params["member"], like=self.client.base_url),
                                     username=self.params.get("member_username") or base.username,
                                     password=self.params.get("member_password") or base.password,
                                     validate_certs=base.validate_certs, ca_path=base.ca_path, protocol=base.protocol,
                                     timeout=base.timeout)

    def _wait_for_member(self, address: str, uuid: str) -> str:
        """The joined host's ref, once the pool lists it enabled (event.from on the master, no polling)."""
        deadline = time.monotonic() + float(self.params.get("join_timeout") or 600)
        token, hosts = "", {}  # type: t.Tuple[str, t.Dict[str, _engine.Record]]
        while time.monotonic() < deadline:
            wait = 0.0 if token == "" else max(0.0, min(deadline - time.monotonic(), self.client.http_timeout * 0.8))
            answer = self.client.call("event.from", ["host"], token, float(wait))
            token = answer.get("token", token)
            for event in answer.get("events") or []:
                if event.get("operation") == "del":
                    hosts.pop(event.get("ref"), None)
                elif event.get("snapshot"):
                    hosts[event["ref"]] = codec.normalize_record("host", event["snapshot"])
            for ref, record in hosts.items():
                if record.get("address") == address and record.get("enabled"):
                    self.forget_reads()
                    return ref
        raise errors.ResourceError("pool.join: the host at {0} (uuid {1} before it joined) did not show in the pool, enabled, within "
                                   "{2} seconds (join_timeout).".format(address, uuid, self.params.get("join_timeout")))

    # -- eject ----------------------------------------------------------------------------------
    def plan_delete(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        world = self.world()
        if ref == pool_hosts.pool_master(world["pool"]):
            raise errors.ResourceError("member: {0} is the pool master, which cannot leave its pool. Make another host the master "
                                       "first (pool.designate_new_master).".format(host_resource.describe_host(record)))
        running = [vm for vm in query.snapshot(self.client, objects={"VM": set(host_resource.guests(record))})["VM"].values()
                   if vm.get("power_state") != "Halted"] if host_resource.guests(record) else []
        if running:
            raise errors.ResourceError("member: {0} still runs {1}. Move them away first (xen.xapi.xen_host state: maintenance)."
                                       .format(host_resource.describe_host(record), ", ".join(sorted(vm["name_label"] for vm in running))))
        return [_engine.Change("state", "present", "absent", lambda: self.run_task("pool.eject", ref))]

    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None:
            return {}
        world = self.world()
        if ref not in world["host"]:
            return {}
        return host_resource.host_view(ref, world["host"][ref], pool_hosts.pool_master(world["pool"]))

    def host_names(self) -> t.List[str]:
        hosts = self.world()["host"]
        return sorted(pool_hosts.host_name(hosts, ref) for ref in hosts)

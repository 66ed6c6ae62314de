"""A host joining the pool at run time (``POST /_sim/hosts``), as ``pool.join`` does on a real pool."""
from __future__ import annotations

import ssl
import xmlrpc.client

import pytest
import XenAPI


@pytest.fixture(scope="module")
def joined(sim):
    answer = sim.control_post("hosts", {"name": "host4", "devices": ["eth0", "eth1"]})
    return sim, answer


def test_the_new_host_answers_on_its_own_address_over_verified_tls(joined) -> None:
    sim, answer = joined
    assert answer == {"index": 3, "address": "127.0.0.4"}
    port = sim.url.rsplit(":", 1)[1]
    member = xmlrpc.client.ServerProxy(f"https://127.0.0.4:{port}", context=ssl.create_default_context(cafile=sim.ca_cert))
    reply = member.session.login_with_password("root", sim.info["password"], "1.0", "join-test")
    assert reply == {"Status": "Failure", "ErrorDescription": ["HOST_IS_SLAVE", "127.0.0.1"]}


def test_the_new_host_has_nics_and_shared_storage(joined) -> None:
    sim, _answer = joined
    session = XenAPI.Session(sim.url, transport=XenAPI.xmlrpclib.SafeTransport(context=ssl.create_default_context(cafile=sim.ca_cert)))
    session.xenapi.login_with_password("root", sim.info["password"], "1.0", "join-test")
    try:
        xapi = session.xenapi
        host = xapi.host.get_by_name_label("host4")[0]
        pifs = [xapi.PIF.get_record(pif) for pif in xapi.host.get_PIFs(host)]
        assert sorted(pif["device"] for pif in pifs) == ["eth0", "eth1"]
        assert all(pif["currently_attached"] for pif in pifs)
        pbds = [xapi.PBD.get_record(pbd) for pbd in xapi.host.get_PBDs(host)]
        shared = sorted(xapi.SR.get_name_label(pbd["SR"]) for pbd in pbds)
        assert shared == ["ISO library", "NFS storage"]
        nfs = xapi.SR.get_by_name_label("NFS storage")[0]
        master_pbd = next(p for p in xapi.SR.get_PBDs(nfs) if xapi.PBD.get_host(p) == xapi.pool.get_master(xapi.pool.get_all()[0]))
        ours = next(p for p in pbds if p["SR"] == nfs)
        assert ours["device_config"] == xapi.PBD.get_device_config(master_pbd)
    finally:
        session.xenapi.session.logout()


def test_joining_twice_is_refused(joined) -> None:
    sim, _answer = joined
    status, body = sim.control("POST", "hosts", {"name": "host4"})
    assert status == 400 and "exists already" in body["error"]

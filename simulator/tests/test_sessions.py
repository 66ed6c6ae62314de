"""Sessions, the pool master and TLS, through the official XenAPI client over HTTPS.

The client trusts the simulator's generated CA through an ``ssl`` context on its transport,
as a careful user does; one test checks that a client without that CA is refused.
"""
from __future__ import annotations

import http.client
import json
import ssl
import xmlrpc.client
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlsplit

import pytest
import XenAPI
from xapi_helpers import failure

if TYPE_CHECKING:
    from xapisim.process import SimProcess

ORIGINATOR = "xapisim-tests sessions"
LRU_ORIGINATOR = "xapisim-tests lru"
SESSIONS_PER_ORIGINATOR = 500


def tls_context(sim: SimProcess) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=sim.ca_cert)


def connect(sim: SimProcess, host: str | None = None) -> XenAPI.Session:
    """A client for the master (or the named host) that verifies the simulator's certificate."""
    url = sim.info["hosts"][host] if host else sim.url
    return XenAPI.Session(url, transport=xmlrpc.client.SafeTransport(context=tls_context(sim)))


def login(sim: SimProcess, host: str | None = None, originator: str = ORIGINATOR) -> XenAPI.Session:
    session = connect(sim, host)
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "2.21", originator)
    return session


def raw(session: XenAPI.Session, method: str, *params: Any) -> dict[str, Any]:
    """One call through the client's XML-RPC proxy, answer undecoded: the client would log in again on SESSION_INVALID."""
    return getattr(session, method)(*params)


def is_valid(session: XenAPI.Session, ref: str) -> bool:
    answer = raw(session, "session.get_uuid", ref, ref)
    if answer["Status"] == "Success":
        return True
    assert answer["ErrorDescription"] == ["SESSION_INVALID", ref]
    return False


@pytest.fixture(scope="module")
def xapi(sim: SimProcess) -> Iterator[XenAPI.Session]:
    session = login(sim)
    yield session
    session.xenapi.session.logout()


@pytest.fixture
def restore_pool(sim: SimProcess) -> Iterator[None]:
    """Whatever a test does to the pool's master or to host availability is undone after it."""
    yield
    sim.control_post("faults", {"clear": True, "master": "host1"})


# ---- login and logout -----------------------------------------------------------------------
@pytest.mark.parametrize("extra", [(), ("2.21",), ("2.21", "my-widget v0.1")], ids=["2 params", "3 params", "4 params"])
def test_login_with_two_three_or_four_parameters(sim: SimProcess, xapi: XenAPI.Session, extra: tuple[str, ...]) -> None:
    session = connect(sim)
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], *extra)
    ref = session.handle
    assert ref.startswith("OpaqueRef:")
    record = xapi.xenapi.session.get_record(ref)
    assert record["originator"] == (extra[1] if len(extra) == 2 else "")
    assert record["auth_user_name"] == sim.info["username"]
    assert record["this_host"] == xapi.xenapi.pool.get_master(xapi.xenapi.pool.get_all()[0])
    session.xenapi.session.logout()
    assert not is_valid(xapi, ref)


@pytest.mark.parametrize("count", [1, 5])
def test_login_with_a_wrong_parameter_count(sim: SimProcess, count: int) -> None:
    params = [sim.info["username"], sim.info["password"], "2.21", "x", "y"][:count]
    answer = raw(connect(sim), "session.login_with_password", *params)
    assert answer == {"Status": "Failure", "ErrorDescription": [
        "MESSAGE_PARAMETER_COUNT_MISMATCH", "session.login_with_password", "4", str(count)]}


@pytest.mark.parametrize("user, password", [("root", "wrong"), ("nobody", "xapisim")])
def test_bad_credentials_fail_authentication(sim: SimProcess, user: str, password: str) -> None:
    session = connect(sim)
    assert failure(session.xenapi.login_with_password, user, password) == [
        "SESSION_AUTHENTICATION_FAILED", user, "Authentication failure"]


def test_calls_after_logout_fail_with_session_invalid(sim: SimProcess, xapi: XenAPI.Session) -> None:
    session = login(sim)
    ref = session.handle
    assert raw(session, "VM.get_all", ref)["Status"] == "Success"
    session.xenapi.session.logout()
    assert raw(xapi, "VM.get_all", ref) == {"Status": "Failure", "ErrorDescription": ["SESSION_INVALID", ref]}
    assert raw(xapi, "session.logout", ref) == {"Status": "Failure", "ErrorDescription": ["SESSION_INVALID", ref]}


def test_evicted_sessions_are_invalid_and_the_client_logs_in_again(sim: SimProcess) -> None:
    session = login(sim)
    before = session.handle
    sim.control_post("faults", {"evict_sessions": True})
    assert raw(session, "VM.get_all", before) == {"Status": "Failure", "ErrorDescription": ["SESSION_INVALID", before]}
    # The official client reacts to SESSION_INVALID by logging in again and retrying.
    assert session.xenapi.VM.get_all()
    assert session.handle != before
    session.xenapi.session.logout()


def test_a_session_from_xml_rpc_works_over_json_rpc(sim: SimProcess) -> None:
    session = login(sim)
    parts = urlsplit(sim.url)
    connection = http.client.HTTPSConnection(parts.hostname or "", parts.port, context=tls_context(sim))
    body = json.dumps({"jsonrpc": "2.0", "method": "VM.get_all", "params": [session.handle], "id": 1})
    connection.request("POST", "/jsonrpc", body, {"Content-Type": "application/json"})
    answer = json.loads(connection.getresponse().read())
    connection.close()
    assert answer == {"jsonrpc": "2.0", "result": session.xenapi.VM.get_all(), "id": 1}
    session.xenapi.session.logout()


def test_change_password(sim: SimProcess) -> None:
    session = login(sim)
    user, password = sim.info["username"], sim.info["password"]
    session.xenapi.session.change_password(password, "n3w-Passw0rd")
    try:
        assert failure(connect(sim).xenapi.login_with_password, user, password)[0] == "SESSION_AUTHENTICATION_FAILED"
        assert failure(session.xenapi.session.change_password, "wrong", "x") == [
            "SESSION_AUTHENTICATION_FAILED", user, "Authentication failure"]
        fresh = connect(sim)
        fresh.xenapi.login_with_password(user, "n3w-Passw0rd")
        fresh.xenapi.session.logout()
    finally:
        session.xenapi.session.change_password("n3w-Passw0rd", password)
    session.xenapi.session.logout()


# ---- session limits -------------------------------------------------------------------------
def test_sessions_past_the_limit_evict_the_least_recently_used(sim: SimProcess, xapi: XenAPI.Session) -> None:
    bystander = login(sim, originator="xapisim-tests bystander")
    live_before = sim.control_get("stats")["live_sessions"]
    client = connect(sim)  # one client, so every login goes over one keep-alive connection

    def log_in() -> str:
        client.xenapi.login_with_password(sim.info["username"], sim.info["password"], "2.21", LRU_ORIGINATOR)
        return client.handle

    refs = [log_in() for _unused in range(SESSIONS_PER_ORIGINATOR)]
    stats = sim.control_get("stats")
    assert stats["sessions_by_originator"][LRU_ORIGINATOR] == SESSIONS_PER_ORIGINATOR
    assert stats["live_sessions"] == live_before + SESSIONS_PER_ORIGINATOR
    assert is_valid(xapi, refs[1])  # using it makes it recently used
    refs.append(log_in())  # number 501: refs[0] is the least recently used
    assert not is_valid(xapi, refs[0])
    assert is_valid(xapi, refs[1]) and is_valid(xapi, refs[-1])
    refs.append(log_in())  # number 502: refs[1] was used after refs[2], so refs[2] goes
    assert not is_valid(xapi, refs[2])
    assert is_valid(xapi, refs[1]) and is_valid(xapi, refs[3])
    stats = sim.control_get("stats")
    assert stats["sessions_by_originator"][LRU_ORIGINATOR] == SESSIONS_PER_ORIGINATOR
    assert stats["live_sessions"] == live_before + SESSIONS_PER_ORIGINATOR
    assert is_valid(xapi, bystander.handle)  # other originators are untouched
    for ref in refs:
        if ref not in (refs[0], refs[2]):
            assert raw(client, "session.logout", ref)["Status"] == "Success"
    assert sim.control_get("stats")["live_sessions"] == live_before
    bystander.xenapi.session.logout()


# ---- the pool master ------------------------------------------------------------------------
@pytest.mark.parametrize("member", ["host2", "host3"])
def test_members_answer_host_is_slave_with_the_master_address(sim: SimProcess, xapi: XenAPI.Session, member: str) -> None:
    session = connect(sim, member)
    assert failure(session.xenapi.login_with_password, sim.info["username"], sim.info["password"]) == [
        "HOST_IS_SLAVE", "127.0.0.1"]
    # A session from the master does not help: regular calls go to the master.
    assert raw(session, "VM.get_all", xapi.handle) == {"Status": "Failure", "ErrorDescription": ["HOST_IS_SLAVE", "127.0.0.1"]}


def _master_address(xapi: XenAPI.Session) -> str:
    return xapi.xenapi.host.get_address(xapi.xenapi.pool.get_master(xapi.xenapi.pool.get_all()[0]))


@pytest.mark.usefixtures("restore_pool")
def test_designate_new_master_moves_the_master(sim: SimProcess, xapi: XenAPI.Session) -> None:
    host2 = xapi.xenapi.host.get_by_name_label("host2")[0]
    xapi.xenapi.pool.designate_new_master(host2)
    assert failure(connect(sim, "host1").xenapi.login_with_password, sim.info["username"], sim.info["password"]) == [
        "HOST_IS_SLAVE", "127.0.0.2"]
    session = login(sim, "host2")
    assert _master_address(session) == "127.0.0.2"
    # Sessions survive a master change, as the pool database is replicated; they now go to host2.
    assert raw(session, "VM.get_all", xapi.handle)["Status"] == "Success"
    session.xenapi.pool.designate_new_master(session.xenapi.host.get_by_name_label("host1")[0])
    assert _master_address(xapi) == "127.0.0.1"
    session.xenapi.session.logout()


@pytest.mark.usefixtures("restore_pool")
def test_control_api_moves_the_master(sim: SimProcess) -> None:
    sim.control_post("faults", {"master": "host3"})
    assert sim.control_get("hosts")["master_index"] == 2
    assert failure(connect(sim, "host1").xenapi.login_with_password, sim.info["username"], sim.info["password"]) == [
        "HOST_IS_SLAVE", "127.0.0.3"]
    session = login(sim, "host3")
    assert _master_address(session) == "127.0.0.3"
    session.xenapi.session.logout()


@pytest.mark.usefixtures("restore_pool")
def test_a_member_takes_over_when_the_master_is_down(sim: SimProcess) -> None:
    """The SDK guide's recovery: the master stops answering, a member is told to become master."""
    sim.control_post("faults", {"down_hosts": ["host1"]})
    with pytest.raises((OSError, http.client.HTTPException)):
        connect(sim, "host1").xenapi.login_with_password(sim.info["username"], sim.info["password"])
    member = connect(sim, "host2")
    assert failure(member.xenapi.login_with_password, sim.info["username"], sim.info["password"]) == [
        "HOST_IS_SLAVE", "127.0.0.1"]
    member.slave_local_login_with_password(sim.info["username"], sim.info["password"])
    member.xenapi.pool.emergency_transition_to_master()
    member.xenapi.session.logout()
    session = login(sim, "host2")
    assert _master_address(session) == "127.0.0.2"
    sim.control_post("faults", {"up_hosts": ["host1"]})
    assert failure(connect(sim, "host1").xenapi.login_with_password, sim.info["username"], sim.info["password"]) == [
        "HOST_IS_SLAVE", "127.0.0.2"]
    session.xenapi.session.logout()


# ---- TLS ------------------------------------------------------------------------------------
def test_the_certificate_covers_every_host_address(sim: SimProcess) -> None:
    for name in sim.info["hosts"]:
        client = connect(sim, name)
        answer = raw(client, "session.login_with_password", sim.info["username"], sim.info["password"])
        if answer["Status"] == "Success":
            raw(client, "session.logout", answer["Value"])
        else:
            assert answer["ErrorDescription"][0] == "HOST_IS_SLAVE"


def test_a_client_without_the_ca_is_refused(sim: SimProcess) -> None:
    session = XenAPI.Session(sim.url)
    with pytest.raises(ssl.SSLCertVerificationError):
        session.xenapi.login_with_password(sim.info["username"], sim.info["password"])


def test_a_client_that_ignores_certificates_still_connects(sim: SimProcess) -> None:
    session = XenAPI.Session(sim.url, ignore_ssl=True)
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"])
    assert session.xenapi.VM.get_all()
    session.xenapi.session.logout()

# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A logged-in XAPI session that follows the pool master and survives transient failures."""

from __future__ import annotations

import time
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import codec, errors, transport as xapi_transport, urls

# The collection's version, announced to the server as the session originator and user agent.
COLLECTION_VERSION = "0.1.0"
ORIGINATOR = "xen.xapi/" + COLLECTION_VERSION
API_VERSION = "1.0"

# Pauses before repeating a call that hit a connection failure: bounded, and short, so a
# dead host is given up on quickly and the fallback hosts get their turn.
RETRY_DELAYS = (0.2, 0.5, 1.0)
# Seconds between logins while the pool has no master that answers (an HA election under way).
ELECTION_PAUSE = 2.0
MAX_MASTER_REDIRECTS = 3
# A logout whose connection dropped is tried again on a fresh connection that waits at most this long.
LOGOUT_ATTEMPTS = 5
LOGOUT_TIMEOUT = 5.0

# Errors with which xapi refuses a call without running it, which call() settles (log in again, follow the master).
_REFUSALS = ("SESSION_INVALID", "HOST_IS_SLAVE")
# Calls outside the get_* family that only read, and so may be repeated after a lost answer.
_READ_ONLY_CALLS = frozenset(("event.from", "event.get_current_id"))


def is_read_only(method: str) -> bool:
    """Whether a call only reads state, so sending it twice cannot change anything."""
    if method.startswith("Async."):
        return False
    return method.rpartition(".")[2].startswith("get_") or method in _READ_ONLY_CALLS


# --- Client -----------------------------------------------------------------------------------

class TaskLedger:
    """The tasks a client has started, and the operations whose task it lost track of (see tasks)."""

    def __init__(self) -> None:
        self.seen: t.Set[str] = set()
        # call key -> (session that sent it, its task ref or "" when the task is still to be found)
        self.pending: t.Dict[str, t.Tuple[str, str]] = {}
        # The token of the last look at a task, and when it came: where the next task's first look starts.
        self.token = ""
        self.token_time = 0.0


class XapiClient:
    """A session on the pool master, used as a context manager: login on enter, logout on exit.

    call() prepends the session, logs in again once on SESSION_INVALID, follows HOST_IS_SLAVE to
    the master, repeats read-only calls (and calls that never left) after connection failures,
    and, when the master stays silent, moves to the first of fallback_hosts that answers.

    Time is bounded per host: a host that lets a request time out is not asked again within the
    same login or call, so a dead or hung master costs about one `timeout`, whatever the number of
    rounds. TLS failures are never retried: they are reported at once.
    """

    def __init__(self, params: urls.ConnectionParams, sleep: t.Callable[[float], None] = time.sleep) -> None:
        self._params = params
        self._sleep = sleep
        self._transport: t.Optional[xapi_transport.Transport] = None
        self._session: t.Optional[str] = None
        self._primary_url = urls.build_base_url(params.hostname)
        # Hosts that timed out during this run: asked again only when nothing else answers.
        self._silent_urls: t.Set[str] = set()
        self.task_ledger = TaskLedger()
        # Finished tasks whose records go at logout, sent together with it (see forget_task).
        self._finished_tasks: t.List[str] = []
        # Whether the logout goes with the next call_each (end_with_next_read), and whether it went already.
        self._end_with_next_read = False
        self._ended_early = False

    def __repr__(self) -> str:
        return "XapiClient({0!r}, username={1!r})".format(self.base_url, self._params.username)

    def __enter__(self) -> XapiClient:
        self.login()
        return self

    def __exit__(self, *exc_info: t.Any) -> None:
        self.logout()

    @property
    def base_url(self) -> str:
        """The URL of the host currently talked to (the pool master once logged in)."""
        return self._transport.base_url if self._transport is not None else self._primary_url

    @property
    def session_ref(self) -> t.Optional[str]:
        return self._session

    @property
    def params(self) -> urls.ConnectionParams:
        """The connection options (TLS settings and timeout for other HTTP requests to the pool, e.g. transfers)."""
        return self._params

    @property
    def http_timeout(self) -> float:
        return float(self._params.timeout)

    def normalize(self, cls: str, record: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        return codec.normalize_record(cls, record)

    def candidate_urls(self) -> list[str]:
        """Current host first, then the configured host, then the fallback hosts, without repeats."""
        candidates = [self.base_url, self._primary_url]
        candidates.extend(urls.build_base_url(host, like=self._primary_url) for host in self._params.fallback_hosts)
        return list(dict.fromkeys(candidates))

    def _use_transport(self, base_url: str, timeout: t.Optional[float] = None) -> xapi_transport.Transport:
        if self._transport is not None and self._transport.base_url == base_url and timeout is None:
            return self._transport
        if self._transport is not None:
            self._transport.close()
        self._transport = xapi_transport.Transport(base_url, protocol=self._params.protocol, validate_certs=self._params.validate_certs,
                                                   ca_path=self._params.ca_path, timeout=timeout or self._params.timeout, user_agent=ORIGINATOR,
                                                   proxy=self._params.proxy)
        return self._transport

    def _login_at(self, base_url: str) -> None:
        """Log in at base_url, following HOST_IS_SLAVE to the master it names."""
        previous_session = self._session
        redirected = False
        for _redirect in range(MAX_MASTER_REDIRECTS + 1):
            if base_url in self._silent_urls:
                raise errors.XapiConnectionError(base_url, "it did not answer within {0:g} seconds earlier in this run".format(self.http_timeout),
                                                 timed_out=True)
            transport = self._use_transport(base_url)
            credentials = [self._params.username, self._params.password, API_VERSION, ORIGINATOR]
            try:
                self._session = transport.call("session.login_with_password", credentials)
            except errors.XapiError as err:
                if err.code != "HOST_IS_SLAVE" or not err.params:
                    raise
                base_url = urls.build_base_url(err.params[0], like=base_url)
                redirected = True
                continue
            except errors.XapiConnectionError as err:
                if err.timed_out:
                    self._silent_urls.add(base_url)
                if redirected:
                    # A member named this master, which does not answer: the pool has no working master for now.
                    err.unanswering_master = base_url
                raise
            if previous_session is not None and previous_session != self._session:
                # Sessions live in the pool database, so the one used before the master moved may
                # still count against the originator's session limit: end it.
                self._quiet_logout(previous_session)
            self._ended_early = False
            return
        raise errors.XapiConnectionError(base_url, "more than {0} HOST_IS_SLAVE redirections".format(MAX_MASTER_REDIRECTS))

    def login(self) -> None:
        """Log in on the first host that answers: current, configured, then each fallback host.

        Hosts that refused or dropped the connection are tried again after the RETRY_DELAYS pauses;
        a host that let the request time out is not. A lost answer to the login itself is retried
        like a read: the session it may have made on the server is unknown, and xapi expires it.
        XAPI failures such as bad credentials, and TLS failures, end the attempt at once.
        """
        failures: dict[str, errors.XapiConnectionError] = {}
        delays = list((0.0,) + RETRY_DELAYS)
        waited = 0.0
        while True:
            if delays:
                delay = delays.pop(0)
            elif _unanswering_master(failures) and waited < self._params.timeout:
                # Members name a master that does not answer: with HA the pool elects another within a minute or two,
                # so keep asking them (within the connection timeout) rather than failing at once.
                delay = ELECTION_PAUSE
            else:
                break
            candidates = [url for url in self.candidate_urls() if url not in self._silent_urls]
            if not candidates:
                break
            if delay:
                self._sleep(delay)
                waited += delay
            for url in candidates:
                try:
                    self._login_at(url)
                    return
                except errors.XapiConnectionError as err:
                    if not err.recoverable:
                        self._close()
                        raise
                    failures[err.url] = err
                except errors.XapiBaseError:
                    self._close()
                    raise
        self._close()
        master = _unanswering_master(failures)
        if master:
            raise errors.XapiConnectionError(master, "the pool's hosts name it as their master, but it does not answer. With HA the pool "
                                             "elects a new master within minutes; without HA, make a member the master "
                                             "(pool.emergency_transition_to_master) or bring this host back")
        if len(failures) == 1:
            raise next(iter(failures.values()))
        reasons = "; ".join("{0}: {1}".format(url, err.reason) for url, err in failures.items())
        raise errors.XapiConnectionError(self._primary_url, "no host of the pool answered ({0})".format(reasons))

    def call(self, method: str, *args: t.Any, reply_within: t.Optional[float] = None) -> t.Any:
        """Call an XAPI message with the session prepended and return its value.

        A write whose answer is lost raises XapiConnectionError with request_sent: whether it ran is
        unknown, and only a fresh read can tell, which is the caller's business (see _engine).
        reply_within bounds the wait for the answer instead of the connection timeout (see _tasks).
        """
        self.resume_session()
        if self._session is None or self._transport is None:
            raise errors.XapiConnectionError(self.base_url, "not logged in")
        read_only = is_read_only(method)
        delays = list(RETRY_DELAYS)
        logged_in_again = failed_over = False
        redirects = 0
        while True:
            try:
                return self._transport.call(method, [self._session] + list(args), reply_within)
            except errors.XapiError as err:
                if err.code == "SESSION_INVALID" and not logged_in_again:
                    logged_in_again = True
                    self._session = None
                    self.login()
                elif err.code == "HOST_IS_SLAVE" and err.params and redirects < MAX_MASTER_REDIRECTS:
                    # The master moved; the refusing member did not run the call, so sending it again is safe.
                    redirects += 1
                    self._login_at(urls.build_base_url(err.params[0], like=self.base_url))
                else:
                    raise
            except errors.XapiConnectionError as err:
                if not err.recoverable or (err.request_sent and not read_only):
                    raise
                if err.timed_out:
                    # A host that sat out a whole timeout is not asked again: somebody else, or give up.
                    self._silent_urls.add(self._transport.base_url)
                    delays = []
                elif not err.request_sent and not failed_over and len(self.candidate_urls()) > 1:
                    # The host refuses connections (down?): the other hosts are tried at once, not after pauses.
                    delays = []
                if delays:
                    self._sleep(delays.pop(0))
                elif not failed_over and len(self.candidate_urls()) > 1:
                    failed_over = True
                    self.login()
                else:
                    raise

    def call_each(self, calls: t.Sequence[t.Tuple[str, t.Sequence[t.Any]]]) -> t.List[t.Any]:
        """The values of several read-only calls, sent together and answered in order: one round trip for all.

        The first XAPI error answered is raised as a plain call raises it. A call the pipeline left unanswered (the
        connection failed) or that was refused (an expired session, a member that is no longer master) goes again on
        its own through call(), which logs in again, follows the master and retries as for any read, and raises what
        it still fails with. A master that let the pipeline time out is not waited for twice: the next host answers
        the rest, or the failure is raised. After end_with_next_read(), the logout goes with them.
        """
        if not calls:
            return []
        self.resume_session()
        ending = self._ending_calls()
        self._end_with_next_read = False
        if (len(calls) + len(ending) < 2 or self._session is None or self._transport is None
                or not all(is_read_only(method) for method, _args in calls)):
            return [self.call(method, *args) for method, args in calls]
        session = self._session
        answers, failure = self._transport.call_pipelined([(method, [session] + list(args)) for method, args in calls] + ending)
        if ending:
            self._settle_early_logout(answers[len(calls):], len(ending))
        if failure is not None and (not failure.recoverable or failure.timed_out):
            if not failure.recoverable or len(self.candidate_urls()) <= 1:
                raise failure
            self._silent_urls.add(self._transport.base_url)
            self.login()
        values = []
        for index, (method, args) in enumerate(calls):
            failed = answers[index] if index < len(answers) else None
            if index < len(answers) and not isinstance(failed, errors.XapiBaseError):
                values.append(answers[index])
                continue
            if isinstance(failed, errors.XapiError) and failed.code not in _REFUSALS:
                raise failed  # xapi's answer, as a plain call would have had it
            # Refused (an expired session, a member that is no longer master), or unanswered (the connection broke,
            # or the server closed it): sent again on its own.
            if isinstance(failed, errors.XapiError) and failed.code == "SESSION_INVALID" and self._session == session:
                # Once for all the calls that shared the expired session, not once each.
                self._session = None
                self.login()
            values.append(self.call(method, *args))
        return values

    def call_in_order(self, calls: t.Sequence[t.Tuple[str, t.Sequence[t.Any]]]) -> t.List[t.Any]:
        """The values of calls that must run one after the other (writes among them), sent together: one round trip.

        xapi serves the requests of a connection one by one, in the order they come (http_svr.ml
        ``handle_connection``). The first error answered is raised; the calls after it ran all the same, so only
        calls that can follow a failed one harmlessly belong together here. A call left unanswered raises
        XapiConnectionError: whether it ran is unknown, which only a fresh read can tell (see _engine). Refused
        all alike (an expired session, a member that is no longer master), none ran: they go again one by one
        through call(), which logs in again or follows the master first.
        """
        self.resume_session()
        if len(calls) < 2 or self._session is None or self._transport is None:
            return [self.call(method, *args) for method, args in calls]
        answers, failure = self._transport.call_pipelined([(method, [self._session] + list(args)) for method, args in calls])
        first = answers[0] if answers else failure
        if isinstance(first, errors.XapiError) and first.code == "SESSION_INVALID":
            self._session = None
            self.login()
        refused = isinstance(first, errors.XapiError) and first.code in _REFUSALS
        if refused or (isinstance(first, errors.XapiConnectionError) and not first.request_sent):
            return [self.call(method, *args) for method, args in calls]
        for answer in answers:
            if isinstance(answer, errors.XapiBaseError):
                raise answer
        if len(answers) < len(calls):
            if failure is not None and failure.timed_out:
                self._silent_urls.add(self._transport.base_url)
            raise failure or errors.XapiConnectionError(self.base_url, "the server closed the connection before answering {0}"
                                                        .format(calls[len(answers)][0]), request_sent=True)
        return answers

    def end_with_next_read(self) -> None:
        """Send the logout (and the finished tasks' destroys) together with the next call_each, the run's last read:
        a round trip less than logging out after it.

        Should a call follow all the same (a read the caller did not foresee), it logs in again first: a round trip
        more, never a failure. A logout that goes unanswered there is sent again at exit, as usual.
        """
        self._end_with_next_read = True

    def resume_session(self) -> None:
        """Log in again when a read ended the session (end_with_next_read) and calls follow all the same: a new
        session, as after an expiry. Callers that note the session (to find their tasks in it) call this first."""
        if self._session is None and self._ended_early:
            self.login()

    def _ending_calls(self) -> t.List[t.Tuple[str, t.List[t.Any]]]:
        if not self._end_with_next_read or self._session is None:
            return []
        return [("task.destroy", [self._session, task]) for task in self._finished_tasks] + [("session.logout", [self._session])]

    def _settle_early_logout(self, answers: t.Sequence[t.Any], sent: int) -> None:
        """After a logout sent with reads: the session is over once xapi said so (the tasks went before it)."""
        if len(answers) == sent and not isinstance(answers[-1], errors.XapiBaseError):
            self._session = None
            self._finished_tasks = []
            self._ended_early = True

    def forget_silent_hosts(self) -> None:
        """Ask again the hosts that let a request time out: after a reboot, for one, they answer again."""
        self._silent_urls.clear()

    def forget_task(self, task_ref: str) -> None:
        """Destroy a finished task's record at logout, sent with it: one round trip for all the run's tasks.

        A run that ends without logging out leaves them to xapi, which removes completed tasks after 65 minutes
        (db_gc_util.ml ``timeout_tasks``).
        """
        if task_ref not in self._finished_tasks:
            self._finished_tasks.append(task_ref)

    def logout(self) -> None:
        """End the session and close the connection; failures here are ignored."""
        if self._session is not None:
            self._quiet_logout(self._session, self._finished_tasks)
        self._finished_tasks = []
        self._session = None
        self._ended_early = False
        self._close()

    def _quiet_logout(self, session: str, finished_tasks: t.Sequence[str] = ()) -> None:
        """Log a session out (destroying the finished tasks first, in the same round trip), on a fresh short-lived
        connection if the current one has died (the tasks are then left to xapi)."""
        if self._transport is None:
            return
        if finished_tasks and self._transport.connected:
            calls = [("task.destroy", [session, task]) for task in finished_tasks] + [("session.logout", [session])]
            answers, _failure = self._transport.call_pipelined(calls)
            if len(answers) == len(calls):
                return
        base_url = self._transport.base_url
        for _attempt in range(LOGOUT_ATTEMPTS):
            try:
                if not self._transport.connected:
                    self._use_transport(base_url, timeout=min(self.http_timeout, LOGOUT_TIMEOUT))
                self._transport.call("session.logout", [session])
                return
            except errors.XapiConnectionError as err:
                if not err.recoverable or err.timed_out:
                    return
            except errors.XapiBaseError:
                return

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _unanswering_master(failures: t.Mapping[str, errors.XapiConnectionError]) -> str:
    """The master that members named but that did not answer, if any login failed that way."""
    for err in failures.values():
        if err.unanswering_master:
            return err.unanswering_master
    return ""

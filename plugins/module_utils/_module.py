# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AnsibleModule with the collection's common connection options and XAPI error reporting."""

from __future__ import annotations

import contextlib
import typing as t

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, errors, transport, urls

# Keep in step with plugins/doc_fragments/connection.py.
CONNECTION_ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "hostname": dict(type="str", required=True, aliases=["host", "pool"], fallback=(env_fallback, ["XAPI_HOST", "XENSERVER_HOST"])),
    "username": dict(type="str", default="root", aliases=["user", "admin"], fallback=(env_fallback, ["XAPI_USERNAME", "XENSERVER_USER"])),
    "password": dict(type="str", no_log=True, aliases=["pass", "pwd"], fallback=(env_fallback, ["XAPI_PASSWORD", "XENSERVER_PASSWORD"])),
    "validate_certs": dict(type="bool", default=True, fallback=(env_fallback, ["XAPI_VALIDATE_CERTS", "XENSERVER_VALIDATE_CERTS"])),
    "ca_path": dict(type="path", fallback=(env_fallback, ["XAPI_CA_PATH"])),
    "protocol": dict(type="str", default="jsonrpc", choices=list(transport.PROTOCOLS)),
    "timeout": dict(type="int", default=60),
    "fallback_hosts": dict(type="list", elements="str", default=[]),
    "proxy": dict(type="str"),
}

# other_config, tags and purge of the modules that manage pool objects.
# Keep in step with plugins/doc_fragments/metadata.py.
METADATA_ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "other_config": dict(type="dict"),
    "tags": dict(type="list", elements="str"),
    "purge": dict(type="bool", default=False),
}


class XapiModule:
    """An AnsibleModule whose argument spec includes the connection options.

    Use `with module.client() as client:`; any XAPI failure escaping that block ends the module
    with fail_json (after the session was logged out), with the password redacted.
    """

    def __init__(self, argument_spec: t.Optional[dict[str, t.Any]] = None, **kwargs: t.Any) -> None:
        spec = dict(CONNECTION_ARGUMENT_SPEC)
        spec.update(argument_spec or {})
        raw = _raw_arguments()
        # ansible-core crashes on a map of sub-options given a number, and turns a list or map given for text into
        # its printed form: both are refused here, naming the option, before it parses anything.
        problem = shape_problem(spec, raw) if raw is not None else None
        if problem is not None:
            # Parsed loosely (every option raw, secrets still hidden) only to report the problem the usual way.
            loose = dict((name, {"type": "raw", "aliases": option.get("aliases", []), "no_log": option.get("no_log", False)})
                         for name, option in spec.items())
            AnsibleModule(argument_spec=loose, supports_check_mode=True).fail_json(msg=problem)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self._spec = spec
        # Credentials written into a URL (https://root:secret@host) are hidden like the password in all output,
        # the invocation Ansible echoes included; messages of ours show such URLs without them anyway.
        for url in [self.params.get("hostname"), self.params.get("proxy")] + list(self.params.get("fallback_hosts") or []):
            if urls.url_credentials(url):
                self.module.no_log_values.add(urls.url_credentials(url))
        # Secrets inside options that also hold ordinary values (see hide_secrets_of).
        self._option_secrets: set[str] = set()
        self._shown_params: dict[str, t.Any] = {}

    def hide_secrets_of(self, option: str, secrets: t.Iterable[str], shown: t.Any) -> None:
        """An option whose secrets this module hides itself, by whole words, instead of Ansible's no_log.

        Ansible hides every value of a no_log option wherever it appears as a substring of any output,
        which garbles messages once a value is short ("stor********ge repository"). For a map such as
        device_config, its ordinary values are released, its secrets are redacted from messages by
        `redact` (whole words when short), the results carry them masked, and the invocation shows
        `shown` (the option with its secrets masked) instead of the option itself.
        """
        values = self.params.get(option)
        flat = list(values.values()) if isinstance(values, dict) else [values]
        # What Ansible registered for them (str of each value), and booleans as XAPI writes them.
        leaves = set(str(value) for value in flat if value is not None)
        leaves.update(("true" if value else "false") for value in flat if isinstance(value, bool))
        password = self.params.get("password")
        self.module.no_log_values.difference_update(leaves - ({password} if password else set()))
        self._option_secrets.update(secret for secret in secrets if secret)
        self._shown_params[option] = shown

    def _before_leaving(self, result: dict[str, t.Any]) -> dict[str, t.Any]:
        """The result with option secrets redacted everywhere, as Ansible's no_log would have, but by whole words."""
        self.module.params.update(self._shown_params)
        return _scrubbed(result, sorted(self._option_secrets)) if self._option_secrets else result

    @property
    def params(self) -> dict[str, t.Any]:
        return self.module.params

    @property
    def secret_options(self) -> t.FrozenSet[str]:
        """The options declared no_log: the password, maps of credentials."""
        return frozenset(name for name, option in self._spec.items() if option.get("no_log"))

    @property
    def check_mode(self) -> bool:
        return bool(self.module.check_mode)

    @property
    def diff_mode(self) -> bool:
        return bool(self.module._diff)

    def warn(self, message: str) -> None:
        self.module.warn(message)

    def connection_params(self) -> urls.ConnectionParams:
        if self.params["timeout"] <= 0:
            self.fail("timeout must be a positive number of seconds, not {0}.".format(self.params["timeout"]))
        return urls.ConnectionParams.from_module_params(self.params)

    @contextlib.contextmanager
    def client(self) -> t.Iterator[xapi_client.XapiClient]:
        """A logged-in XapiClient, logged out on exit; XAPI failures end the module."""
        params = self.connection_params()
        for option, hosts in (("hostname", [params.hostname]), ("fallback_hosts", params.fallback_hosts)):
            for host in hosts:
                try:
                    urls.build_base_url(host)
                except ValueError as err:
                    self.fail("{0}: {1}".format(option, err))
        insecure = urls.plain_http_urls(params)
        for url in insecure:
            self.warn(urls.PLAIN_HTTP_WARNING.format(url))
        try:
            with xapi_client.XapiClient(params) as client:
                yield client
        except errors.XapiBaseError as err:
            self.fail_from_error(err)

    def _secrets(self) -> list[t.Optional[str]]:
        return [self.params.get("password")] + sorted(self._option_secrets)

    def fail(self, msg: str, **result: t.Any) -> t.NoReturn:
        result = self._before_leaving(result)
        self.module.fail_json(msg=errors.redact(msg, self._secrets()), **result)
        raise AssertionError("fail_json returned")  # for type checkers; fail_json exits

    def fail_from_error(self, err: errors.XapiBaseError, prefix: str = "", suffix: str = "", **result: t.Any) -> t.NoReturn:
        """End the module reporting a connection-layer failure in words, with its details."""
        secrets = self._secrets()
        if isinstance(err, errors.XapiError):
            result.update(error_code=err.code, error_params=[errors.redact(param, secrets) for param in err.params])
            if err.method:
                # Which XAPI call failed, said in the message too: "... (VM.start: HOST_NOT_ENOUGH_FREE_MEMORY)".
                result.update(method=err.method)
                suffix = " ({0}: {1})".format(err.method, err.code) + suffix
        elif isinstance(err, errors.XapiConnectionError):
            result.update(url=err.url)
            if err.method:
                result.update(method=err.method)
        elif isinstance(err, errors.XapiTimeoutError):
            result.update(method=err.method, timeout=err.timeout)
        self.fail(prefix + err.describe() + suffix, **result)

    def exit(self, changed: bool, **result: t.Any) -> t.NoReturn:
        result = self._before_leaving(result)
        self.module.exit_json(changed=changed, **result)
        raise AssertionError("exit_json returned")


def _scrubbed(value: t.Any, secrets: list[str]) -> t.Any:
    if isinstance(value, str):
        return errors.redact(value, secrets)
    if isinstance(value, dict):
        return dict((key, _scrubbed(item, secrets)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_scrubbed(item, secrets) for item in value]
    return value


def _raw_arguments() -> t.Optional[dict[str, t.Any]]:
    """The task's arguments as sent, before AnsibleModule converts them; None if they cannot be read here."""
    # _load_params is documented for modules that inspect their own input; if it cannot read the input,
    # AnsibleModule reports the problem itself.
    try:
        raw = basic._load_params()  # pylint: disable=protected-access
    except Exception:  # pylint: disable=broad-exception-caught
        return None
    return raw if isinstance(raw, dict) else None


def shape_problem(spec: t.Mapping[str, t.Any], raw: t.Mapping[str, t.Any], path: str = "") -> t.Optional[str]:
    """A message for the first option given a value of the wrong shape: a list or map where text is expected,
    or anything but a map where a map of sub-options is; None when every option has the right shape."""
    for name, option in spec.items():
        keys = [name] + list(option.get("aliases") or [])
        value = next((raw[key] for key in keys if key in raw), None)
        if value is None:
            continue
        kind, label = option.get("type", "str"), path + name
        if kind in ("str", "path") and isinstance(value, (dict, list)):
            return "{0}: give text, not a {1}.".format(label, "map" if isinstance(value, dict) else "list")
        if kind == "list" and option.get("elements") in ("str", "path") and isinstance(value, list) \
                and any(isinstance(item, (dict, list)) for item in value):
            return "{0}: give a list of texts; an item is a {1}.".format(label, "map" if any(isinstance(i, dict) for i in value) else "list")
        sub_spec = option.get("options")
        if not sub_spec:
            continue
        if kind == "dict":
            if not isinstance(value, dict):
                return "{0}: give a map of its sub-options ({1}), not {2!r}.".format(label, ", ".join(sorted(sub_spec)), type(value).__name__)
            problem = shape_problem(sub_spec, value, label + ".")
        elif kind == "list" and isinstance(value, list):
            problem = next((shape_problem(sub_spec, item, "{0}[{1}].".format(label, index)) if isinstance(item, dict)
                            else "{0}[{1}]: give a map of its sub-options ({2}).".format(label, index, ", ".join(sorted(sub_spec)))
                            for index, item in enumerate(value)
                            if not isinstance(item, dict) or shape_problem(sub_spec, item, "{0}[{1}].".format(label, index))), None)
        else:
            problem = None
        if problem is not None:
            return problem
    return None

# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the collection's plugins (inventory): the modules' options, read from the
plugin configuration or from the same environment variables."""

from __future__ import annotations


class ModuleDocFragment:
    """The same names, meanings and defaults as the modules' xen.xapi.connection options.

    Plugins declare their environment variables in the documentation (modules use
    env_fallback in code), so the options are written out again here with their env entries.
    When several variables are set, the last one listed wins.
    """

    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - The pool master (or any pool member) to connect to, as a host name or IP address, optionally with a port
        (V(xs01.example.com), V(192.0.2.10:8443), V([2001:db8::10])).
      - Without a scheme, HTTPS is used. An explicit V(http://) prefix is accepted for test setups and produces a warning,
        since the password then travels unencrypted. Paths and credentials in the host are refused.
      - When this host is a pool member, the connection follows the C(HOST_IS_SLAVE) answer to the master, keeping the scheme,
        port and certificate settings.
    type: str
    aliases: [ host ]
    env:
      - name: XENSERVER_HOST
      - name: XAPI_HOST
  username:
    description:
      - The user to log in as.
    type: str
    default: root
    aliases: [ user ]
    env:
      - name: XENSERVER_USER
      - name: XAPI_USERNAME
  password:
    description:
      - The password of O(username). It is only kept in memory and is never shown in output or error messages.
      - It may be an inline vault-encrypted value (C(!vault |)).
    type: str
    aliases: [ pass, pwd ]
    env:
      - name: XENSERVER_PASSWORD
      - name: XAPI_PASSWORD
  validate_certs:
    description:
      - Whether to verify the host's TLS certificate and host name.
      - Set to V(false) only for hosts with self-signed certificates on trusted networks; prefer O(ca_path).
    type: bool
    default: true
    env:
      - name: XENSERVER_VALIDATE_CERTS
      - name: XAPI_VALIDATE_CERTS
  ca_path:
    description:
      - A PEM file, or a directory of hashed certificates, holding the CA certificates that signed the pool hosts' certificates.
        Without it the system's trusted CAs are used.
      - Ignored when O(validate_certs=false).
    type: path
    env:
      - name: XAPI_CA_PATH
  protocol:
    description:
      - The XAPI wire protocol. V(jsonrpc) posts to C(/jsonrpc); V(xmlrpc) posts to C(/), for older hosts.
    type: str
    choices: [ jsonrpc, xmlrpc ]
    default: jsonrpc
  timeout:
    description:
      - Seconds to wait for the server during one HTTP exchange (connecting, or waiting for one answer).
    type: int
    default: 60
  fallback_hosts:
    description:
      - Other hosts of the pool to try, in order, when O(hostname) does not answer, for example after the master failed and
        another host took over. A pool member that answers redirects to the current master.
      - Entries use the same form as O(hostname); without a scheme or port they take those of O(hostname).
    type: list
    elements: str
    default: []
  proxy:
    description:
      - An HTTP proxy for every connection to the pool, such as V(http://proxy.example.com:3128) (credentials may be part
        of the URL; they are never shown). Connections go through it with C(CONNECT), so TLS is still checked end to end.
      - When not set, the E(HTTPS_PROXY) and E(HTTP_PROXY) environment variables apply, minus the hosts of E(NO_PROXY), as
        for Ansible's own modules.
    type: str
"""

# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every module of the collection."""

    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - The pool master (or any pool member) to connect to, as a host name or IP address, optionally with a port
        (V(xs01.example.com), V(192.0.2.10:8443), V([2001:db8::10])).
      - Without a scheme, HTTPS is used. An explicit V(http://) prefix is accepted for test setups and produces a warning,
        since the password then travels unencrypted. Paths and credentials in the host are refused.
      - When this host is a pool member, the modules follow the C(HOST_IS_SLAVE) answer to the master, keeping the scheme,
        port and certificate settings.
      - If not set, the value of the E(XAPI_HOST) environment variable, then E(XENSERVER_HOST), is used.
      - The alias C(pool) is community.general's spelling, kept for playbooks moving from its C(xenserver_*) modules.
    type: str
    required: true
    aliases: [ host, pool ]
  username:
    description:
      - The user to log in as.
      - If not set, the value of the E(XAPI_USERNAME) environment variable, then E(XENSERVER_USER), is used.
      - The alias C(admin) is community.general's spelling, kept for playbooks moving from its C(xenserver_*) modules.
    type: str
    default: root
    aliases: [ user, admin ]
  password:
    description:
      - The password of O(username). It is only kept in memory and is never shown in results or error messages.
      - If not set, the value of the E(XAPI_PASSWORD) environment variable, then E(XENSERVER_PASSWORD), is used.
    type: str
    aliases: [ pass, pwd ]
  validate_certs:
    description:
      - Whether to verify the host's TLS certificate and host name.
      - Set to V(false) only for hosts with self-signed certificates on trusted networks; prefer O(ca_path).
      - If not set, the value of the E(XAPI_VALIDATE_CERTS) environment variable, then E(XENSERVER_VALIDATE_CERTS), is used.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file, or a directory of hashed certificates, holding the CA certificates that signed the pool hosts' certificates.
        Without it the system's trusted CAs are used.
      - Ignored when O(validate_certs=false).
      - If not set, the value of the E(XAPI_CA_PATH) environment variable is used.
    type: path
  protocol:
    description:
      - The XAPI wire protocol. V(jsonrpc) posts to C(/jsonrpc); V(xmlrpc) posts to C(/), for older hosts.
    type: str
    choices: [ jsonrpc, xmlrpc ]
    default: jsonrpc
  timeout:
    description:
      - Seconds to wait for the server during one HTTP exchange (connecting, or waiting for one answer).
      - This does not limit how long a long-running operation may take; modules that wait for tasks have their own options for that.
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
requirements:
  - Python 3.9 or later where the module runs, usually the controller (a local connection, or delegation to localhost); the
    standard library only, no XenAPI package.
notes:
  - The modules talk to the XAPI management API of XenServer and XCP-ng hosts directly; no XenAPI Python package is needed.
  - Each run logs in once, reuses one HTTP connection and one session for all its calls, and logs out at the end.
  - Where the module runs, the code compiled from the collection's module utilities is kept in a per-user bytecode
    cache, C($XDG_CACHE_HOME/xen.xapi/bytecode/) (C(~/.cache/xen.xapi/bytecode/) by default, about 1 MB), so that
    later runs do not compile it again. An entry is used only when it was compiled from the same source and its file
    belongs to the user and is writable by no one else. Setting E(PYTHONDONTWRITEBYTECODE) stops the writes;
    removing the directory is always safe.
seealso:
  - name: XenAPI reference
    description: Every class, field and message of the XAPI management API the modules use.
    link: https://xapi-project.github.io/xen-api/
"""

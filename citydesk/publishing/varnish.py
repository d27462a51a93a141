"""Varnish as the shared cache tier (deploy/varnish): its config from the template, and
a private varnishd for the tests, the benchmarks and the local cluster.

Production runs the distribution's varnishd (with varnish-modules, for xkey) on
`citydesk varnish_config`'s output.
"""

import os
import re
import shutil
import string
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from ipaddress import ip_network
from pathlib import Path

# In the source tree beside the package: citydesk is deployed from a checkout.
TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "varnish" / "citydesk.vcl.template"
XKEY_MODULE = "libvmod_xkey.so"
HOST = re.compile(r"[A-Za-z0-9.-]+")
SECRET = re.compile(r"[A-Za-z0-9_-]{16,}")
PURGE_SECRET_HEADER = "X-Citydesk-Purge-Secret"
VMOD_DIRS = [f"/usr/lib/{arch}-linux-gnu/varnish/vmods" for arch in ("x86_64", "aarch64")]


def render(
    nodes: list[tuple[str, int]],
    purgers: Sequence[str] = ("127.0.0.1",),
    *,
    secret: str = "",
    template: Path = TEMPLATE,
) -> str:
    """The VCL for these app nodes ((host, port) each, health-checked on /healthz),
    purgeable from these addresses or networks, and, given a `secret`, only by a PURGE
    that carries it in PURGE_SECRET_HEADER (a TLS terminator or balancer on the same host
    makes every client look like 127.0.0.1). Raises ValueError for a host, address or
    secret VCL could not take."""
    if not nodes:
        raise ValueError("no app node to put behind Varnish")
    backends, director = [], []
    for n, (host, port) in enumerate(nodes, 1):
        if not HOST.fullmatch(host) or not 0 < int(port) < 65536:
            raise ValueError(f"not a host and port for Varnish: {host}:{port}")
        backends.append(
            f'backend node{n} {{\n    .host = "{host}";\n    .port = "{int(port)}";\n'
            "    .connect_timeout = 1s;\n    .first_byte_timeout = 30s;\n"
            '    .probe = {\n        .url = "/healthz";\n        .interval = 1s;\n'
            "        .timeout = 1s;\n        .window = 3;\n        .threshold = 2;\n"
            "        .initial = 2;\n    }\n}"
        )
        director.append(f"    nodes.add_backend(node{n});")
    acl = []
    for address in purgers:
        network = ip_network(address, strict=False)  # ValueError for anything else
        acl.append(f'    "{network.network_address}"/{network.prefixlen};')
    if secret and not SECRET.fullmatch(secret):
        raise ValueError("the purge secret takes 16 or more letters, digits, - and _ only")
    allowed = f'req.http.{PURGE_SECRET_HEADER} == "{secret}"' if secret else "true"
    values = {
        "CITYDESK_BACKENDS": "\n".join(backends),
        "CITYDESK_DIRECTOR": "\n".join(director),
        "CITYDESK_PURGERS": "\n".join(acl),
        "CITYDESK_PURGE_ALLOWED": allowed,
    }
    # safe_substitute leaves VCL's own $ (regex anchors) alone; a placeholder left over
    # would be a template and code out of step.
    vcl = string.Template(template.read_text()).safe_substitute(values)
    if "${CITYDESK_" in vcl:
        raise ValueError("the VCL template names a placeholder render() does not fill")
    return vcl


def varnishd_binary() -> str | None:
    return shutil.which("varnishd") or next(
        (p for p in ("/usr/sbin/varnishd", "/usr/local/sbin/varnishd") if os.access(p, os.X_OK)),
        None,
    )


def xkey_available() -> bool:
    """Whether varnish-modules' xkey is installed beside varnishd."""
    return any(Path(d, XKEY_MODULE).exists() for d in VMOD_DIRS)


def varnishd_command(binary: str, workdir: Path, vcl: Path, port: int, memory: str) -> list[str]:
    """varnishd in the foreground on 127.0.0.1:`port` with this VCL, its state in
    `workdir`."""
    return [
        binary, "-F", "-a", f"127.0.0.1:{port}", "-f", str(vcl), "-n", str(workdir / "n"),
        "-s", f"malloc,{memory}", "-T", "none",
        # As whoever started it: its own unprivileged user could not read a private
        # folder (and a test's temporary one is private).
        "-j", "none",
        "-p", "vcc_allow_inline_c=off", "-p", "feature=+http2",
    ]  # fmt: skip


@contextmanager
def running_varnish(workdir: Path, vcl: str, port: int, *, memory: str = "64m") -> Iterator[str]:
    """varnishd with this VCL listening on `port`, its state under `workdir`; yields its
    base URL."""
    from citydesk.core.testing import stop_process, wait_for_port

    binary = varnishd_binary()
    if binary is None:
        raise RuntimeError("varnishd is not installed (apt-get install varnish varnish-modules)")
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "citydesk.vcl"
    config.write_text(vcl)
    command = varnishd_command(binary, workdir, config, port, memory)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, process, "varnishd", seconds=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)

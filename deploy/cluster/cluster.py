"""The multi-node profile on one machine, all on loopback (docs/deploy.md):

    Varnish :8100 (xkey) ──round robin──► both nodes; the nodes purge it by key
    app node 1 :8101, app node 2 :8102 (`citydesk serve`, each with its worker)
    PostgreSQL primary :8103 ──streaming──► replica :8104 (pg_basebackup -R)
    Redis :8105 (rankings, the API's rate limits)

    python deploy/cluster/cluster.py start [--dir var/cluster] [--ports-from 8100]
                                                                  # or: make cluster
    python deploy/cluster/cluster.py start --database-url URL --replica-url URL
    python deploy/cluster/cluster.py stop                         # or: make cluster-stop
    python deploy/cluster/cluster.py status

With --database-url and --replica-url the nodes use a PostgreSQL primary and its streaming
replica that run already (the bench's million articles: docs/benchmarks.md): the cluster
neither starts nor stops them, but migrates that database and adds the demo's content to
it (`citydesk demo` makes what is missing only), as it does its own.

Everything lives under --dir and is started from the engines Debian installs
(postgresql, redis-server, varnish with varnish-modules). PostgreSQL trusts loopback
connections: this is for trying the topology and for the cluster tests, not for
production (docs/deploy.md has systemd units for that). Run as root, PostgreSQL runs as
the `postgres` user, since initdb refuses root.
"""

import argparse
import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DATABASE = "citydesk"
LOCAL_FILES = "citydesk.publishing.backends.local.LocalFilesBackend"


class Ports:
    """Six ports from `first`: Varnish, the two nodes, the primary, the replica, Redis."""

    def __init__(self, first: int = 8100) -> None:
        self.first = first
        self.varnish, self.primary, self.replica, self.redis = (
            first,
            first + 3,
            first + 4,
            first + 5,
        )
        self.nodes = (first + 1, first + 2)

    @classmethod
    def of(cls, base: Path) -> "Ports":
        saved = base / "ports"
        return cls(int(saved.read_text())) if saved.exists() else cls()


def pg_bin(name: str) -> str:
    """A PostgreSQL program: Debian keeps the server's out of PATH, one folder a version
    (the newest is taken)."""
    installed = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    newest = max(installed, key=lambda p: int(Path(p).parts[-3].split(".")[0]), default=None)
    found = newest or shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: apt-get install postgresql")
    return found


def as_postgres(command: list[str]) -> list[str]:
    """initdb and the server refuse to run as root: run them as `postgres` then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def own(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def run(command: list[str], **kwargs: object) -> None:
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def database_url(port: int) -> str:
    return f"postgresql://citydesk@127.0.0.1:{port}/{DATABASE}"


def databases(base: Path, ports: Ports) -> tuple[str, str]:
    """The primary's URL and the replica's: the cluster's own, or those it was started
    with (kept in `base`)."""
    given = base / "databases.json"
    if given.exists():
        urls = json.loads(given.read_text())
        return urls["primary"], urls["replica"]
    return database_url(ports.primary), database_url(ports.replica)


def node_env(base: Path, ports: Ports) -> dict[str, str]:
    """What every app node (and a command run against the cluster) is configured with."""
    purge = [
        {
            "BACKEND": "citydesk.publishing.backends.http.HttpPurgeBackend",
            "OPTIONS": {
                "SERVERS": [f"http://127.0.0.1:{ports.varnish}"],
                "KEY_HEADER": "xkey-purge",
            },
        }
    ]
    primary, replica = databases(base, ports)
    return {
        **os.environ,
        "CITYDESK_DATA_DIR": str(base / "data"),  # shared: media and the secret key
        "CITYDESK_DATABASE_URL": primary,
        "CITYDESK_DATABASE_REPLICA_URL": replica,
        "CITYDESK_RANKING_BACKEND": "redis",
        "CITYDESK_REDIS_URL": f"redis://127.0.0.1:{ports.redis}/0",
        "CITYDESK_CACHE_URL": f"redis://127.0.0.1:{ports.redis}/1",
        "CITYDESK_PURGE_BACKENDS": json.dumps(purge),
        "CITYDESK_PAGE_CACHE": "0",  # Varnish is the cache tier
        # Varnish, on this machine, names the reader in X-Forwarded-For's last hop.
        "CITYDESK_TRUST_X_FORWARDED_FOR": "1",
        "CITYDESK_SITE_URL": f"http://127.0.0.1:{ports.varnish}",
        "CITYDESK_WORKERS": "1",
    }


def citydesk(base: Path, ports: Ports, *args: str, **env: str) -> None:
    run(
        [str(ROOT / ".venv" / "bin" / "citydesk"), *args],
        env={**node_env(base, ports), **env},
        cwd=ROOT,
    )


def wait_http(url: str, seconds: float = 60, *, any_status: bool = False) -> None:
    """Until `url` answers 200 (or, with any_status, answers at all)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError:
            if any_status:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {seconds:g} s")
        time.sleep(0.3)


def start_postgres(base: Path, ports: Ports) -> None:
    primary, replica = base / "pg-primary", base / "pg-replica"
    run(as_postgres([pg_bin("initdb"), "-D", str(primary), "-U", "citydesk", "-A", "trust",
                     "-E", "UTF8", "--locale=C.UTF-8"]), stdout=subprocess.DEVNULL)  # fmt: skip
    with (primary / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\nlisten_addresses = '127.0.0.1'\nport = {ports.primary}\n"
            f"unix_socket_directories = '{base}'\nwal_level = replica\nmax_wal_senders = 5\n"
            "hot_standby = on\nfsync = off\n"
        )
    (primary / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        "host replication all 127.0.0.1/32 trust\n"
    )
    run(as_postgres([pg_bin("pg_ctl"), "-D", str(primary), "-l", str(base / "pg-primary.log"),
                     "-w", "start"]), stdout=subprocess.DEVNULL)  # fmt: skip
    run(as_postgres([pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(ports.primary),
                     "-U", "citydesk", DATABASE]))  # fmt: skip
    run(as_postgres([pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(ports.primary),
                     "-U", "citydesk", "-D", str(replica), "-R", "-X", "stream",
                     "-c", "fast"]))  # fmt: skip
    run(as_postgres([pg_bin("pg_ctl"), "-D", str(replica), "-o", f"-p {ports.replica}",
                     "-l", str(base / "pg-replica.log"), "-w", "start"]),
        stdout=subprocess.DEVNULL)  # fmt: skip


def spawn(base: Path, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
    """A background process in its own session, its pid kept for `stop`."""
    log = (base / f"{name}.log").open("ab")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    (base / f"{name}.pid").write_text(str(process.pid))


def start(base: Path, ports: Ports, given: tuple[str, str] | None = None) -> None:
    """The cluster; with `given` (the primary's URL and its replica's) on those."""
    from citydesk.publishing import varnish

    if varnish.varnishd_binary() is None or not varnish.xkey_available():
        raise SystemExit("apt-get install varnish varnish-modules")
    base.mkdir(parents=True, exist_ok=True)
    own(base)
    (base / "ports").write_text(str(ports.first))
    if given:  # the URLs may hold a password: for this user's eyes only
        urls = base / "databases.json"
        urls.touch(mode=0o600)
        urls.write_text(json.dumps({"primary": given[0], "replica": given[1]}))
    else:
        start_postgres(base, ports)
    run(["redis-server", "--port", str(ports.redis), "--bind", "127.0.0.1", "--daemonize", "yes",
         "--dir", str(base), "--pidfile", str(base / "redis.pid"), "--logfile",
         str(base / "redis.log"), "--save", ""])  # fmt: skip
    # Nothing is cached yet, and Varnish is not up: the set-up purges no one.
    quiet = {"CITYDESK_PURGE_BACKENDS": json.dumps([{"BACKEND": LOCAL_FILES}])}
    citydesk(base, ports, "migrate", "--verbosity", "0", **quiet)
    citydesk(base, ports, "demo", **quiet)
    citydesk(base, ports, "collectstatic", "--noinput", "--verbosity", "0")
    # Varnish first: a node refuses to start while its purges cannot reach it.
    vcl = varnish.render([("127.0.0.1", port) for port in ports.nodes])
    (base / "varnish").mkdir(exist_ok=True)
    (base / "varnish" / "citydesk.vcl").write_text(vcl)
    command = varnish.varnishd_command(
        varnish.varnishd_binary() or "varnishd", base / "varnish",
        base / "varnish" / "citydesk.vcl", ports.varnish, "256m",
    )  # fmt: skip
    spawn(base, "varnish", command)
    wait_http(f"http://127.0.0.1:{ports.varnish}/", any_status=True)  # 503: no node yet
    for n, port in enumerate(ports.nodes, 1):
        command = [str(ROOT / ".venv" / "bin" / "citydesk"), "serve", "--port", str(port),
                   "--no-collectstatic"]  # fmt: skip
        spawn(base, f"node{n}", command, node_env(base, ports))
    for port in ports.nodes:
        wait_http(f"http://127.0.0.1:{port}/healthz")
    wait_http(f"http://127.0.0.1:{ports.varnish}/")
    print(f"citydesk cluster: http://127.0.0.1:{ports.varnish}/ (Varnish) in front of "
          + ", ".join(f"http://127.0.0.1:{p}/" for p in ports.nodes)
          + "; primary {}, replica {},".format(*map(_without_password, databases(base, ports)))
          + f" Redis :{ports.redis}; state in {base}")  # fmt: skip


def _without_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def stop(base: Path) -> None:
    ports = Ports.of(base)
    groups = []
    for name in ("varnish", "node1", "node2"):
        pidfile = base / f"{name}.pid"
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                groups.append(int(pidfile.read_text()))
                os.killpg(groups[-1], signal.SIGTERM)
    if (base / "redis.pid").exists():
        subprocess.run(["redis-cli", "-p", str(ports.redis), "shutdown", "nosave"],
                       capture_output=True)  # fmt: skip
    for name in ("pg-replica", "pg-primary"):
        if (base / name / "postmaster.pid").exists():
            subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", str(base / name), "-m", "fast",
                                        "-w", "stop"]), capture_output=True)  # fmt: skip
    # The nodes finish their requests in flight (10 s at most), then anything left goes.
    deadline = time.monotonic() + 15
    for group in groups:
        while time.monotonic() < deadline and _alive(group):
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    shutil.rmtree(base, ignore_errors=True)
    print(f"citydesk cluster stopped; {base} removed")


def _alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def status(base: Path) -> int:
    ports = Ports.of(base)
    ok = True
    for name, url in [("varnish", f"http://127.0.0.1:{ports.varnish}/"),
                      *((f"node{n}", f"http://127.0.0.1:{p}/healthz")
                        for n, p in enumerate(ports.nodes, 1))]:  # fmt: skip
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                print(f"{name}: {response.status}")
        except OSError as exc:
            ok = False
            print(f"{name}: down ({exc})")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "cluster")
    parser.add_argument("--ports-from", type=int, default=8100, help="six ports from this one")
    parser.add_argument("--database-url", help="a running primary, instead of the cluster's own")
    parser.add_argument("--replica-url", help="its streaming replica (with --database-url)")
    args = parser.parse_args()
    if bool(args.database_url) != bool(args.replica_url):
        parser.error("--database-url and --replica-url go together")
    if args.database_url and args.action != "start":
        parser.error("--database-url and --replica-url are for start")
    base = args.dir.resolve()
    if args.action == "start":
        if (base / "ports").exists():
            raise SystemExit(f"{base} holds a cluster already: `cluster.py stop` removes it")
        given = (args.database_url, args.replica_url) if args.database_url else None
        try:
            start(base, Ports(args.ports_from), given)
        except BaseException:
            stop(base)
            raise
        return 0
    if args.action == "stop":
        stop(base)
        return 0
    return status(base)


if __name__ == "__main__":
    sys.exit(main())

"""Reader searches of two source trees, side by side over HTTP on one database: each
tree's `citydesk serve` on a port of its own, the SEARCHES of bench/million.py in
alternating rounds, so the machine's drift (2 vCPU, noisy) falls on both alike.

    .venv/bin/python bench/search_ab.py OLD_TREE NEW_TREE \\
        --database-url postgresql://citydesk:citydesk@127.0.0.1:5432/citydesk_million

A tree is a checkout (`git worktree add /tmp/old REV`); both run with this venv. Prints
p50, p95 and the slowest search of each; writes nothing.
"""

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _report import free_port, percentile  # noqa: E402
from million import SEARCHES, env_for, get, serve  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, type=Path)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    servers = []
    times: dict[str, list[float]] = {str(tree): [] for tree in args.trees}
    try:
        for tree in args.trees:
            port = free_port()
            env = {**env_for(args.database_url), "PYTHONPATH": str(tree.resolve())}
            servers.append((str(tree), serve(args.database_url, port, env, tree=tree), port))
        for step in range(args.rounds):
            for name, _, port in servers[:: 1 if step % 2 == 0 else -1]:
                for q in SEARCHES:
                    status, _, elapsed = get(port, f"/search/?q={q}")
                    if status != 200:
                        raise SystemExit(f"{name}: {q} answered {status}")
                    times[name].append(elapsed)
    finally:
        for _, process, _ in servers:
            process.terminate()
            process.wait(timeout=30)
    for name, found in times.items():
        print(
            f"{name}: search p50 {statistics.median(found):.1f} ms,"
            f" p95 {percentile(found, 95):.1f} ms, slowest {max(found):.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fails when requirements.lock and pyproject.toml disagree (run by `make lint`).

Every package pyproject.toml pins (its dependencies and every extra) must be in the lock
at the same version, with hashes; the lock is what `make run`, `make test` and CI
install (`pip install --require-hashes`). Regenerate it with `make lock` after changing
a pin.
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pins(root: Path) -> tuple[dict[str, str], list[str]]:
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        wanted += extra
    pins, loose = {}, []
    for requirement in wanted:
        match = PIN.match(requirement)
        if match is None:
            loose.append(requirement)
        else:
            pins[canonical(match.group(1))] = match.group(3)
    return pins, loose


def lock_pins(text: str) -> tuple[dict[str, str], list[str]]:
    pins, unhashed = {}, []
    # A requirement and its continuation lines (the hashes) are one entry.
    for entry in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(entry)
        if match is None:
            continue
        name = canonical(match.group(1))
        pins[name] = match.group(3)
        if "--hash=sha256:" not in entry:
            unhashed.append(name)
    return pins, unhashed


def problems(root: Path = ROOT) -> list[str]:
    lock_file = root / "requirements.lock"
    if not lock_file.exists():
        return ["requirements.lock is missing: run `make lock`"]
    pins, loose = pyproject_pins(root)
    locked, unhashed = lock_pins(lock_file.read_text())
    found = [f"pyproject.toml: not pinned with ==: {r}" for r in loose]
    for name, version in sorted(pins.items()):
        if name not in locked:
            found.append(f"{name}=={version} is in pyproject.toml, not in requirements.lock")
        elif locked[name] != version:
            found.append(f"{name}: pyproject.toml pins {version}, requirements.lock {locked[name]}")
    found += [f"requirements.lock: {name} has no hash" for name in unhashed]
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print("requirements.lock and pyproject.toml disagree: run `make lock`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

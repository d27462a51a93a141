"""tools/check_lock.py, which `make lint` (and so `make test`) runs: the lock must hold
every pin of pyproject.toml, at the same version, with hashes."""

import importlib.util
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_lock", ROOT / "tools" / "check_lock.py")
assert spec is not None and spec.loader is not None
check_lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_lock)


def copy(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_lock_agrees_with_pyproject():
    assert check_lock.problems() == []


def test_a_changed_pin_is_caught(tmp_path):
    root = copy(tmp_path)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    assert '"Django==5.2.19"' in text
    pyproject.write_text(text.replace('"Django==5.2.19"', '"Django==5.2.20"'))
    assert check_lock.problems(root) == [
        "django: pyproject.toml pins 5.2.20, requirements.lock 5.2.19"
    ]


def test_a_new_dependency_missing_from_the_lock_is_caught(tmp_path):
    root = copy(tmp_path)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace('"nh3==0.3.8",', '"nh3==0.3.8",\n    "six==1.16.0",'))
    assert check_lock.problems(root) == [
        "six==1.16.0 is in pyproject.toml, not in requirements.lock"
    ]


def test_an_unpinned_dependency_and_a_missing_hash_are_caught(tmp_path):
    root = copy(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"nh3==0.3.8"', '"nh3>=0.3"'))
    lock = root / "requirements.lock"
    lines = lock.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("rich=="))
    end = next(i for i in range(at + 1, len(lines)) if not lines[i].startswith("    --hash"))
    lines[at:end] = [lines[at].rstrip(" \\")]
    lock.write_text("\n".join(lines) + "\n")
    found = check_lock.problems(root)
    assert "pyproject.toml: not pinned with ==: nh3>=0.3" in found
    assert "requirements.lock: rich has no hash" in found

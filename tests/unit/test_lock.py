"""The committed locks (issue 14 item 1): they satisfy pyproject.toml, the server's lock is the
tests' lock minus the test tools, every pin carries hashes, and this test run uses exactly the
locked versions, so that what passed here is what a fresh machine installs."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def pins(name: str) -> dict[str, Version]:
    """Package → version of a lock, for the pins whose markers hold here."""
    found: dict[str, Version] = {}
    lines = (ROOT / "requirements" / name).read_text().splitlines()
    for i, line in enumerate(lines):
        m = PIN.match(line)
        if not m:
            continue
        assert i + 1 < len(lines) and "--hash=sha256:" in lines[i + 1], f"{name}: {line} unhashed"
        package, version, marker = m.groups()
        if marker and not Requirement(f"x; {marker}").marker.evaluate():
            continue
        found[canonicalize_name(package)] = Version(version)
    return found


def requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    env = default_environment()
    return [r for r in map(Requirement, listed) if r.marker is None or r.marker.evaluate(env)]


@pytest.mark.parametrize(("lock", "extra"), [("run.txt", None), ("test.txt", None),
                                             ("test.txt", "test")])
def test_the_lock_satisfies_pyproject(lock, extra):
    locked = pins(lock)
    for req in requirements(extra):
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in requirements/{lock}: run scripts/lock"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"requirements/{lock} pins {req.name} {locked[name]}, outside {req.specifier}: "
            "run scripts/lock")


def test_the_server_gets_the_versions_the_tests_ran_on():
    test, run = pins("test.txt"), pins("run.txt")
    assert run and set(run) < set(test)
    assert {n: v for n, v in run.items() if test[n] != v} == {}


def test_this_run_uses_the_locked_versions():
    """Run from an environment installed by scripts/test, every locked package is installed at
    its locked version: a passing suite then vouches for the lock."""
    differ = {}
    for name, version in pins("test.txt").items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            differ[name] = f"locked {version}, installed {installed}"
    assert differ == {}, ("this environment is not the lock: install it with "
                          f"`python3 -m pip install --require-hashes -r requirements/test.txt`"
                          f" ({differ})")

"""The environment the suite runs in is exactly the one the lock files name.

`make test` installs `requirements/dev.txt` with `uv pip sync` (which also removes what the lock
does not name); these tests fail when a package is missing, extra or of another version, or when
the runtime lock and the test lock disagree on a version."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(;(?P<marker>[^\\]+))?")


def locked(name: str) -> dict[str, str]:
    """The pins of a lock file that apply to this interpreter, by canonical name."""
    pins = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        match = PIN.match(line)
        if not match:
            continue
        marker = match["marker"]
        if marker and not Marker(marker.strip()).evaluate():
            continue
        pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def installed() -> dict[str, str]:
    return {canonicalize_name(dist.metadata["Name"]): dist.version
            for dist in metadata.distributions()}


def test_the_test_environment_is_exactly_the_lock():
    expected = locked("dev.txt")
    found = installed()
    found.pop("clausier")  # the project itself, installed editable beside its lock
    missing = {n: v for n, v in expected.items() if n not in found}
    extra = {n: v for n, v in found.items() if n not in expected}
    other = {n: (expected[n], found[n]) for n in expected.keys() & found.keys()
             if expected[n] != found[n]}
    assert (missing, extra, other) == ({}, {}, {})


def test_runtime_and_test_locks_pin_the_same_versions():
    runtime, dev = locked("runtime.txt"), locked("dev.txt")
    assert runtime.keys() <= dev.keys()
    assert {n: v for n, v in runtime.items() if dev[n] != v} == {}


def test_every_pin_carries_its_hash():
    for name in ("runtime.txt", "dev.txt", "tools.txt"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / name).read_text())
        unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0]
                    and "--hash=sha256:" not in b]
        assert unhashed == [], name


def test_every_direct_dependency_is_locked_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = locked("runtime.txt")
    for spec in project["project"]["dependencies"]:
        requirement = Requirement(spec)
        if requirement.marker and not requirement.marker.evaluate():
            continue
        version = runtime[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), (spec, version)


def test_the_lock_names_no_download_address():
    for path in (ROOT / "requirements").iterdir():
        assert "://" not in path.read_text(), path.name

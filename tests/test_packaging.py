"""The environment is declared in three places that must agree: pyproject.toml (lower bounds),
constraints.txt (the exact set CI tests) and environment.yml (the same set for conda users)."""

import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - tomllib arrived in 3.11
    tomllib = pytest.importorskip("tomli")


@pytest.fixture(scope="module")
def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.fixture(scope="module")
def constraints():
    """Package -> [(version, marker or None)] from constraints.txt."""
    pins: dict[str, list[tuple[Version, Marker | None]]] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"constraints.txt must pin exactly: {line}"
        pins.setdefault(canonicalize_name(req.name), []).append((Version(spec.version), req.marker))
    return pins


@pytest.fixture(scope="module")
def conda_env():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def all_requirements(project):
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def pins_for(constraints, name, python):
    env = {"python_version": python, "python_full_version": python + ".0"}
    return [v for v, marker in constraints.get(canonicalize_name(name), []) if marker is None or marker.evaluate(env)]


def test_pyproject_states_lower_bounds_not_pins(project):
    for req in all_requirements(project):
        assert req.specifier, f"{req.name} has no lower bound in pyproject.toml"
        assert all(s.operator == ">=" for s in req.specifier), f"pyproject.toml pins {req}; pins go in constraints.txt"


@pytest.mark.parametrize("python", ["3.10", "3.11"])
def test_every_dependency_is_pinned_within_its_bounds(project, constraints, python):
    for req in all_requirements(project):
        pins = pins_for(constraints, req.name, python)
        assert len(pins) == 1, f"{req.name}: expected one pin for Python {python}, found {pins}"
        assert req.specifier.contains(pins[0], prereleases=True), f"{req.name}=={pins[0]} breaks {req}"


def test_torch_is_the_cpu_build_ci_tests(constraints):
    assert pins_for(constraints, "torch", "3.11") == [Version("2.13.0")]


def test_the_python_ci_locks_for_is_supported(project, constraints):
    header = (ROOT / "constraints.txt").read_text()
    locked = re.search(r"^# python (\d+\.\d+)$", header, re.M).group(1)
    assert SpecifierSet(project["requires-python"]).contains(locked + ".0")


def test_environment_yml_installs_the_package_with_the_constraints(conda_env):
    deps = conda_env["dependencies"]
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-c constraints.txt" in pip_section
    makefile = (ROOT / "Makefile").read_text()
    extras = re.search(r"^EXTRAS := (\S+)$", makefile, re.M).group(1)
    assert f"-e .[{extras}]" in pip_section, "environment.yml and the Makefile install different extras"
    assert "pip" in deps


def test_environment_yml_python_is_the_one_ci_locks_for(conda_env):
    header = (ROOT / "constraints.txt").read_text()
    locked = re.search(r"^# python (\d+\.\d+)$", header, re.M).group(1)
    pythons = [d for d in conda_env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert pythons == [f"python={locked}"]


def test_environment_yml_adds_no_packages_of_its_own(conda_env):
    # Anything conda installed besides Python and pip would escape the constraints.
    names = {re.split(r"[=<>! ]", d)[0] for d in conda_env["dependencies"] if isinstance(d, str)}
    assert names == {"python", "pip"}

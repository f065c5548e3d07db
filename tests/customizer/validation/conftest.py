"""A copy of examples/shopkit in a git repository, and the skip for machines without a JDK or JUnit jars."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepos import shopkit_repo

from customizer.validation.classpath import DEFAULT_JUNIT_JAR_DIR
from customizer.validation.javac import find_jdk


def require_java() -> None:
    """Skip unless javac and Debian's JUnit 5 console launcher are installed (CI installs both, see .ci/run)."""
    if find_jdk() is None:
        pytest.skip("needs a JDK (apt-get install default-jdk-headless)")
    if not (DEFAULT_JUNIT_JAR_DIR / "junit-platform-console-standalone.jar").is_file():
        pytest.skip("needs the JUnit 5 jars in /usr/share/java (apt-get install junit5 junit4 libhamcrest-java)")


@pytest.fixture(scope="session")
def shopkit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git clone-like copy of the example project (its own repository, committed)."""
    return shopkit_repo(tmp_path_factory.mktemp("shop") / "shopkit")


@pytest.fixture(scope="session")
def empty_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home without ~/.m2 or ~/.gradle: the example then compiles against Debian's jars, as in CI."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="session")
def validation_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of compiled project classes for all tests here: the example is compiled once per state."""
    cache = tmp_path_factory.mktemp("cache") / "validation"  # $TESTTAILOR_CACHE/validation, as the CLI uses
    cache.mkdir()
    return cache

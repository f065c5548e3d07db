"""Classpath discovery, offline: fake Maven and Gradle layouts with artifact stores built in a temporary home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from customizer.errors import ClasspathError
from customizer.validation.classpath import discover_classpath, module_root
from customizer.validation.junit_runner import run_classpath


def _jar(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip: the content does not matter for discovery
    return path


def _m2(home: Path, group: str, artifact: str, version: str, deps: str = "", parent: str = "") -> Path:
    base = home / ".m2/repository" / Path(*group.split(".")) / artifact / version
    (base).mkdir(parents=True, exist_ok=True)
    (base / f"{artifact}-{version}.pom").write_text(
        f"<project><modelVersion>4.0.0</modelVersion>{parent}<groupId>{group}</groupId>"
        f"<artifactId>{artifact}</artifactId><version>{version}</version>"
        f"<dependencies>{deps}</dependencies></project>", encoding="utf-8")
    return _jar(base / f"{artifact}-{version}.jar")


def _dep(group: str, artifact: str, version: str = "", scope: str = "", extra: str = "") -> str:
    return (f"<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            + (f"<version>{version}</version>" if version else "") + (f"<scope>{scope}</scope>" if scope else "")
            + extra + "</dependency>")


@pytest.fixture
def junit_dir(tmp_path: Path) -> Path:
    jars = tmp_path / "share-java"
    for name in ("junit-jupiter-api", "junit-jupiter-params", "opentest4j", "apiguardian-api",
                 "junit-platform-commons", "junit4", "hamcrest", "junit-platform-console-standalone"):
        _jar(jars / f"{name}.jar")
    return jars


def test_maven_resolves_pom_dependencies_transitively_from_m2(tmp_path, junit_dir):
    home = tmp_path / "home"
    lang3 = _m2(home, "org.apache.commons", "commons-lang3", "3.12.0")
    text = _m2(home, "org.apache.commons", "commons-text", "1.10.0",
               deps=_dep("org.apache.commons", "commons-lang3", "3.12.0")
               + _dep("org.never", "test-only", "1", "test") + _dep("org.never", "optional", "1",
                                                                       extra="<optional>true</optional>"))
    hamcrest = _m2(home, "org.hamcrest", "hamcrest", "2.2")
    project = tmp_path / "repo"
    (project / "src/main/java").mkdir(parents=True)
    (project / "src/test/java/a").mkdir(parents=True)
    (project / "target/classes").mkdir(parents=True)
    (project / "pom.xml").write_text(f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
      <modelVersion>4.0.0</modelVersion><groupId>a</groupId><artifactId>app</artifactId><version>1.0</version>
      <properties><text.version>1.10.0</text.version></properties>
      <dependencyManagement><dependencies>{_dep("org.hamcrest", "hamcrest", "2.2")}</dependencies>
      </dependencyManagement>
      <dependencies>{_dep("org.apache.commons", "commons-text", "${{text.version}}")}
        {_dep("org.hamcrest", "hamcrest", scope="test")}{_dep("com.example", "missing", "9.9")}</dependencies>
    </project>""", encoding="utf-8")
    cp = discover_classpath(project, "src/test/java/a/FooTest.java", home=home, junit_dir=junit_dir)
    assert cp.build_system == "maven" and cp.module == project.resolve()
    assert cp.jars == [text, hamcrest, lang3]  # breadth first: direct dependencies, then theirs
    assert cp.main_outputs == [project / "target/classes"] and cp.test_outputs == []
    assert cp.main_sources == [project / "src/main/java"] and cp.test_sources == [project / "src/test/java"]
    assert any("com.example:missing:9.9" in note for note in cp.notes)
    # JUnit is not among the project's jars: Debian's fill in, and their console launcher runs the test
    assert [p.name for p in cp.junit] == ["junit-jupiter-api.jar", "junit-jupiter-params.jar", "opentest4j.jar",
                                          "apiguardian-api.jar", "junit-platform-commons.jar", "junit4.jar"]
    assert cp.launcher == [junit_dir / "junit-platform-console-standalone.jar"]


def test_maven_prefers_an_existing_build_classpath_file(tmp_path, junit_dir):
    project = tmp_path / "repo"
    project.mkdir()
    (project / "pom.xml").write_text("<project><artifactId>x</artifactId></project>", encoding="utf-8")
    listed = [_jar(tmp_path / "jars/junit-4.13.2.jar"), _jar(tmp_path / "jars/guava-31.1-jre.jar")]
    (project / "target").mkdir()
    (project / "target/classpath.txt").write_text(
        os.pathsep.join([*map(str, listed), str(tmp_path / "jars/gone.jar")]), encoding="utf-8")
    cp = discover_classpath(project, None, home=tmp_path / "home", junit_dir=junit_dir)
    assert cp.jars == listed
    assert any("1 entries" in note for note in cp.notes)
    assert junit_dir / "junit4.jar" not in cp.junit  # the project has its own JUnit 4


def test_gradle_resolves_declared_dependencies_from_its_cache(tmp_path, junit_dir):
    home = tmp_path / "home"
    cache = home / ".gradle/caches/modules-2/files-2.1"
    guava = _jar(cache / "com.google.guava/guava/31.1-jre/abc123/guava-31.1-jre.jar")
    (cache / "com.google.guava/guava/31.1-jre/def456").mkdir(parents=True)
    (cache / "com.google.guava/guava/31.1-jre/def456/guava-31.1-jre.pom").write_text(
        "<project><groupId>com.google.guava</groupId><artifactId>guava</artifactId><version>31.1-jre</version>"
        f"<dependencies>{_dep('com.google.guava', 'failureaccess', '1.0.1')}</dependencies></project>",
        encoding="utf-8")
    access = _jar(cache / "com.google.guava/failureaccess/1.0.1/0f0f/failureaccess-1.0.1.jar")
    api = _m2(home, "org.junit.jupiter", "junit-jupiter-api", "5.9.2")  # found in ~/.m2 as well
    project = tmp_path / "repo"
    module = project / "core"
    (module / "build/classes/java/main").mkdir(parents=True)
    (module / "build/classes/java/test").mkdir(parents=True)
    (project / "settings.gradle").parent.mkdir(parents=True, exist_ok=True)
    (project / "gradle.properties").write_text("junitVersion=5.9.2\n", encoding="utf-8")
    (module / "build.gradle.kts").write_text("""
        plugins { java }
        dependencies {
            implementation("com.google.guava:guava:31.1-jre")
            testImplementation(platform("org.junit:junit-bom:5.9.2"))
            testImplementation("org.junit.jupiter:junit-jupiter-api:${junitVersion}")
            // testImplementation("org.commented:out:1.0")
        }""", encoding="utf-8")
    (module / "src/test/java/x").mkdir(parents=True)
    test_file = module / "src/test/java/x/FooTest.java"
    assert module_root(project, test_file) == module.resolve()
    cp = discover_classpath(project, test_file.relative_to(project), home=home, junit_dir=junit_dir)
    assert cp.build_system == "gradle"
    assert cp.jars == [guava, api, access]
    assert cp.main_outputs == [module.resolve() / "build/classes/java/main"]
    assert cp.test_outputs == [module.resolve() / "build/classes/java/test"]
    assert not any(p.name == "junit-jupiter-api.jar" for p in cp.junit)  # the project's own API is used


def test_plain_layout_takes_the_users_classpath(tmp_path, junit_dir):
    project = tmp_path / "repo"
    (project / "src").mkdir(parents=True)
    (project / "tests").mkdir()
    jars = [_jar(project / "lib/a.jar"), _jar(project / "lib/b.jar")]
    (project / "classes").mkdir()
    cp = discover_classpath(project, "tests/FooTest.java", extra=f"lib/*{os.pathsep}classes", main_roots=["src"],
                            test_roots=["tests"], home=tmp_path / "home", junit_dir=junit_dir)
    assert cp.build_system == "plain"
    assert cp.jars == [*jars, project / "classes"]
    assert cp.main_sources == [project / "src"] and cp.test_sources == [project / "tests"]


def test_a_missing_user_classpath_entry_is_a_clear_error(tmp_path, junit_dir):
    (tmp_path / "repo").mkdir()
    with pytest.raises(ClasspathError, match=r"nope\.jar does not exist; fix --classpath") as raised:
        discover_classpath(tmp_path / "repo", None, extra="nope.jar", home=tmp_path, junit_dir=junit_dir)
    assert raised.value.exit_code == 29 and f"separated by '{os.pathsep}'" in raised.value.message


def test_no_launcher_is_reported(tmp_path):
    (tmp_path / "repo").mkdir()
    cp = discover_classpath(tmp_path / "repo", None, home=tmp_path, junit_dir=tmp_path / "empty")
    assert cp.launcher == [] and any("console launcher" in note for note in cp.notes)


def test_a_standalone_launcher_replaces_the_projects_platform_jars_at_run_time(tmp_path):
    launcher = [tmp_path / "junit-platform-console-standalone.jar"]
    project = [tmp_path / "classes", tmp_path / "junit-jupiter-engine-5.14.0.jar",
               tmp_path / "junit-platform-commons-1.14.0.jar", tmp_path / "guava-31.jar"]
    assert run_classpath(launcher, project) == [*launcher, tmp_path / "classes", tmp_path / "guava-31.jar"]


def test_maven_module_inherits_versions_from_its_parent_and_an_imported_bom(tmp_path, junit_dir):
    home = tmp_path / "home"
    lang3 = _m2(home, "org.apache.commons", "commons-lang3", "3.12.0")
    api = _m2(home, "org.junit.jupiter", "junit-jupiter-api", "5.9.2")
    for newer in (("org.apache.commons", "commons-lang3", "3.13.0"), ("org.junit.jupiter", "junit-jupiter-api",
                                                                        "5.10.0")):
        _m2(home, *newer)  # only the managed versions may be chosen, not the newest on disk
    bom_dir = home / ".m2/repository/org/junit/junit-bom/5.9.2"
    bom_dir.mkdir(parents=True)
    (bom_dir / "junit-bom-5.9.2.pom").write_text(
        "<project><groupId>org.junit</groupId><artifactId>junit-bom</artifactId><version>5.9.2</version>"
        f"<dependencyManagement><dependencies>{_dep('org.junit.jupiter', 'junit-jupiter-api', '5.9.2')}"
        "</dependencies></dependencyManagement></project>", encoding="utf-8")
    root = tmp_path / "repo"
    (root / "core/src/test/java").mkdir(parents=True)
    (root / "pom.xml").write_text(f"""<project><groupId>a</groupId><artifactId>parent</artifactId>
      <version>2.0</version><packaging>pom</packaging><modules><module>core</module></modules>
      <properties><lang3.version>3.12.0</lang3.version></properties>
      <dependencyManagement><dependencies>
        {_dep("org.apache.commons", "commons-lang3", "${lang3.version}")}
        {_dep("org.junit", "junit-bom", "5.9.2", "import", "<type>pom</type>")}
      </dependencies></dependencyManagement></project>""", encoding="utf-8")
    (root / "core/pom.xml").write_text(f"""<project>
      <parent><groupId>a</groupId><artifactId>parent</artifactId><version>2.0</version></parent>
      <artifactId>core</artifactId>
      <dependencies>{_dep("org.apache.commons", "commons-lang3")}
        {_dep("org.junit.jupiter", "junit-jupiter-api", scope="test")}</dependencies></project>""",
                                      encoding="utf-8")
    cp = discover_classpath(root, "core/src/test/java/FooTest.java", home=home, junit_dir=junit_dir)
    assert cp.module == (root / "core").resolve()
    assert cp.jars == [lang3, api] and cp.notes == []

#!/usr/bin/env bash
# Compiles the bundled example project (examples/shopkit) with javac --release 17 against Debian's JUnit 5
# jars and runs all of its tests with the JUnit Platform console launcher. Build output goes to a temporary
# directory, never into examples/. Exits non-zero on a compile error or any failing test.
#
# Usage: scripts/check_example.sh [project_dir]     (default: examples/shopkit)
# Env:   JUNIT_JAR_DIR  directory with the JUnit jars (default /usr/share/java)
#        KEEP_BUILD=1   keep the temporary build directory (its path is printed)
# Jars:  apt-get install -y junit5   (ships junit-jupiter-*, junit-platform-*, opentest4j, apiguardian)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="${1:-$ROOT/examples/shopkit}"
JAR_DIR="${JUNIT_JAR_DIR:-/usr/share/java}"

die() { echo "check_example: $*" >&2; exit 2; }

command -v javac >/dev/null 2>&1 || die "javac not found (apt-get install -y openjdk-17-jdk-headless)"
command -v java >/dev/null 2>&1 || die "java not found"
[ -d "$PROJECT/src/main/java" ] || die "no src/main/java in $PROJECT"

compile_jars=()
for name in junit-jupiter-api junit-jupiter-params opentest4j apiguardian-api junit-platform-commons; do
    [ -f "$JAR_DIR/$name.jar" ] || die "missing $JAR_DIR/$name.jar (apt-get install -y junit5)"
    compile_jars+=("$JAR_DIR/$name.jar")
done

# Prefer the standalone console launcher; fall back to console + launcher + engines.
if [ -f "$JAR_DIR/junit-platform-console-standalone.jar" ]; then
    run_cp="$JAR_DIR/junit-platform-console-standalone.jar"
else
    run_jars=("${compile_jars[@]}")
    for name in junit-jupiter-engine junit-platform-engine junit-platform-launcher junit-platform-console \
                junit-platform-reporting; do
        [ -f "$JAR_DIR/$name.jar" ] || die "missing $JAR_DIR/$name.jar (apt-get install -y junit5)"
        run_jars+=("$JAR_DIR/$name.jar")
    done
    run_cp="$(IFS=:; echo "${run_jars[*]}")"
fi
compile_cp="$(IFS=:; echo "${compile_jars[*]}")"

BUILD="$(mktemp -d "${TMPDIR:-/tmp}/shopkit-build.XXXXXX")"
if [ "${KEEP_BUILD:-0}" = "1" ]; then
    echo "check_example: build dir $BUILD"
else
    trap 'rm -rf "$BUILD"' EXIT
fi
mkdir -p "$BUILD/main" "$BUILD/test"

mapfile -t main_src < <(find "$PROJECT/src/main/java" -name '*.java' | sort)
mapfile -t test_src < <(find "$PROJECT/src/test/java" -name '*.java' | sort)
echo "check_example: compiling ${#main_src[@]} main and ${#test_src[@]} test sources (release 17)"

javac --release 17 -encoding UTF-8 -Xlint:all -Werror -d "$BUILD/main" "${main_src[@]}"
javac --release 17 -encoding UTF-8 -nowarn -d "$BUILD/test" -cp "$BUILD/main:$compile_cp" "${test_src[@]}"

set +e
java -Djava.awt.headless=true -cp "$run_cp:$BUILD/main:$BUILD/test" \
    org.junit.platform.console.ConsoleLauncher \
    --disable-banner --disable-ansi-colors --details=summary \
    --class-path "$BUILD/main:$BUILD/test" --scan-class-path \
    --reports-dir "$BUILD/reports" > "$BUILD/junit.log" 2>&1
rc=$?
set -e

found=$(sed -n 's/^\[ *\([0-9]\+\) tests found.*/\1/p' "$BUILD/junit.log" | tail -1)
ok=$(sed -n 's/^\[ *\([0-9]\+\) tests successful.*/\1/p' "$BUILD/junit.log" | tail -1)
failed=$(sed -n 's/^\[ *\([0-9]\+\) tests failed.*/\1/p' "$BUILD/junit.log" | tail -1)
if [ "$rc" -ne 0 ] || [ -z "$found" ]; then
    cat "$BUILD/junit.log"; echo
fi
echo "check_example: tests run: ${found:-?}, passed: ${ok:-?}, failed: ${failed:-?}"
if [ "$rc" -ne 0 ]; then
    echo "check_example: FAILED (launcher exit code $rc)" >&2
    exit 1
fi
echo "check_example: OK"

#!/usr/bin/env bash
# Enable deb-src, then turn the corpus packages into git repositories under ~/.cache/testtailor-dev/debian/.
# Usage (as root): scripts/debian_repo.sh [dev-eval|pretrain|all] [JOBS]
# Resumable: packages whose status file says ok/no_orig are skipped; rerun after an interruption.
set -euo pipefail
list="${1:-all}"
jobs="${2:-6}"
here="$(cd "$(dirname "$0")/.." && pwd)"
sources=/etc/apt/sources.list.d/debian.sources
if [ "$(id -u)" -ne 0 ]; then
    echo "debian_repo.sh: run as root (it edits $sources and runs apt-get update)" >&2
    exit 2
fi
if grep -q '^Types: deb$' "$sources"; then
    sed -i 's/^Types: deb$/Types: deb deb-src/' "$sources"
    apt-get update -q
elif ! ls /var/lib/apt/lists/*Sources* >/dev/null 2>&1; then
    apt-get update -q
fi
# shellcheck disable=SC1091
source "$here/.venv/bin/activate"
cd "$here"
if [ "$list" = all ]; then
    nice -n 10 python -m customizer corpus fetch --list dev-eval --jobs "$jobs"
    exec nice -n 10 python -m customizer corpus fetch --list pretrain --jobs "$jobs"
fi
exec nice -n 10 python -m customizer corpus fetch --list "$list" --jobs "$jobs"

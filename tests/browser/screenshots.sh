#!/usr/bin/env bash
# screenshots.sh - PNG screenshots of every page of the web UI, taken in
# headless Chromium against a collector fed with the test fixture
# (fixture.sh).  Usage: tests/browser/screenshots.sh BUILDDIR [OUTDIR]
# (OUTDIR defaults to docs/screenshots in the source tree).
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=$(cd "${1:?usage: screenshots.sh BUILDDIR [OUTDIR]}" && pwd)
OUT=${2:-$top_srcdir/docs/screenshots}
. "$top_srcdir/tests/integration/lib.sh"
COLLECTOR="$top_builddir/collector/mxsla-collector"
NODE_PATH=$(npm root -g 2>/dev/null)
export NODE_PATH
. "$top_srcdir/tests/browser/fixture.sh"
mktmp W
fixture_start "$W" || { echo "screenshots.sh: the collector did not start" >&2; exit 1; }
mkdir -p "$OUT"
UI_USER=$UI_USER UI_PASS=$UI_PASS node "$top_srcdir/tests/browser/screenshots.js" "$URL" "$OUT"

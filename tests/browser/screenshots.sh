#!/usr/bin/env bash
# screenshots.sh - PNG screenshots of every page of the web UI, taken in
# headless Chromium against a collector fed with a realistic month of
# data (demo.sh).  Usage: tests/browser/screenshots.sh BUILDDIR [OUTDIR]
# (OUTDIR defaults to docs/screenshots in the source tree).
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=$(cd "${1:?usage: screenshots.sh BUILDDIR [OUTDIR]}" && pwd)
OUT=${2:-$top_srcdir/docs/screenshots}
. "$top_srcdir/tests/integration/lib.sh"
COLLECTOR="$top_builddir/collector/mxsla-collector"
NODE_PATH=$(npm root -g 2>/dev/null)
export NODE_PATH
. "$top_srcdir/tests/browser/demo.sh"
mktmp W
demo_start "$W" || { echo "screenshots.sh: the demo collector did not start" >&2; exit 1; }
mkdir -p "$OUT"
UI_USER=$UI_USER UI_PASS=$UI_PASS SLA_MONTH=$DEMO_SLA_MONTH node "$top_srcdir/tests/browser/screenshots.js" "$URL" "$OUT"

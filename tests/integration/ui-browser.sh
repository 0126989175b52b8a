#!/usr/bin/env bash
# ui-browser.sh - the web UI (SPEC 4) served by a real collector fed
# through the ingest API: first over plain HTTP (Content-Types, the
# Content-Security-Policy, ETag and 304, 404 for unknown assets, the page
# without script at /status), then in headless Chromium driven by
# playwright-core (tests/browser/ui.js: every page, XSS, login,
# acknowledging, maintenance windows, CSRF, live updates).
. "$(dirname "$0")/lib.sh"
need curl jq openssl node npm
COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$COLLECTOR" ] || skip_all "mxsla-collector not built"
[ -x /usr/bin/chromium ] || skip_all "chromium not installed"
NODE_PATH=$(npm root -g 2>/dev/null)
export NODE_PATH
node -e "require('playwright-core')" 2>/dev/null || skip_all "playwright-core not installed (npm install -g playwright-core)"
. "$top_srcdir/tests/browser/fixture.sh"

mktmp W
fixture_start "$W"; ok $? "a collector fed through the ingest API"

CSP="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
hdr() { grep -i "^$2:" "$1" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
curl -s -D "$W/h" -o "$W/index.html" "$URL/"
is "$(head -1 "$W/h" | tr -d '\r') | $(hdr "$W/h" content-type)" "HTTP/1.1 200 OK | text/html; charset=utf-8" "GET / is the page, as HTML"
is "$(hdr "$W/h" content-security-policy)" "$CSP" "the page has the strict CSP"
grep -q '<script src="/ui/app.js" defer></script>' "$W/index.html" && ! grep -q '<style\|style=\|onclick=\|<script>' "$W/index.html"
ok $? "the page loads its script from /ui/ and has no inline script or style"
types=""
for a in app.js app.css favicon.svg; do
	curl -s -D "$W/h" -o /dev/null "$URL/ui/$a"
	types="$types$(hdr "$W/h" content-type);"
done
is "$types" "text/javascript; charset=utf-8;text/css; charset=utf-8;image/svg+xml;" "assets are served with their types"
curl -s -D "$W/h" -o "$W/app.js" "$URL/ui/app.js"
cmp -s "$W/app.js" "$top_srcdir/collector/ui/app.js"; ok $? "the compiled-in app.js is the source file"
etag=$(hdr "$W/h" etag)
is "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "If-None-Match: $etag" "$URL/ui/app.js")" \
	"304 0" "If-None-Match with the ETag gives 304 without a body"
grep -qi '^cache-control: no-cache' "$W/h"; ok $? "assets are revalidated (Cache-Control: no-cache)"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' "$URL/ui/app.js")" 200 "another ETag gives 200"
is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/ui/nothing.js") $(curl -s -o /dev/null -w '%{http_code}' "$URL/ui/index.html") $(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL/ui/../api/v1/agents")" \
	"404 404 404" "unknown assets are 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/")" 405 "POST / is 405"
curl -s "$URL/status" | grep -q '&lt;script&gt;window.__xss=1&lt;/script&gt;'; ok $? "the page without script stays at /status"

# the browser part prints its own TAP; its lines are numbered on from here
N0=$T_N
UI_USER=$UI_USER UI_PASS=$UI_PASS TOKEN_HUB=$TOKEN_HUB FIX_WEEKLY_DAY=$FIX_WEEKLY_DAY timeout 50 node "$top_srcdir/tests/browser/ui.js" "$URL" > "$W/tap" 2>"$W/err"
rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*) ok 0 "${line#ok * - }" ;;
	"not ok "*) ok 1 "${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done < "$W/tap"
[ -s "$W/err" ] && sed 's/^/# stderr: /' "$W/err" | head -20
[ $T_N -gt "$N0" ] && [ "$rc" = 0 -o "$T_FAIL" -gt 0 ]; ok $? "the browser tests ran to their end (node exit $rc)"
kill -TERM "$PID"; wait "$PID"; ok $? "the collector stops cleanly on SIGTERM"
# the plan comes last: the number of browser tests is theirs to say
plan $T_N
done_testing

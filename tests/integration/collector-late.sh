#!/usr/bin/env bash
# collector-late.sh - results that arrive late and out of order are placed
# on the timeline by their time stamps, never by arrival (SPEC 3.3, 3.4),
# and the SLA figures of the API and of `report` follow.  Also the status
# page without script at /status: a critical check listed, its message
# escaped; / is the web UI's page (tests/integration/ui-browser.sh).
#
# One check, interval 60 s (stale limit 180 s), results of yesterday (within
# retention.raw, whose raw rows a late result is placed among) at T, T+60,
# T+180 (ok) in batch 1, then T+120 (critical) in
# batch 2.  State: ok [T, T+120), critical [T+120, T+180), ok
# [T+180, T+360), nodata otherwise; so up_s = 120 + 180 = 300, down_s = 60,
# one incident [T+120, T+180), availability = 100 * 300 / 360 = 83.333.
# In arrival order the critical result would have been ignored.
. "$(dirname "$0")/lib.sh"
need curl jq
COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$COLLECTOR" ] || skip_all "mxsla-collector not built"
plan 11

mktmp W
PORT=$(free_port)
U="http://127.0.0.1:$PORT"
printf 'late-token-0123456789\n' > "$W/token"
chmod 600 "$W/token"
cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $W/mxsla.db
timezone: UTC
agents: [{ id: mbx01, token_file: $W/token }]
services:
  - { id: imap, name: IMAP, target: 99.9, components: ["mbx01:imap.up@imap"] }
EOC
"$COLLECTOR" -c "$W/collector.yaml" serve > "$W/log" 2>&1 &
PID=$!
cleanup "kill -9 $PID"
wait_port "$PORT" 10; ok $? "the collector listens"

# yesterday at 00:00 UTC, and its month (this one, or the previous one on the 1st)
T=$(date -u -d "$(date -u -d yesterday +%F) 00:00:00" +%s)
MONTH=$(date -u -d "@$T" +%Y-%m)
[ "$MONTH" = "$(date -u +%Y-%m)" ] && COMPLETE=false || COMPLETE=true
res() { # OFFSET STATUS
	jq -cn --argjson ts $((T + $1)) --arg st "$2" '{check: "imap.up@imap", rule: "imap.up",
		target: "imap", kind: "health", ts: $ts, interval: 60, status: $st, message: $st}'
}
post() { # BATCH RESULTS...
	local b=$1 rs; shift
	rs=$(printf '%s,' "$@"); rs=${rs%,}
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer late-token-0123456789" \
		-H "Content-Type: application/json" --data-binary \
		"{\"agent\":\"mbx01\",\"stream\":\"s1\",\"batch\":$b,\"results\":[$rs]}" "$U/api/v1/results"
}
is "$(post 1 "$(res 0 ok)" "$(res 60 ok)" "$(res 180 ok)")" 200 "batch 1 (in order) accepted"
is "$(post 2 "$(res 120 critical)")" 200 "batch 2 (a late result) accepted"

curl -s "$U/api/v1/sla?month=$MONTH" > "$W/sla.json"
s() { jq -r ".services[0].$1" "$W/sla.json"; }
is "$(s up_s) $(s down_s)" "300 60" "up_s and down_s follow the time stamps"
is "$(s availability)" "83.333" "availability = 100 * 300 / 360"
is "$(jq -c '[.services[0].incidents[] | [.start - '"$T"', .end - '"$T"', .down_s]]' "$W/sla.json")" \
	"[[120,180,60]]" "one incident, [T+120, T+180)"
curl -s "$U/api/v1/services/imap/timeline?month=$MONTH" |
	jq -c '[.segments[] | select(.kind != "nodata") | [.start - '"$T"', .end - '"$T"', .kind]]' > "$W/tl"
is "$(cat "$W/tl")" '[[0,120,"up"],[120,180,"down"],[180,360,"up"]]' "the timeline splits the ok run at the late result"

# the status page at /status shows the critical check with its message as text
now=$(date +%s)
body=$(jq -cn --argjson ts "$now" '{agent: "mbx01", stream: "s1", batch: 3, results: [{check: "x.up@x",
	rule: "x.up", target: "x", kind: "health", ts: $ts, interval: 60, status: "critical",
	message: "<script>alert(1)</script> down"}]}')
curl -s -o /dev/null -H "Authorization: Bearer late-token-0123456789" \
	-H "Content-Type: application/json" --data-binary "$body" "$U/api/v1/results"
curl -s -D "$W/home.h" "$U/status" > "$W/home.html"
grep -q '<td>x.up@x</td><td class="critical">critical</td>' "$W/home.html" &&
	grep -qi '^content-type: text/html' "$W/home.h" && grep -qi "^content-security-policy: default-src 'none'" "$W/home.h"
ok $? "GET /status lists the critical check, as HTML under a strict CSP"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt; down' "$W/home.html" && ! grep -q '<script' "$W/home.html"
ok $? "a message with <script> is shown as text"

kill -TERM $PID; wait $PID
"$COLLECTOR" -c "$W/collector.yaml" report --month "$MONTH" --format csv > "$W/r.csv"
is "$(sed -n 2p "$W/r.csv" | cut -d, -f1,9,10,16)" "imap,300,60,1" "report --format csv gives the same figures"
"$COLLECTOR" -c "$W/collector.yaml" report --month "$MONTH" --format json | jq -r '.complete' > "$W/c"
is "$(cat "$W/c")" "$COMPLETE" "the month is complete only once it is over"
done_testing

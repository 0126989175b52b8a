#!/usr/bin/env bash
# ui-render.sh - time to first render of the web UI's overview with about
# 10,000 checks fed (20 agents x 500 checks, 6 % warning and 1 % critical,
# so ~700 open violations; 10 services), measured in headless Chromium
# from navigation start to the page's first drawing of its data
# (performance mark "mxsla-render-PAGE", ui-render.js).  In the same run,
# for scale: the servers page (which aggregates all 10,000 checks in the
# browser), one server's page (500 checks), and the load of the
# server-rendered /status page.  Medians of RUNS page loads (default 7).
# Usage: top_builddir=BUILD top_srcdir=SRC bench/ui-render.sh
set -e
: "${top_builddir:?}" "${top_srcdir:?}"
COLLECTOR="$top_builddir/collector/mxsla-collector"
AGENTS=${AGENTS:-20}
PER=${PER:-500}
RUNS=${RUNS:-7}
NODE_PATH=$(npm root -g 2>/dev/null)
export NODE_PATH
W=$(mktemp -d /tmp/mxsla-bench.XXXXXX)
trap 'rc=$?; set +e; kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$W"; exit $rc' EXIT
PORT=$((20000 + RANDOM % 10000))
URL="http://127.0.0.1:$PORT"
{
	echo "listen: 127.0.0.1:$PORT"
	echo "database: $W/db.sqlite"
	echo "database_sync: normal"
	echo "timezone: Europe/Berlin"
	echo "log_level: warning"
	echo "agents:"
	for a in $(seq -w 1 "$AGENTS"); do
		printf 'bench-token-%s\n' "$a" > "$W/t$a"
		echo "  - { id: mbx$a, token_file: $W/t$a }"
	done
	echo "services:"
	for s in $(seq 1 10); do
		echo "  - { id: svc$s, name: Service $s, target: 99.9, components: [\"mbx*:c$s.up@t$s\"] }"
	done
} > "$W/collector.yaml"
chmod 600 "$W"/t*
"$COLLECTOR" -c "$W/collector.yaml" serve 2>"$W/log" &
PID=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
NOW=$(date +%s)
for a in $(seq -w 1 "$AGENTS"); do
	jq -cn --arg a "mbx$a" --argjson now "$NOW" --argjson per "$PER" --argjson seed "${a#0}" '
		{agent: $a, site: "hq", roles: ["mailbox"], stream: "bench", batch: 1,
		 results: [range(0; $per) as $i | (($i * 7 + $seed * 13) % 100) as $r |
			{check: ("c\($i).up@t\($i)"), rule: "c\($i).up", target: "t\($i)", kind: "health",
			 ts: $now, interval: 600, status: (if $r < 1 then "critical" elif $r < 7 then "warning" else "ok" end),
			 message: "check \($i) of \($a)", metrics: {value: $i, ms: ($r * 3)}}]}' |
		curl -sf -o /dev/null -H "Authorization: Bearer bench-token-$a" -H "Content-Type: application/json" \
			--data-binary @- "$URL/api/v1/results"
done
checks=$(curl -s "$URL/api/v1/checks" | jq length)
open=$(curl -s "$URL/api/v1/violations?open=1&limit=10000" | jq length)
echo "fed $checks checks from $AGENTS agents, $open open violations"
RUNS=$RUNS node "$top_srcdir/bench/ui-render.js" "$URL"

#!/usr/bin/env bash
# collector-kill.sh - an acknowledged batch survives kill -9: two clients
# post numbered batches of 10 results and record every batch answered
# 200; the collector is killed with SIGKILL while they send; after a
# restart every acknowledged batch is there in full (through the query
# API) and the database passes PRAGMA integrity_check.
. "$(dirname "$0")/lib.sh"
need curl jq sqlite3
COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$COLLECTOR" ] || skip_all "mxsla-collector not built"
plan 5

mktmp W
PORT=$(free_port)
U="http://127.0.0.1:$PORT"
printf 'kill-test-token\n' > "$W/a.token"
chmod 600 "$W/a.token"
cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $W/mxsla.db
agents: [{ id: killer, token_file: $W/a.token }]
EOC
start() {
	"$COLLECTOR" -c "$W/collector.yaml" serve >> "$W/log" 2>&1 &
	PID=$!
	cleanup "kill -9 $PID"
	wait_port "$PORT" 10
}
start; ok $? "the collector runs"

BASE=$(( $(date +%s) - 200000 ))
# client STREAM: batch k holds checks kill.c0..c9 with ts BASE + k; every
# batch answered 200 is appended to acked.STREAM; stops at the first failure
client() {
	local s=$1 k=0 rs j
	: > "$W/acked.$s"
	while :; do
		rs=""
		for j in 0 1 2 3 4 5 6 7 8 9; do
			rs="$rs${rs:+,}{\"check\":\"kill.c$j@$s\",\"rule\":\"kill.c$j\",\"target\":\"$s\",\"kind\":\"health\",\"ts\":$((BASE + k)),\"interval\":60,\"status\":\"ok\",\"message\":\"batch $k\"}"
		done
		code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer kill-test-token' \
			-H 'Content-Type: application/json' \
			--data "{\"agent\":\"killer\",\"stream\":\"$s\",\"batch\":$k,\"results\":[$rs]}" "$U/api/v1/results")
		[ "$code" = 200 ] || break
		echo "$k" >> "$W/acked.$s"
		k=$((k + 1))
	done
}
client one & C1=$!
client two & C2=$!
sleep 3
{ kill -9 $PID; wait $C1 $C2; wait $PID; } 2>/dev/null
n1=$(wc -l < "$W/acked.one"); n2=$(wc -l < "$W/acked.two")
diag "acknowledged before the kill: $n1 + $n2 batches"
[ "$n1" -gt 5 ] && [ "$n2" -gt 5 ]; ok $? "both clients had batches acknowledged before the kill"

start; ok $? "the collector starts again on the same database"
missing=0
for s in one two; do
	for j in 0 1 2 3 4 5 6 7 8 9; do
		curl -s "$U/api/v1/history?agent=killer&check=kill.c$j@$s&from=$BASE&to=$((BASE + 1000000))&limit=100000" |
			jq -r ".[].ts - $BASE" | sort -n > "$W/have.$s.$j"
		# every acknowledged k must be present
		m=$(comm -23 <(sort -n "$W/acked.$s" | sort) <(sort "$W/have.$s.$j") | wc -l)
		missing=$((missing + m))
	done
done
is "$missing" 0 "every result of every acknowledged batch is stored"
kill -TERM $PID; wait $PID
is "$(sqlite3 "$W/mxsla.db" 'PRAGMA integrity_check')" ok "PRAGMA integrity_check: ok"
done_testing

#!/usr/bin/env bash
# delivery.sh - results reach the real collector exactly once (SPEC 2.6,
# 3.3): the collector is down when the agent starts, is stopped for
# several seconds mid-stream, the agent is restarted (SIGTERM) and
# crashes (SIGKILL), a reload with a wrong token keeps results back and
# the fixed token delivers them; at the end the number of results the
# agent produced (results_total in the spool's state file) equals the
# number the collector stored, with no duplicates, in order, with the
# time stamps of their evaluation.
. "$(dirname "$0")/lib.sh"
COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$COLLECTOR" ] || skip_all "collector not built"
need sqlite3
plan 17

mktmp W
PORT=$(free_port)
export MXSLA_SHIP_BACKOFF_BASE_MS=100 MXSLA_SHIP_BACKOFF_CAP_MS=500

printf 'right-token-0123456789\n' > "$W/token"
printf 'wrong-token-9876543210\n' > "$W/wrong"
chmod 600 "$W/token" "$W/wrong"
cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $W/mxsla.db
agents:
  - { id: dtest, token_file: $W/token }
EOC

mkdir -p "$W/rules" "$W/norules"
cp "$top_srcdir/rules/agent.yaml" "$W/rules/"
cat > "$W/rules/t.yaml" <<'EOR'
pack: t
rules:
  - id: t.disk
    title: Disk
    probe: disk
    warning: free_pct <= 100
    advice: always a warning, so that advice travels too
  - id: t.up
    title: Collector port
    probe: service
    critical: up == 0
  - id: t.proc
    title: Shell
    probe: process
    critical: count < 1
EOR
# a pack that applies to no target: the drain run produces no result
cat > "$W/norules/n.yaml" <<'EOR'
pack: n
rules:
  - { id: n.none, title: None, probe: queue, critical: total > 0 }
EOR

write_agent_config() { # TOKEN_FILE RULES TARGETS
	cat > "$W/agent.yaml" <<EOC
agent: { id: dtest, site: lab, roles: [hub-transport] }
interval: 1s
collector: { url: "http://127.0.0.1:$PORT/", token_file: $1 }
spool: $W/spool
rules: [$2]
log_level: debug
targets:
$3
EOC
}
TARGETS="  - { name: root, probe: disk, path: / }
  - { name: col, probe: service, protocol: tcp, host: 127.0.0.1, port: $PORT }
  - { name: sh, probe: process, process: bash }"

CPID= APID=
cleanup 'kill -9 $APID $CPID'
start_collector() {
	"$COLLECTOR" -c "$W/collector.yaml" serve >> "$W/collector.log" 2>&1 &
	CPID=$!
	wait_port "$PORT" 10
}
stop_pid() { # PID: SIGTERM and wait; returns its exit status
	kill -TERM "$1"
	wait "$1"
}
start_agent() {
	"$AGENT" -c "$W/agent.yaml" run >> "$W/agent.log" 2>&1 &
	APID=$!
}
state() { sed -n "s/^$1 //p" "$W/spool/state"; }
stored() { sqlite3 "$W/mxsla.db" "select count(*) from results r join checks c using (ref) where c.agent = 'dtest'"; }
wait_log() { # PATTERN MIN_COUNT SECONDS
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		[ "$(grep -c -- "$1" "$W/agent.log" 2>/dev/null)" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# 1. the collector is down when the agent starts
write_agent_config "$W/token" rules "$TARGETS"
start_agent
wait_log 'collector: sending batch 1 failed' 2 10
ok $? "collector down at start: the first batch is retried with back-off"
start_collector
ok $? "collector started"
wait_log 'collector: delivering again' 1 10
ok $? "the waiting results are delivered once the collector is up"
sleep 2

# 2. the collector stops for several seconds mid-stream
stop_pid "$CPID"
down_from=$(date +%s)
sleep 5
down_to=$(date +%s)
start_collector
wait_log 'collector: delivering again' 2 10
ok $? "delivery resumes after the collector's restart"
sleep 2

# 3. the agent restarts cleanly, then crashes
stop_pid "$APID"
is "$?" 0 "the agent stops on SIGTERM with exit 0"
start_agent
sleep 3
{ kill -9 "$APID"; wait "$APID"; } 2>/dev/null
start_agent
sleep 3

# 4. a reload with a wrong token: the results wait; the right one delivers
write_agent_config "$W/wrong" rules "$TARGETS"
kill -HUP "$APID"
wait_log "collector refused the agent's token (HTTP 401" 1 10
ok $? "a wrong token after SIGHUP: the collector's 401 keeps the batch and backs off"
sleep 2
write_agent_config "$W/token" rules "$TARGETS"
mark=$(wc -l < "$W/agent.log")
kill -HUP "$APID"
end=$((SECONDS + 10))
until tail -n +"$mark" "$W/agent.log" | grep -q 'collector: delivered batch' || [ $SECONDS -ge $end ]; do sleep 0.2; done
tail -n +"$mark" "$W/agent.log" | grep -q 'collector: delivered batch'
ok $? "the fixed token (SIGHUP) delivers what waited"
sleep 1
stop_pid "$APID"
APID=

# 5. drain: an agent with no checks ships what is left, then stops
write_agent_config "$W/token" norules ""
start_agent
for _ in $(seq 1 100); do
	total=$(state results_total)
	[ "$(state inflight | cut -d' ' -f1)" = 0 ] &&
		[ $(($(state sent_total) + $(state dropped_total))) = "$total" ] && break
	sleep 0.2
done
stop_pid "$APID"
APID=
total=$(state results_total)
[ "$total" -gt 30 ]; ok $? "the agent produced results ($total)"
is "$(state sent_total)" "$total" "every result was acknowledged (sent_total = results_total)"
is "$(state dropped_total)" 0 "nothing was dropped"
is "$(stored)" "$total" "the collector stored exactly results_total results"
dups=$(sqlite3 "$W/mxsla.db" "select c.\"check\", r.ts, count(*) from results r join checks c using (ref)
	where c.agent = 'dtest' group by r.ref, r.ts, r.message, r.metrics, r.facts having count(*) > 1")
is "$dups" "" "no result is stored twice"
selfdown=$(sqlite3 "$W/mxsla.db" "select count(*) from results a join results b on a.ref = b.ref
	and b.rowid > a.rowid join checks c on c.ref = a.ref where c.\"check\" = 'agent.self@agent'
	and json_extract(b.metrics, '\$.results_total') <= json_extract(a.metrics, '\$.results_total')")
is "$selfdown" 0 "agent.self's results_total only grows, across agent restarts too"
back=$(sqlite3 "$W/mxsla.db" "select count(*) from results a join results b on a.ref = b.ref
	and b.rowid > a.rowid and b.ts < a.ts")
is "$back" 0 "each check's results were stored in the order of their time stamps"
during=$(sqlite3 "$W/mxsla.db" "select count(distinct r.ts) from results r join checks c using (ref)
	where c.\"check\" = 't.disk@root' and r.ts > $down_from and r.ts < $down_to")
[ "$during" -ge 2 ]; ok $? "results from the collector's downtime kept their own time stamps ($during seconds)"
adv=$(sqlite3 "$W/mxsla.db" "select count(*) from checks where \"check\" = 't.disk@root' and advice like 'always%'")
is "$adv" 1 "advice travels with a result that is not ok"
ls "$W/spool"/seg-*.log | wc -l | { read -r n; [ "$n" -le 2 ]; }
ok $? "acknowledged segments were deleted"
stop_pid "$CPID"
CPID=
done_testing

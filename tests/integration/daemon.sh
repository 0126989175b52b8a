#!/usr/bin/env bash
# daemon.sh - `mxsla-agent run`: checks are evaluated on schedule and state
# changes are logged; `for:` holds a worse status back; a target that
# accepts and stays silent does not delay another target's schedule;
# SIGHUP with a broken file keeps the running configuration, SIGHUP with
# a sound one swaps it; SIGTERM stops cleanly.
. "$(dirname "$0")/lib.sh"
plan 9

mktmp W
"$top_builddir/tests/integration/silent-listener" 60 > "$W/silent.port" &
cleanup "kill $!"
for _ in $(seq 1 50); do [ -s "$W/silent.port" ] && break; sleep 0.1; done
SILENT_PORT=$(cat "$W/silent.port")

mkdir -p "$W/rules"
cat > "$W/rules/t.yaml" <<'EOR'
pack: t
rules:
  - id: t.disk
    title: Always a warning
    probe: disk
    warning: free_pct <= 100
  - id: t.held
    title: Held back by for
    probe: disk
    warning: free_pct <= 100
    for: 3s
  - id: t.up
    title: Up
    probe: service
    critical: up == 0
EOR
write_config() {
	cat > "$W/agent.yaml" <<EOC
agent: { id: dtest }
interval: 1s
timeout: 4s
rules: [rules]
log_level: debug
targets:
  - { name: fast, probe: disk, path: / }
  - { name: silent, probe: service, protocol: smtp, host: 127.0.0.1, port: $SILENT_PORT }
$1
EOC
}
write_config ""
"$AGENT" -c "$W/agent.yaml" run > "$W/log" 2>&1 &
PID=$!
cleanup "kill -9 $PID"
sleep 5.5
n=$(grep -c 'check t.disk@fast: ' "$W/log")
[ "$n" -ge 4 ]; ok $? "the fast target ran on schedule while the silent one hung ($n runs in 5.5s)"
grep -q 'check t.up@silent: critical' "$W/log"; ok $? "the silent target went critical after its timeout"
grep -q 'check t.held@fast: ok: .*pending warning' "$W/log"; ok $? "for: reports the pending status first"
grep -q 'info: check t.held@fast: warning' "$W/log"; ok $? "for: the warning arrives after 3s"
first=$(grep -n 'check t.held@fast: ' "$W/log" | head -1 | cut -d: -f1)
warn=$(grep -n 'info: check t.held@fast: warning' "$W/log" | head -1 | cut -d: -f1)
[ -n "$warn" ] && [ "$(sed -n "${first}p" "$W/log" | cut -c1-19 | date -f - +%s)" -le \
	$(( $(sed -n "${warn}p" "$W/log" | cut -c1-19 | date -f - +%s) - 2 )) ]
ok $? "the held check waited at least its for: duration"

printf 'interval: [oops\n' > "$W/agent.yaml"
kill -HUP $PID
sleep 1
kill -0 $PID 2>/dev/null && grep -q 'reload failed' "$W/log"; ok $? "a broken file on SIGHUP keeps the running configuration"

write_config "  - { name: extra, probe: disk, path: /tmp }"
kill -HUP $PID
sleep 2
grep -q 'reloaded .*4 targets' "$W/log"; ok $? "a sound file on SIGHUP is swapped in"
grep -q 'check t.disk@extra: ' "$W/log"; ok $? "the new target runs"

kill -TERM $PID
for _ in $(seq 1 60); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
wait $PID
is "$?" 0 "SIGTERM stops the daemon with exit 0"
done_testing

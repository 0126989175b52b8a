#!/usr/bin/env bash
# snmp-for.sh - a rule's `for:` holds back the notification, through the
# whole chain: a real mxsla-agent runs a monitoring plugin every second
# under a rule "critical: status == 2, for: 3s" and delivers to a real
# collector whose notify.snmp names a real snmptrapd.  A failure shorter
# than 3 s is reported by the agent as still ok ("pending") and reaches the
# NOC as nothing; a lasting one becomes critical after 3 s and arrives as
# one mxslaCheckStateChange, never before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snmp-lib.sh"
need curl jq snmptrapd
COLLECTOR="$top_builddir/collector/mxsla-collector"
AGENT="$top_builddir/agent/mxsla-agent"
[ -x "$COLLECTOR" ] && [ -x "$AGENT" ] || skip_all "mxsla-collector or mxsla-agent not built"
mktmp W
base_mibs_dir "$W/mibs" || skip_all "the npm package net-snmp (IETF base MIB modules) is not installed"
plan 9

TRAPPORT=$(free_udp_port)
start_snmptrapd "$W/trapd" "$TRAPPORT"
ok $? "snmptrapd listens on udp:127.0.0.1:$TRAPPORT"
LOG=$SNMPTRAPD_LOG

PORT=$(free_port)
U="http://127.0.0.1:$PORT"
printf 'secret-token-of-mbx9-0000\n' > "$W/token"
chmod 600 "$W/token"
cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $W/mxsla.db
agents:
  - { id: mbx9, token_file: $W/token }
notify:
  snmp:
    - { name: noc, host: 127.0.0.1, port: $TRAPPORT, version: 2c, community: public,
        events: [check] }
EOC
MXSLA_WATCH_TICK_MS=200 "$COLLECTOR" -c "$W/collector.yaml" serve > "$W/collector.log" 2>&1 &
CPID=$!
cleanup "kill -9 $CPID"
wait_port "$PORT" 10; ok $? "the collector listens on 127.0.0.1:$PORT"

# the plugin: critical (exit 2) while the flag file exists
cat > "$W/check_flag" <<EOS
#!/bin/sh
if [ -e "$W/flag" ]; then echo "CRITICAL - flag raised"; exit 2; fi
echo "OK - no flag"; exit 0
EOS
chmod 755 "$W/check_flag"
mkdir -p "$W/rules"
cat > "$W/rules/flag.yaml" <<'EOR'
pack: flag
rules:
  - id: t.flag
    title: Flag file
    kind: health
    probe: plugin
    critical: status == 2
    for: 3s
    advice: Remove the flag file.
EOR
cat > "$W/agent.yaml" <<EOC
agent: { id: mbx9, site: lab, roles: [mailbox] }
interval: 1s
collector: { url: "$U/", token_file: $W/token }
spool: $W/spool
rules: [$W/rules]
targets:
  - { name: flag, probe: plugin, command: ["$W/check_flag"] }
EOC
"$AGENT" -c "$W/agent.yaml" run > "$W/agent.log" 2>&1 &
APID=$!
cleanup "kill -9 $APID"

status_now() {
	curl -s "$U/api/v1/checks?agent=mbx9" | jq -r '.[] | select(.check == "t.flag@flag") | .status'
}
"$AGENT" -c "$W/agent.yaml" check-config > "$W/check-config.out" 2>&1 ||
	sed "s/^/# /" "$W/check-config.out"
end=$((SECONDS + 15))
until [ "$(status_now)" = ok ] || [ $SECONDS -ge $end ]; do sleep 0.2; done
is "$(status_now)" ok "the agent's results arrive: t.flag@flag is ok"

# 1. a failure of about 1.5 s: shorter than for: 3s
touch "$W/flag"
sleep 1.5
rm -f "$W/flag"
sleep 4
is "$(trap_count "$LOG" "mxslaCheckStateChange")" 0 "a failure shorter than for: sends nothing"
is "$(curl -s "$U/api/v1/history?agent=mbx9&check=t.flag@flag&from=0&to=9999999999&limit=1000" |
	jq '[.[] | select(.status != "ok")] | length')" 0 \
	"the agent reported it as ok (pending) all along: no result of another status"

# 2. a lasting failure: critical after 3 s, then one notification
touch "$W/flag"
T0=$(date +%s.%N)
wait_trap "$LOG" "mxslaCheckStateChange" 15
ok $? "a lasting failure arrives as mxslaCheckStateChange"
T1=$(date +%s.%N)
awk -v a="$T0" -v b="$T1" 'BEGIN { exit !(b - a >= 3) }'
ok $? "not before for: 3s has held ($(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", b - a }') s)"
grep -F "mxslaCheckStateChange" "$LOG" | grep -F "mxslaCheck.0 = STRING: t.flag@flag" |
	grep -F "mxslaOldState.0 = INTEGER: ok(1)" | grep -Fq "mxslaNewState.0 = INTEGER: critical(3)"
ok $? "it names the check, ok -> critical"
sleep 2
is "$(trap_count "$LOG" "mxslaCheckStateChange")" 1 "the critical state that goes on sends nothing more"
rm -f "$W/flag"
kill -TERM $APID; wait $APID
kill -TERM $CPID; wait $CPID
done_testing

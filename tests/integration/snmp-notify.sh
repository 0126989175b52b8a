#!/usr/bin/env bash
# snmp-notify.sh - notifications end to end: a real mxsla-collector whose
# notify.snmp names two real snmptrapd on 127.0.0.1 (one v2c, one SNMPv3
# authPriv), fed through POST /api/v1/results with curl.  A check going
# from ok to critical arrives as mxslaCheckStateChange (OID
# 1.3.6.1.4.1.8072.9999.9999.57.0.1) with the agent, site, check, old and
# new state and message; the service built on it arrives as
# mxslaServiceDown, its month's budget as mxslaBudgetBurn 100 %; the same
# state fed again sends nothing more; an agent that stops sending arrives
# as mxslaAgentSilent once its stale limit (3 x a 2 s interval) is over.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snmp-lib.sh"
need curl jq snmptrapd snmptranslate
COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$COLLECTOR" ] || skip_all "mxsla-collector not built"
mktmp W
base_mibs_dir "$W/mibs" || skip_all "the npm package net-snmp (IETF base MIB modules) is not installed"
plan 22

M=MXSLA-MIB
is "$(snmptranslate -M "+$W/mibs" -m "$SNMP_MIBS" -On $M::mxslaCheckStateChange 2>&1)" \
	".1.3.6.1.4.1.8072.9999.9999.57.0.1" "mxslaCheckStateChange, as snmptrapd names it below, is 1.3.6.1.4.1.8072.9999.9999.57.0.1"

ENGINE=0x80001f8880c0ffee0000000057
P2C=$(free_udp_port)
start_snmptrapd "$W/trapd2c" "$P2C"
ok $? "snmptrapd (v2c) listens on udp:127.0.0.1:$P2C"
LOG2C=$SNMPTRAPD_LOG
P3=$(free_udp_port)
[ "$P3" != "$P2C" ] || P3=$(free_udp_port)
start_snmptrapd "$W/trapd3" "$P3" \
	"createUser -e $ENGINE mxsla SHA mxsla-auth-secret AES mxsla-priv-secret"
ok $? "snmptrapd (v3 user mxsla, SHA/AES) listens on udp:127.0.0.1:$P3"
LOG3=$SNMPTRAPD_LOG

PORT=$(free_port)
U="http://127.0.0.1:$PORT"
printf 'secret-token-of-hub1-000\n' > "$W/hub1.token"
chmod 600 "$W/hub1.token"
cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $W/mxsla.db
stale_after: 3x
agents:
  - { id: hub1, token_file: $W/hub1.token }
services:
  - { id: mailflow, name: Mail flow, target: 99.9, components: ["hub1:service.smtp@smtp"] }
notify:
  snmp:
    - { name: noc, host: 127.0.0.1, port: $P2C, version: 2c, community: public }
    - { name: noc3, host: 127.0.0.1, port: $P3, version: 3, user: mxsla, security: authPriv,
        auth_protocol: SHA, auth_password: mxsla-auth-secret, priv_protocol: AES,
        priv_password: mxsla-priv-secret, engine_id: "$ENGINE" }
EOC
# budgets every tick, so that the budget burn comes within the test
MXSLA_WATCH_TICK_MS=200 MXSLA_WATCH_BUDGET_S=0 "$COLLECTOR" -c "$W/collector.yaml" serve > "$W/log" 2>&1 &
PID=$!
cleanup "kill -9 $PID"
wait_port "$PORT" 10; ok $? "the collector listens on 127.0.0.1:$PORT"

echo 0 > "$W/batch"
# feed STATUS MESSAGE: one result of service.smtp@smtp (interval 2 s) now,
# in a batch of a new number (kept in a file: feed runs in $(...))
feed() {
	local BATCH=$(($(cat "$W/batch") + 1))
	echo $BATCH > "$W/batch"
	jq -cn --argjson ts "$(date +%s)" --argjson b $BATCH --arg st "$1" --arg msg "$2" \
		'{agent: "hub1", site: "hq", roles: ["hub"], stream: "s1", batch: $b,
		  results: [{check: "service.smtp@smtp", rule: "service.smtp", target: "smtp",
		    kind: "health", ts: $ts, interval: 2, status: $st, message: $msg}]}' > "$W/b.json"
	curl -s -o "$W/out" -w '%{http_code}' -H "Authorization: Bearer $(cat "$W/hub1.token")" \
		-H 'Content-Type: application/json' --data-binary "@$W/b.json" "$U/api/v1/results"
	jq -e '.duplicate == false' "$W/out" >/dev/null || echo " (duplicate)"
}
# fields LOG NOTIFICATION: the varbinds of its first line but sysUpTime and
# mxslaTime, joined by |
fields() {
	grep -F "OID: $M::$2" "$1" | head -n 1 | tr '\t' '\n' | grep -v -e sysUpTime -e mxslaTime | tr '\n' '|'
}
all_traps() { cat "$LOG2C" "$LOG3" | grep -c 'snmpTrapOID.0' || true; }

is "$(feed ok "220 mx.example.org ESMTP")" 200 "an ok result is accepted"
sleep 1
is "$(all_traps)" 0 "a check first seen ok sends nothing"

is "$(feed critical "connection refused")" 200 "a critical result is accepted"
wait_trap "$LOG2C" "OID: $M::mxslaCheckStateChange" 10
ok $? "v2c: mxslaCheckStateChange arrives"
CHECK_LINE="SNMPv2-MIB::snmpTrapOID.0 = OID: $M::mxslaCheckStateChange|$M::mxslaAgent.0 = STRING: hub1|$M::mxslaSite.0 = STRING: hq|$M::mxslaCheck.0 = STRING: service.smtp@smtp|$M::mxslaOldState.0 = INTEGER: ok(1)|$M::mxslaNewState.0 = INTEGER: critical(3)|$M::mxslaMessage.0 = STRING: connection refused|$M::mxslaSeverity.0 = INTEGER: critical(3)|"
is "$(fields "$LOG2C" mxslaCheckStateChange)" "$CHECK_LINE" "v2c: agent, site, check, ok -> critical, the check's message, severity critical"
wait_trap "$LOG3" "OID: $M::mxslaCheckStateChange" 10
ok $? "v3 authPriv: mxslaCheckStateChange arrives"
is "$(fields "$LOG3" mxslaCheckStateChange)" "$CHECK_LINE" "v3 authPriv: the same varbinds"

wait_trap "$LOG2C" "OID: $M::mxslaServiceDown" 10
ok $? "v2c: mxslaServiceDown arrives"
is "$(fields "$LOG2C" mxslaServiceDown)" \
	"SNMPv2-MIB::snmpTrapOID.0 = OID: $M::mxslaServiceDown|$M::mxslaService.0 = STRING: mailflow|$M::mxslaOldState.0 = INTEGER: up(6)|$M::mxslaNewState.0 = INTEGER: down(7)|$M::mxslaMessage.0 = STRING: service mailflow is down: hub1:service.smtp@smtp down|$M::mxslaSeverity.0 = INTEGER: critical(3)|" \
	"v2c: the service, up -> down and which component is down"
wait_trap "$LOG2C" "OID: $M::mxslaBudgetBurn" 10
ok $? "v2c: mxslaBudgetBurn arrives (a 99.9 % service down for seconds of its month)"
is "$(grep -F "OID: $M::mxslaBudgetBurn" "$LOG2C" | tr '\t' '\n' | grep -e mxslaBudgetUsed -e mxslaSlaTarget | tr '\n' '|')" \
	"$M::mxslaBudgetUsed.0 = Gauge32: 100 percent|$M::mxslaSlaTarget.0 = Gauge32: 99.900|" \
	"v2c: 100 percent of the budget, target 99.900"

# the same state again, twice, and several ticks: nothing more
sleep 1
before2c=$(grep -c 'snmpTrapOID.0' "$LOG2C")
before3=$(grep -c 'snmpTrapOID.0' "$LOG3")
is "$(feed critical "connection refused")" 200 "the same critical state is fed again"
sleep 1
is "$(feed critical "connection refused")" 200 "and again"
sleep 1.5
is "$(grep -c 'snmpTrapOID.0' "$LOG2C") $(grep -c 'snmpTrapOID.0' "$LOG3")" "$before2c $before3" \
	"a repeated state sends nothing more to either destination"
is "$(trap_count "$LOG2C" "OID: $M::mxslaCheckStateChange")" 1 "one check state change in all"

# silence: 3 x 2 s after the last result
wait_trap "$LOG2C" "OID: $M::mxslaAgentSilent" 15
ok $? "v2c: mxslaAgentSilent arrives once the stale limit is over"
is "$(fields "$LOG2C" mxslaAgentSilent | sed 's/since [0-9T:Z-]*/since T/')" \
	"SNMPv2-MIB::snmpTrapOID.0 = OID: $M::mxslaAgentSilent|$M::mxslaAgent.0 = STRING: hub1|$M::mxslaSite.0 = STRING: hq|$M::mxslaOldState.0 = INTEGER: up(6)|$M::mxslaNewState.0 = INTEGER: silent(8)|$M::mxslaMessage.0 = STRING: agent hub1 is silent: nothing received since T|$M::mxslaSeverity.0 = INTEGER: critical(3)|" \
	"v2c: the agent, site, up -> silent"

kill -TERM $PID
wait $PID
is "$?" 0 "the collector stops on SIGTERM with status 0"
[ "$T_FAIL" = 0 ] || sed 's/^/# collector: /' "$W/log"
done_testing

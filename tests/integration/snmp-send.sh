#!/usr/bin/env bash
# snmp-send.sh - SNMP notifications to a real snmptrapd on 127.0.0.1
# (SPEC 5), sent by the real notifier through the test driver notify-send
# (collector.yaml, database, notify_start/notify_emit) and, for the queue
# left by a stopped process, by the real mxsla-collector daemon:
#   - a v2c trap arrives with snmpTrapOID mxslaCheckStateChange and the
#     exact varbinds (checked by name through MXSLA-MIB and by number);
#   - a v2c inform is acknowledged and its row deleted;
#   - v3 authPriv traps and informs with SHA/AES and SHA-256/AES;
#   - min_severity critical gets nothing for a warning; events [agent]
#     gets no check event;
#   - an inform to a receiver that starts late is delivered once it runs;
#   - an inform queued when the process stops is delivered by the
#     collector after a restart;
#   - a v3 inform whose receiver never answers (engine discovery waiting
#     for its timeout) does not hold back a trap to another destination;
#   - SIGTERM stops the collector at once while informs wait for dead
#     receivers (a closed port, a port that never answers), and the
#     cancelled attempt is not counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snmp-lib.sh"
need snmptrapd sqlite3 python3
SEND="$top_builddir/tests/integration/notify-send"
COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$SEND" ] || skip_all "notify-send not built"
[ -x "$COLLECTOR" ] || skip_all "mxsla-collector not built"
mktmp W
base_mibs_dir "$W/mibs" || skip_all "the npm package net-snmp (base MIBs) is not installed"
plan 39

EID=0x80001f8804aa55aa55
P1=$(free_udp_port)
mkdir -p "$W/r1"; cp -r "$W/mibs" "$W/r1/mibs"
start_snmptrapd "$W/r1" "$P1" \
	"createUser -e $EID mxsla SHA authpass-1 AES privpass-1" \
	"createUser mxsla SHA authpass-1 AES privpass-1" \
	"createUser -e $EID mxsla256 SHA-256 authpass-2 AES privpass-2" \
	"createUser mxsla256 SHA-256 authpass-2 AES privpass-2" \
	"authUser log mxsla priv" "authUser log mxsla256 priv"
ok $? "snmptrapd runs on udp:127.0.0.1:$P1"
R1=$SNMPTRAPD_LOG

CHECK_CRIT='{"kind":"check","agent":"mbx01","site":"hq","check":"smtp@mx1","old_state":"ok","new_state":"critical","message":"connection refused","time":1700000000,"severity":2}'
CHECK_WARN='{"kind":"check","agent":"mbx01","site":"hq","check":"queue@mx1","old_state":"ok","new_state":"warning","message":"137 deferred","time":1700000060,"severity":1}'
AGENT_SILENT='{"kind":"agent_silent","agent":"hub01","site":"dc2","old_state":"up","new_state":"silent","message":"no result for 3 intervals","time":1700000120,"severity":2}'
BUDGET='{"kind":"budget","service":"mailflow","budget_pct":75,"availability":99.953,"target":99.9,"month":"2023-11","message":"75 % of the error budget spent","time":1700000180,"severity":1}'

# config NAME DEST-LINE...: a collector.yaml with these notify.snmp entries
config() {
	local name=$1 d
	shift
	{
		echo "listen: 127.0.0.1:$(free_port)"
		echo "database: $W/$name.db"
		echo "notify:"
		echo "  snmp:"
		for d in "$@"; do echo "    - $d"; done
	} > "$W/$name.yaml"
}
V3="version: 3, user: mxsla, security: authPriv, auth_protocol: SHA, auth_password: authpass-1, priv_protocol: AES, priv_password: privpass-1"
V3_256="version: 3, user: mxsla256, security: authPriv, auth_protocol: SHA-256, auth_password: authpass-2, priv_protocol: AES, priv_password: privpass-2"

# send NAME WAIT EVENT...: run notify-send; prints the rows left
send() {
	local name=$1 wait=$2
	shift 2
	"$SEND" -t 1000 -r 0 "$W/$name.yaml" "$wait" "$@" 2>> "$W/$name.log"
}

# ---- v2c trap: OID and varbinds ----
config t2 "{ name: t2, host: 127.0.0.1, port: $P1, version: 2c, community: public }"
is "$(send t2 10 "$CHECK_CRIT")" 0 "v2c trap: the queue is empty afterwards"
wait_trap "$R1" "mxslaCheckStateChange" 5 1
ok $? "v2c trap: snmptrapd logged snmpTrapOID mxslaCheckStateChange"
line=$(grep -F 'mxslaCheckStateChange' "$R1" | tail -n 1 | sed 's/^.*SNMPv2-MIB::snmpTrapOID/SNMPv2-MIB::snmpTrapOID/')
want=$(printf '%s\t' \
	'SNMPv2-MIB::snmpTrapOID.0 = OID: MXSLA-MIB::mxslaCheckStateChange' \
	'MXSLA-MIB::mxslaAgent.0 = STRING: mbx01' \
	'MXSLA-MIB::mxslaSite.0 = STRING: hq' \
	'MXSLA-MIB::mxslaCheck.0 = STRING: smtp@mx1' \
	'MXSLA-MIB::mxslaOldState.0 = INTEGER: ok(1)' \
	'MXSLA-MIB::mxslaNewState.0 = INTEGER: critical(3)' \
	'MXSLA-MIB::mxslaMessage.0 = STRING: connection refused' \
	'MXSLA-MIB::mxslaTime.0 = STRING: 2023-11-14,22:13:20.0,+0:0' \
	'MXSLA-MIB::mxslaSeverity.0 = INTEGER: critical(3)')
is "$line" "${want%$'\t'}" "v2c trap: every varbind in MIB order with its value"
grep -q 'info: snmp t2: sent (v2c trap to 127.0.0.1' "$W/t2.log"
ok $? "v2c trap: the outcome 'sent' is logged"

# the budget notification, read by number (no MIB): OIDs and Unsigned32 values
"$SEND" "$W/t2.yaml" 10 "$BUDGET" > /dev/null 2>> "$W/t2.log"
wait_trap "$R1" "mxslaBudgetBurn" 5 1
ok $? "budget burn: snmptrapd logged mxslaBudgetBurn"
line=$(grep -F 'mxslaBudgetBurn' "$R1" | tail -n 1)
case "$line" in
*'MXSLA-MIB::mxslaService.0 = STRING: mailflow'*'MXSLA-MIB::mxslaBudgetUsed.0 = Gauge32: 75 percent'*'MXSLA-MIB::mxslaAvailability.0 = Gauge32: 99.953'*'MXSLA-MIB::mxslaSlaTarget.0 = Gauge32: 99.900'*'MXSLA-MIB::mxslaMonth.0 = STRING: 2023-11'*'MXSLA-MIB::mxslaSeverity.0 = INTEGER: warning(2)'*)
	ok 0 "budget burn: service, budget 75 %, availability 99.953, target 99.900, month, severity warning" ;;
*) ok 1 "budget burn: service, budget 75 %, availability 99.953, target 99.900, month, severity warning"; diag "$line" ;;
esac

# the same notification decoded without any MIB: numeric OIDs
P0=$(free_udp_port)
mkdir -p "$W/r0"
cat > "$W/r0/conf" <<EOC
authCommunity log public
disableAuthorization yes
EOC
SNMP_PERSISTENT_DIR="$W/r0" snmptrapd -f -Lf "$W/r0/log" -C -c "$W/r0/conf" -On -M /nonexistent -m '' \
	"udp:127.0.0.1:$P0" > /dev/null 2>&1 &
R0PID=$!
cleanup "kill $R0PID"
for _ in $(seq 1 50); do grep -q 'NET-SNMP version' "$W/r0/log" 2>/dev/null && break; sleep 0.1; done
config n0 "{ name: n0, host: 127.0.0.1, port: $P0, version: 2c }"
send n0 10 "$AGENT_SILENT" > /dev/null
wait_trap "$W/r0/log" ".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.8072.9999.9999.57.0.5" 5 1
ok $? "numeric: snmpTrapOID.0 = mxslaMIB.0.5 (agent silent)"
line=$(grep -F '.57.0.5' "$W/r0/log" | tail -n 1)
case "$line" in
*'.1.3.6.1.4.1.8072.9999.9999.57.1.1.0 = STRING: "hub01"'*'.1.3.6.1.4.1.8072.9999.9999.57.1.2.0 = STRING: "dc2"'*'.1.3.6.1.4.1.8072.9999.9999.57.1.5.0 = INTEGER: 6'*'.1.3.6.1.4.1.8072.9999.9999.57.1.6.0 = INTEGER: 8'*'.1.3.6.1.4.1.8072.9999.9999.57.1.9.0 = INTEGER: 3'*)
	ok 0 "numeric: mxslaAgent.0, mxslaSite.0, old up(6), new silent(8), severity critical(3)" ;;
*) ok 1 "numeric: mxslaAgent.0, mxslaSite.0, old up(6), new silent(8), severity critical(3)"; diag "$line" ;;
esac

# ---- v2c inform ----
config i2 "{ name: i2, host: 127.0.0.1, port: $P1, version: 2c, community: public, inform: true }"
n0=$(trap_count "$R1" "STRING: queue@mx1")
is "$(send i2 10 "$CHECK_WARN")" 0 "v2c inform: acknowledged, the row is deleted"
is "$(trap_count "$R1" "STRING: queue@mx1")" $((n0 + 1)) "v2c inform: snmptrapd received it once"
grep -q 'info: snmp i2: acknowledged (v2c inform to 127.0.0.1' "$W/i2.log"
ok $? "v2c inform: the outcome 'acknowledged' is logged"
is "$(sqlite3 "$W/i2.db" 'SELECT count(*) FROM notify_queue')" 0 "v2c inform: notify_queue is empty in the database"

# ---- v3 authPriv ----
v3() { # NAME DEST-LINE PATTERN WHAT
	local n
	config "$1" "$2"
	n=$(trap_count "$R1" "$3")
	is "$(send "$1" 15 "$CHECK_CRIT")" 0 "$4: delivered, the queue is empty"
	wait_trap "$R1" "$3" 5 $((n + 1))
	ok $? "$4: snmptrapd decrypted and logged it"
}
v3 t3 "{ name: t3, host: 127.0.0.1, port: $P1, $V3, engine_id: \"$EID\" }" "mxslaCheckStateChange" "v3 authPriv SHA/AES trap"
v3 i3 "{ name: i3, host: 127.0.0.1, port: $P1, $V3, inform: true }" "mxslaCheckStateChange" "v3 authPriv SHA/AES inform"
v3 t3s "{ name: t3s, host: 127.0.0.1, port: $P1, $V3_256, engine_id: \"$EID\" }" "mxslaCheckStateChange" "v3 authPriv SHA-256/AES trap"
v3 i3s "{ name: i3s, host: 127.0.0.1, port: $P1, $V3_256, inform: true }" "mxslaCheckStateChange" "v3 authPriv SHA-256/AES inform"

# ---- filters ----
P2=$(free_udp_port)
mkdir -p "$W/r2"; cp -r "$W/mibs" "$W/r2/mibs"
start_snmptrapd "$W/r2" "$P2" >/dev/null
R2=$SNMPTRAPD_LOG
config f "{ name: crit, host: 127.0.0.1, port: $P2, version: 2c, min_severity: critical }" \
	"{ name: agents, host: 127.0.0.1, port: $P0, version: 2c, events: [agent], min_severity: ok }"
n0=$(trap_count "$W/r0/log" ".57.0.")
is "$(send f 10 "$CHECK_WARN" "$CHECK_CRIT")" 0 "filters: the queue is empty afterwards"
wait_trap "$R2" "smtp@mx1" 5 1
ok $? "min_severity critical: the critical check change arrives"
is "$(trap_count "$R2" "queue@mx1")" 0 "min_severity critical: nothing for a warning"
sleep 0.3
is "$(trap_count "$W/r0/log" ".57.0.")" "$n0" "events [agent]: no check event"

# ---- a receiver that comes up late ----
P3=$(free_udp_port)
config late "{ name: late, host: 127.0.0.1, port: $P3, version: 2c, inform: true }"
"$SEND" -b 1 -c 2 -t 300 -r 0 "$W/late.yaml" 30 "$CHECK_CRIT" > "$W/late.out" 2> "$W/late.log" &
SPID=$!
cleanup "kill $SPID"
for _ in $(seq 1 50); do grep -q "failed (v2c inform" "$W/late.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'warning: snmp late: failed (v2c inform to 127.0.0.1:'"$P3"', attempt 1' "$W/late.log"
ok $? "late receiver: the first attempt fails and is logged"
mkdir -p "$W/r3"; cp -r "$W/mibs" "$W/r3/mibs"
start_snmptrapd "$W/r3" "$P3" >/dev/null
R3=$SNMPTRAPD_LOG
wait "$SPID"
is "$?:$(cat "$W/late.out")" "0:0" "late receiver: the inform is acknowledged once it runs"
wait_trap "$R3" "smtp@mx1" 5 1
ok $? "late receiver: snmptrapd logged it"

# ---- queued when the process stops, delivered by the collector after a restart ----
P4=$(free_udp_port)
HPORT=$(free_port)
config rs "{ name: rs, host: 127.0.0.1, port: $P4, version: 2c, inform: true }"
sed -i "s/^listen: .*/listen: 127.0.0.1:$HPORT/" "$W/rs.yaml"
"$SEND" -t 200 -r 0 "$W/rs.yaml" 0 "$AGENT_SILENT" > "$W/rs.out" 2>> "$W/rs.log"
is "$?:$(cat "$W/rs.out"):$(sqlite3 "$W/rs.db" "SELECT dest FROM notify_queue")" "3:1:rs" \
	"restart: the inform stays queued in the database when the process stops"
mkdir -p "$W/r4"; cp -r "$W/mibs" "$W/r4/mibs"
start_snmptrapd "$W/r4" "$P4" >/dev/null
R4=$SNMPTRAPD_LOG
"$COLLECTOR" -c "$W/rs.yaml" serve > "$W/collector.log" 2>&1 &
CPID=$!
cleanup "kill -9 $CPID"
wait_trap "$R4" "STRING: hub01" 15 1
ok $? "restart: the collector delivers the queued inform after it starts"
for _ in $(seq 1 50); do [ "$(sqlite3 "$W/rs.db" 'SELECT count(*) FROM notify_queue' 2>/dev/null)" = 0 ] && break; sleep 0.1; done
kill -TERM "$CPID"
wait "$CPID"
is "$?:$(sqlite3 "$W/rs.db" 'SELECT count(*) FROM notify_queue')" "0:0" \
	"restart: the row is deleted and the collector stops cleanly on SIGTERM"
grep -q 'info: snmp rs: acknowledged (v2c inform' "$W/collector.log"
ok $? "restart: the collector logs the acknowledgement"

# ---- a receiver that never answers holds back no other destination ----
# silent_udp PORT: a UDP socket on 127.0.0.1:PORT that reads nothing
silent_udp() {
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
time.sleep(60)' "$1" > "$W/silent-$1.out" 2>&1 &
	cleanup "kill $!"
	for _ in $(seq 1 50); do grep -q ready "$W/silent-$1.out" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
P5=$(free_udp_port)
silent_udp "$P5"
ok $? "a UDP port that never answers: 127.0.0.1:$P5"
# three of them, started before the trap's sender: however the threads
# are scheduled, the trap's session is opened while an engine ID is awaited
config blk "{ name: mute3a, host: 127.0.0.1, port: $P5, $V3, inform: true }" \
	"{ name: mute3b, host: 127.0.0.1, port: $P5, $V3, inform: true }" \
	"{ name: mute3c, host: 127.0.0.1, port: $P5, $V3, inform: true }" \
	"{ name: live, host: 127.0.0.1, port: $P1, version: 2c }"
n0=$(trap_count "$R1" "STRING: hub01")
t0=$(date +%s%N)
"$SEND" -t 4000 -r 0 "$W/blk.yaml" 6 "$AGENT_SILENT" > /dev/null 2>> "$W/blk.log" &
BPID=$!
cleanup "kill $BPID"
wait_trap "$R1" "STRING: hub01" 6 $((n0 + 1))
ms=$((($(date +%s%N) - t0) / 1000000))
diag "the trap arrived after ${ms} ms"
ok "$([ "$ms" -lt 1500 ]; echo $?)" "v3 informs waiting 4 s for a silent receiver's engine ID: the trap to another destination arrives within 1.5 s (${ms} ms)"
kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null

# ---- SIGTERM while informs wait for dead receivers ----
P6=$(free_udp_port)
HPORT=$(free_port)
config dead "{ name: closed2c, host: 127.0.0.1, port: $P6, version: 2c, inform: true }" \
	"{ name: mute3, host: 127.0.0.1, port: $P5, $V3, inform: true }"
sed -i "s/^listen: .*/listen: 127.0.0.1:$HPORT/" "$W/dead.yaml"
"$SEND" "$W/dead.yaml" 0 "$CHECK_CRIT" "$CHECK_WARN" "$AGENT_SILENT" > /dev/null 2>> "$W/dead.log"
sqlite3 "$W/dead.db" "UPDATE notify_queue SET attempts = 0, next_try = 0, last_error = NULL"
is "$(sqlite3 "$W/dead.db" "SELECT count(*), sum(attempts) FROM notify_queue")" "6|0" \
	"dead receivers: three events queued for each of two informs"
"$COLLECTOR" -c "$W/dead.yaml" serve > "$W/dead-collector.log" 2>&1 &
CPID=$!
cleanup "kill -9 $CPID"
wait_port "$HPORT" 10
# both senders are now inside their first attempt (default timeout 2 s, 1 retry)
sleep 0.7
t0=$(date +%s%N)
kill -TERM "$CPID"
wait "$CPID"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
diag "stopped ${ms} ms after SIGTERM"
is "$rc" 0 "dead receivers: the collector exits 0 on SIGTERM"
ok "$([ "$ms" -lt 1500 ]; echo $?)" "dead receivers: it stops within 1.5 s of SIGTERM (${ms} ms), not after the informs' 4 s timeout"
is "$(sqlite3 "$W/dead.db" "SELECT count(*), sum(attempts) FROM notify_queue")" "6|0" \
	"dead receivers: the rows stay queued and the cancelled attempt is not counted"
if grep -q 'authpass-1\|privpass-1' "$W/dead-collector.log" "$W/blk.log" "$W"/*.log 2>/dev/null; then
	ok 1 "no password in any log"
else
	ok 0 "no password in any log"
fi

done_testing

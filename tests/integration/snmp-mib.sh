#!/usr/bin/env bash
# snmp-mib.sh - docs/MXSLA-MIB.txt as operators use it: smilint -l 3 finds
# nothing to report; snmptranslate resolves every descriptor to the OID the
# sender uses (and back), shows the enumerations, the DISPLAY-HINT and each
# notification's OBJECTS in the sender's order; a real snmptrapd with the
# MIB loaded decodes v2c traps, v2c informs and v3 authPriv traps and
# informs (users configured as docs/snmp.md shows) into names, states as
# names and percentages as 99.953; and, where snmptt is installed, the
# SNMPTT EVENT lines and the submit script printed in docs/snmp.md turn
# notifications into the Nagios passive check results the page promises.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snmp-lib.sh"
need smilint snmptranslate snmptrapd snmptrap snmpinform
MIB="$top_srcdir/docs/MXSLA-MIB.txt"
[ -f "$MIB" ] || skip_all "docs/MXSLA-MIB.txt missing"
[ -f /usr/share/snmp/mibs/NET-SNMP-MIB.txt ] || skip_all "NET-SNMP-MIB not installed (libsnmp-base)"
mktmp W
base_mibs_dir "$W/mibs" || skip_all "npm package net-snmp (the IETF base MIBs) not installed"

# The layout the sender (collector/snmp.c) is written against.
P=.1.3.6.1.4.1.8072.9999.9999.57
OIDS=(
	mxslaMIB "$P"
	mxslaNotifications "$P.0"
	mxslaCheckStateChange "$P.0.1"
	mxslaServiceDown "$P.0.2"
	mxslaServiceUp "$P.0.3"
	mxslaBudgetBurn "$P.0.4"
	mxslaAgentSilent "$P.0.5"
	mxslaAgentBack "$P.0.6"
	mxslaObjects "$P.1"
	mxslaAgent "$P.1.1"
	mxslaSite "$P.1.2"
	mxslaCheck "$P.1.3"
	mxslaService "$P.1.4"
	mxslaOldState "$P.1.5"
	mxslaNewState "$P.1.6"
	mxslaMessage "$P.1.7"
	mxslaTime "$P.1.8"
	mxslaSeverity "$P.1.9"
	mxslaAvailability "$P.1.10"
	mxslaSlaTarget "$P.1.11"
	mxslaBudgetUsed "$P.1.12"
	mxslaMonth "$P.1.13"
	mxslaConformance "$P.2"
	mxslaGroups "$P.2.1"
	mxslaObjectsGroup "$P.2.1.1"
	mxslaNotificationsGroup "$P.2.1.2"
	mxslaCompliances "$P.2.2"
	mxslaCompliance "$P.2.2.1"
)
NOTIF_OBJECTS=(
	mxslaCheckStateChange "{ mxslaAgent, mxslaSite, mxslaCheck, mxslaOldState, mxslaNewState, mxslaMessage, mxslaTime, mxslaSeverity }"
	mxslaServiceDown "{ mxslaService, mxslaOldState, mxslaNewState, mxslaMessage, mxslaTime, mxslaSeverity }"
	mxslaServiceUp "{ mxslaService, mxslaOldState, mxslaNewState, mxslaMessage, mxslaTime, mxslaSeverity }"
	mxslaBudgetBurn "{ mxslaService, mxslaBudgetUsed, mxslaAvailability, mxslaSlaTarget, mxslaMonth, mxslaMessage, mxslaTime, mxslaSeverity }"
	mxslaAgentSilent "{ mxslaAgent, mxslaSite, mxslaOldState, mxslaNewState, mxslaMessage, mxslaTime, mxslaSeverity }"
	mxslaAgentBack "{ mxslaAgent, mxslaSite, mxslaOldState, mxslaNewState, mxslaMessage, mxslaTime, mxslaSeverity }"
)
NTT=7 # the SNMPTT tests below
plan $((4 + ${#OIDS[@]} / 2 * 2 + ${#NOTIF_OBJECTS[@]} / 2 + 6 + 17 + NTT))

# --- smilint -----------------------------------------------------------
out=$(cd "$W" && SMIPATH="$W/mibs:/usr/share/snmp/mibs" smilint -l 3 -s "$MIB" 2>&1)
is "$out" "" "smilint -l 3 reports no error and no warning"
[ -z "$out" ] || echo "$out" | sed 's/^/# /'
out=$(cd "$W" && SMIPATH="$W/mibs:/usr/share/snmp/mibs" smilint -l 6 -s "$MIB" 2>&1)
is "$out" "" "smilint -l 6 reports nothing either"
# smilint exits 0 even on errors: prove that this check sees them.
sed '0,/{ mxslaObjects /s//{ mxslaObjectz /' "$MIB" > "$W/broken.txt"
out=$(cd "$W" && SMIPATH="$W/mibs:/usr/share/snmp/mibs" smilint -l 3 -s "$W/broken.txt" 2>&1)
case $out in *"mxslaObjectz"*) ok 0 "smilint reports an error in a broken copy";; *) ok 1 "smilint reports an error in a broken copy"; echo "# $out";; esac
out=$(cd "$W" && SMIPATH="$W/mibs:/usr/share/snmp/mibs" smidump -f identifiers "$MIB" 2>&1 | awk '$1 == "MXSLA-MIB" {print $2}' | sort | tr '\n' ' ')
names=(MxslaPercent MxslaState)
for ((i = 0; i < ${#OIDS[@]}; i += 2)); do names+=("${OIDS[$i]}"); done
is "$out" "$(printf '%s\n' "${names[@]}" | sort | tr '\n' ' ')" \
	"the module defines exactly the descriptors of the layout and its two textual conventions"

# --- snmptranslate -----------------------------------------------------
tr_() { snmptranslate -M "+$W/mibs" -m "$SNMP_MIBS" "$@" 2>&1; }
for ((i = 0; i < ${#OIDS[@]}; i += 2)); do
	n=${OIDS[$i]} oid=${OIDS[$((i + 1))]}
	is "$(tr_ -On "MXSLA-MIB::$n")" "$oid" "snmptranslate -On MXSLA-MIB::$n is $oid"
	is "$(tr_ "$oid")" "MXSLA-MIB::$n" "snmptranslate $oid is MXSLA-MIB::$n"
done
for ((i = 0; i < ${#NOTIF_OBJECTS[@]}; i += 2)); do
	n=${NOTIF_OBJECTS[$i]}
	got=$(tr_ -Td -IR "$n" | sed -n 's/^  OBJECTS\t//p' | sed 's/ *$//')
	is "$got" "${NOTIF_OBJECTS[$((i + 1))]}" "snmptranslate -Td -IR $n shows its OBJECTS in the sender's order"
done
got=$(tr_ -Td -IR mxslaNewState | sed -n 's/^  SYNTAX\t//p' | sed 's/ *$//')
is "$got" "INTEGER {ok(1), warning(2), critical(3), unknown(4), nodata(5), up(6), down(7), silent(8)}" "MxslaState enumerates the states 1 to 8"
got=$(tr_ -Td -IR mxslaAvailability | sed -n -e 's/^  SYNTAX\t//p' -e 's/^  DISPLAY-HINT\t//p' | sed 's/ *$//' | tr '\n' '|')
is "$got" 'Unsigned32 (0..100000)|"d-3"|' "MxslaPercent is Unsigned32 (0..100000) with DISPLAY-HINT d-3"
got=$(tr_ -Td -IR mxslaBudgetUsed | sed -n -e 's/^  SYNTAX\t//p' -e 's/^  UNITS\t*//p' -e 's/^  MAX-ACCESS\t//p' | sed 's/ *$//' | tr '\n' '|')
is "$got" 'Unsigned32 (0..100)|"percent"|accessible-for-notify|' "mxslaBudgetUsed is Unsigned32 (0..100) in percent, accessible-for-notify"
got=$(tr_ -Td -IR mxslaTime | sed -n 's/^  SYNTAX\t//p' | sed 's/ *$//')
is "$got" "OCTET STRING (8 | 11)" "mxslaTime is a DateAndTime"
got=$(tr_ -Td -IR mxslaMonth | sed -n 's/^  SYNTAX\t//p' | sed 's/ *$//')
is "$got" "OCTET STRING (7)" "mxslaMonth is 7 octets (YYYY-MM)"
is "$(tr_ -On MXSLA-MIB::mxslaNoSuchThing >/dev/null 2>&1; echo $?)" "2" "an unknown name is refused (the checks above can fail)"

# --- a real snmptrapd --------------------------------------------------
ENGINE=0x80001f8880a1b2c3d4e5f60718
PORT=$(free_udp_port)
start_snmptrapd "$W/trapd" "$PORT" \
	"createUser -e $ENGINE mxsla SHA-256 mxsla-auth-secret AES mxsla-priv-secret" \
	"createUser mxsla SHA-256 mxsla-auth-secret AES mxsla-priv-secret"
ok $? "snmptrapd listens on udp:127.0.0.1:$PORT with MXSLA-MIB loaded"
LOG=$SNMPTRAPD_LOG
M=MXSLA-MIB
snmp_() { local c=$1; shift; "$c" -M "+$W/mibs" -m "$SNMP_MIBS" "$@" >/dev/null 2>"$W/snmptrap.err"; }

# 2026-11-22 08:15:30.0 UTC in the 11-octet DateAndTime form
TIME=07EA0B16080F1E002B0000
snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaCheckStateChange \
	$M::mxslaAgent.0 s mbx01 $M::mxslaSite.0 s hq $M::mxslaCheck.0 s queue.deferred@queue \
	$M::mxslaOldState.0 i 1 $M::mxslaNewState.0 i 3 \
	$M::mxslaMessage.0 s "deferred 312 > 250" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 3
ok $? "snmptrap -v 2c sends mxslaCheckStateChange"
wait_trap "$LOG" "snmpTrapOID.0 = OID: MXSLA-MIB::mxslaCheckStateChange" 5
ok $? "snmptrapd logs the trap as MXSLA-MIB::mxslaCheckStateChange"
line=$(grep -F mxslaCheckStateChange "$LOG" | tr '\t' '\n' | grep -v sysUpTime | tr '\n' '|')
is "$line" "SNMPv2-MIB::snmpTrapOID.0 = OID: MXSLA-MIB::mxslaCheckStateChange|MXSLA-MIB::mxslaAgent.0 = STRING: mbx01|MXSLA-MIB::mxslaSite.0 = STRING: hq|MXSLA-MIB::mxslaCheck.0 = STRING: queue.deferred@queue|MXSLA-MIB::mxslaOldState.0 = INTEGER: ok(1)|MXSLA-MIB::mxslaNewState.0 = INTEGER: critical(3)|MXSLA-MIB::mxslaMessage.0 = STRING: deferred 312 > 250|MXSLA-MIB::mxslaTime.0 = STRING: 2026-11-22,8:15:30.0,+0:0|MXSLA-MIB::mxslaSeverity.0 = INTEGER: critical(3)|" \
	"every varbind of the check state change is decoded into names, states as names, the time as a date"

snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaBudgetBurn \
	$M::mxslaService.0 s mailflow $M::mxslaBudgetUsed.0 u 75 $M::mxslaAvailability.0 u 99953 \
	$M::mxslaSlaTarget.0 u 99900 $M::mxslaMonth.0 s 2026-11 \
	$M::mxslaMessage.0 s "75 % of the budget spent" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 2
ok $? "snmptrap -v 2c sends mxslaBudgetBurn"
wait_trap "$LOG" "OID: MXSLA-MIB::mxslaBudgetBurn" 5
line=$(grep -F mxslaBudgetBurn "$LOG" | tr '\t' '\n' | grep -E 'BudgetUsed|Availability|SlaTarget|Month|Severity' | tr '\n' '|')
is "$line" "MXSLA-MIB::mxslaBudgetUsed.0 = Gauge32: 75 percent|MXSLA-MIB::mxslaAvailability.0 = Gauge32: 99.953|MXSLA-MIB::mxslaSlaTarget.0 = Gauge32: 99.900|MXSLA-MIB::mxslaMonth.0 = STRING: 2026-11|MXSLA-MIB::mxslaSeverity.0 = INTEGER: warning(2)|" \
	"the budget burn shows 75 percent, the availability as 99.953 and the target as 99.900 (DISPLAY-HINT d-3)"

snmp_ snmpinform -v 2c -c public -r 1 -t 2 "127.0.0.1:$PORT" '' $M::mxslaServiceDown \
	$M::mxslaService.0 s mailflow $M::mxslaOldState.0 i 6 $M::mxslaNewState.0 i 7 \
	$M::mxslaMessage.0 s "mailflow is down" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 3
ok $? "snmptrapd acknowledges a v2c inform mxslaServiceDown"
wait_trap "$LOG" "OID: MXSLA-MIB::mxslaServiceDown" 5
line=$(grep -F mxslaServiceDown "$LOG" | tr '\t' '\n' | grep -E 'State' | tr '\n' '|')
is "$line" "MXSLA-MIB::mxslaOldState.0 = INTEGER: up(6)|MXSLA-MIB::mxslaNewState.0 = INTEGER: down(7)|" "the inform shows up(6) to down(7)"

V3="-v 3 -u mxsla -l authPriv -a SHA-256 -A mxsla-auth-secret -x AES -X mxsla-priv-secret"
# shellcheck disable=SC2086
snmp_ snmptrap $V3 -e $ENGINE "127.0.0.1:$PORT" '' $M::mxslaAgentSilent \
	$M::mxslaAgent.0 s mbx02 $M::mxslaSite.0 s branch $M::mxslaOldState.0 i 6 $M::mxslaNewState.0 i 8 \
	$M::mxslaMessage.0 s "no results for 3m" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 3
ok $? "snmptrap -v 3 authPriv sends mxslaAgentSilent with the sender's engine ID"
wait_trap "$LOG" "OID: MXSLA-MIB::mxslaAgentSilent" 5
ok $? "snmptrapd decrypts the v3 trap of the user created with -e ENGINE_ID"
line=$(grep -F mxslaAgentSilent "$LOG" | tr '\t' '\n' | grep -E 'Agent.0|State' | tr '\n' '|')
is "$line" "MXSLA-MIB::mxslaAgent.0 = STRING: mbx02|MXSLA-MIB::mxslaOldState.0 = INTEGER: up(6)|MXSLA-MIB::mxslaNewState.0 = INTEGER: silent(8)|" "the v3 trap shows agent mbx02 gone from up(6) to silent(8)"

# shellcheck disable=SC2086
snmp_ snmpinform $V3 -r 1 -t 2 "127.0.0.1:$PORT" '' $M::mxslaAgentBack \
	$M::mxslaAgent.0 s mbx02 $M::mxslaSite.0 s branch $M::mxslaOldState.0 i 8 $M::mxslaNewState.0 i 6 \
	$M::mxslaMessage.0 s "results again" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 3
ok $? "snmptrapd acknowledges a v3 authPriv inform of the user created without -e"
wait_trap "$LOG" "OID: MXSLA-MIB::mxslaAgentBack" 5
ok $? "snmptrapd logs the v3 inform mxslaAgentBack"

# shellcheck disable=SC2086
snmp_ snmptrap -v 3 -u mxsla -l authPriv -a SHA-256 -A wrong-auth-secret -x AES -X mxsla-priv-secret \
	-e $ENGINE "127.0.0.1:$PORT" '' $M::mxslaServiceUp $M::mxslaService.0 s mailflow
sleep 0.5
is "$(trap_count "$LOG" mxslaServiceUp)" 0 "a v3 trap with a wrong auth password is not logged"
snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaServiceUp $M::mxslaService.0 s mailflow
wait_trap "$LOG" "OID: MXSLA-MIB::mxslaServiceUp" 5
is "$(trap_count "$LOG" "OID: MXSLA-MIB::mxslaServiceUp")" 1 "the next good trap is logged exactly once"

snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaCheckStateChange \
	$M::mxslaMessage.0 s "Größe überschritten" $M::mxslaAgent.0 s ""
wait_trap "$LOG" "Größe" 5
ok $? "a UTF-8 message is logged as text"
is "$(trap_count "$LOG" "OID: MXSLA-MIB::mxslaCheckStateChange")" 2 "two check state changes sent, two logged"
stop_snmptrapd

# --- SNMPTT and Nagios, configured as docs/snmp.md shows ----------------
# The EVENT lines and the submit script are taken from the page itself.
doc_block() { # FILE MARKER: the fenced block of FILE with a line starting with MARKER
	awk -v m="$2" '/^```/ { if (inb) { if (hit) { printf "%s", buf; exit } inb = 0; buf = ""; hit = 0; next }
		inb = 1; next } inb { buf = buf $0 "\n"; if (index($0, m) == 1) hit = 1 }' "$1"
}
if ! command -v snmptt >/dev/null 2>&1 || [ ! -f /etc/snmp/snmptt.ini ]; then
	for _ in $(seq 1 $NTT); do T_N=$((T_N + 1)); echo "ok $T_N # SKIP snmptt not installed"; done
else
	TT=$W/snmptt
	mkdir -p "$TT"
	doc_block "$top_srcdir/docs/snmp.md" "# /usr/local/bin/mxsla-submit-check-result HOST" > "$TT/submit"
	chmod 755 "$TT/submit"
	doc_block "$top_srcdir/docs/snmp.md" "# /etc/snmp/snmptt.conf.mxsla:" |
		sed "s|/usr/local/bin/mxsla-submit-check-result|$TT/submit|" > "$TT/mxsla.conf"
	is "$(grep -c '^EVENT ' "$TT/mxsla.conf")" 10 "docs/snmp.md has the SNMPTT EVENT lines and the submit script"
	sed -e 's/^mode = .*/mode = standalone/' -e 's/^net_snmp_perl_enable = .*/net_snmp_perl_enable = 1/' \
		-e 's/^translate_integers = .*/translate_integers = 1/' -e 's/^multiple_event = .*/multiple_event = 1/' \
		-e "s|^log_file = .*|log_file = $TT/snmptt.log|" -e "s/^ipv6_enable = .*/ipv6_enable = 0/" -e 's/^syslog_enable = .*/syslog_enable = 0/' \
		-e 's/^syslog_system_enable = .*/syslog_system_enable = 0/' -e "s|^/etc/snmptt/snmptt.conf\$|$TT/mxsla.conf|" \
		-e "s|^/etc/snmp/snmptt.conf\$|$TT/mxsla.conf|" /etc/snmp/snmptt.ini > "$TT/snmptt.ini"
	export NAGIOS_COMMAND_FILE=$TT/nagios.cmd MIBS=$SNMP_MIBS MIBDIRS=+$W/mibs
	PORT=$(free_udp_port)
	start_snmptrapd "$TT" "$PORT" "traphandle default $(command -v snmptt) --ini=$TT/snmptt.ini"
	ok $? "snmptrapd hands notifications to SNMPTT"
	snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaCheckStateChange \
		$M::mxslaAgent.0 s mbx01 $M::mxslaSite.0 s hq $M::mxslaCheck.0 s queue.deferred@queue \
		$M::mxslaOldState.0 i 1 $M::mxslaNewState.0 i 3 \
		$M::mxslaMessage.0 s "deferred 312 over 250" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 3
	snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaCheckStateChange \
		$M::mxslaAgent.0 s mbx01 $M::mxslaSite.0 s hq $M::mxslaCheck.0 s queue.deferred@queue \
		$M::mxslaOldState.0 i 3 $M::mxslaNewState.0 i 1 \
		$M::mxslaMessage.0 s "deferred 3" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 3
	snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaServiceDown \
		$M::mxslaService.0 s mailflow $M::mxslaOldState.0 i 6 $M::mxslaNewState.0 i 7 \
		$M::mxslaMessage.0 s "service mailflow is down: hub1:smtp.up@smtp down" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 3
	snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaBudgetBurn \
		$M::mxslaService.0 s mailflow $M::mxslaBudgetUsed.0 u 75 $M::mxslaAvailability.0 u 99925 \
		$M::mxslaSlaTarget.0 u 99900 $M::mxslaMonth.0 s 2026-11 \
		$M::mxslaMessage.0 s "75 percent spent" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 2
	snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaBudgetBurn \
		$M::mxslaService.0 s mailflow $M::mxslaBudgetUsed.0 u 100 $M::mxslaAvailability.0 u 99899 \
		$M::mxslaSlaTarget.0 u 99900 $M::mxslaMonth.0 s 2026-11 \
		$M::mxslaMessage.0 s "100 percent spent" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 3
	snmp_ snmptrap -v 2c -c public "127.0.0.1:$PORT" '' $M::mxslaAgentSilent \
		$M::mxslaAgent.0 s mbx02 $M::mxslaSite.0 s branch $M::mxslaOldState.0 i 6 $M::mxslaNewState.0 i 8 \
		$M::mxslaMessage.0 s "agent mbx02 is silent" $M::mxslaTime.0 x $TIME $M::mxslaSeverity.0 i 3
	wait_trap "$NAGIOS_COMMAND_FILE" PROCESS_SERVICE_CHECK_RESULT 20 6
	ok $? "six notifications become six passive check results"
	got=$(sed 's/^\[[0-9]*\] //' "$NAGIOS_COMMAND_FILE" | sort | tr '\n' '|')
	want="PROCESS_SERVICE_CHECK_RESULT;mbx01;queue.deferred@queue;0;deferred 3|PROCESS_SERVICE_CHECK_RESULT;mbx01;queue.deferred@queue;2;deferred 312 over 250|PROCESS_SERVICE_CHECK_RESULT;mbx02;mxsla agent;2;agent mbx02 is silent|PROCESS_SERVICE_CHECK_RESULT;mxsla;SLA budget mailflow;1;75 percent spent|PROCESS_SERVICE_CHECK_RESULT;mxsla;SLA budget mailflow;2;100 percent spent|PROCESS_SERVICE_CHECK_RESULT;mxsla;SLA mailflow;2;service mailflow is down: hub1:smtp.up@smtp down|"
	is "$got" "$want" "each result names the host, the service, the Nagios return code of the state and the message"
	is "$(grep -c . "$TT/snmptt.log")" 6 "SNMPTT logs one line per notification"
	grep -q -F 'check queue.deferred@queue on mbx01 (hq): ok -> critical: deferred 312 over 250' "$TT/snmptt.log"
	ok $? "the SNMPTT log line shows the states as names"
	grep -q -F ' - service mailflow is down: hub1:smtp.up@smtp down' "$TT/snmptt.log"
	ok $? "the service down line is the collector's message"
	stop_snmptrapd
fi

done_testing

# snmp-lib.sh - a real snmptrapd on 127.0.0.1 with MXSLA-MIB loaded, for
# the SNMP integration tests.  Source it after lib.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/snmp-lib.sh"
#
# base_mibs_dir DIR
#     Fill DIR with the MIB modules the tools need to read MXSLA-MIB: the
#     IETF base modules (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF, SNMPv2-MIB,
#     ...) from the npm package net-snmp, which Debian does not ship,
#     copied without their ".mib" ending, and docs/MXSLA-MIB.txt as
#     DIR/MXSLA-MIB.  NET-SNMP-MIB comes from /usr/share/snmp/mibs
#     (Debian package libsnmp-base).  Returns 1 when the npm modules are
#     not installed (callers skip_all then).  Use DIR as
#     "SMIPATH=DIR:/usr/share/snmp/mibs" for smilint and as
#     "-M +DIR -m $SNMP_MIBS" for the Net-SNMP tools.
#
# SNMP_MIBS
#     The -m argument for the Net-SNMP tools: SNMPv2-MIB:MXSLA-MIB.  Only
#     these modules (and what they import) are loaded, so that the tools
#     do not complain about the IETF modules Debian leaves out.
#
# free_udp_port
#     Print a UDP port on 127.0.0.1 that nothing is bound to.
#
# start_snmptrapd DIR PORT [CONF_LINE...]
#     Start snmptrapd in the foreground of a background job, listening on
#     udp:127.0.0.1:PORT, with the modules of DIR/mibs (made with
#     base_mibs_dir when missing), its configuration in DIR/snmptrapd.conf
#     ("authCommunity log,execute public", "disableAuthorization yes", then each
#     CONF_LINE, e.g. "createUser -e 0x8000... mxsla SHA pass AES pass"),
#     its persistent state in DIR/persist (not /var/lib/snmp, so that
#     tests running in parallel do not share engine boots or users), and
#     its log in DIR/snmptrapd.log.  Sets SNMPTRAPD_PID and SNMPTRAPD_LOG;
#     returns once the daemon has logged its start, 1 if it did not
#     within 10 s (its log is printed as TAP diagnostics).  The daemon is
#     stopped at exit (cleanup); stop_snmptrapd stops it earlier.
#     Each received notification is one line of the log holding all its
#     varbinds, e.g.
#       SNMPv2-MIB::snmpTrapOID.0 = OID: MXSLA-MIB::mxslaCheckStateChange
#       <TAB>MXSLA-MIB::mxslaAgent.0 = STRING: mbx01<TAB>...
#       <TAB>MXSLA-MIB::mxslaNewState.0 = INTEGER: critical(3) ...
#
# stop_snmptrapd
#     Stop the daemon started last (SIGTERM, then wait for it).
#
# wait_trap LOG PATTERN TIMEOUT [COUNT]
#     Wait up to TIMEOUT seconds until at least COUNT (default 1) lines of
#     LOG contain PATTERN, a fixed string (grep -F).  0 or 1.
#
# trap_count LOG PATTERN
#     Print how many lines of LOG contain the fixed string PATTERN.

SNMP_MIBS=SNMPv2-MIB:MXSLA-MIB
SNMPTRAPD_PID=
SNMPTRAPD_LOG=

base_mibs_dir() {
	local d=$1 src='' f root
	for root in "${NPM_ROOT:-}" /usr/lib/node_modules /usr/local/lib/node_modules; do
		[ -n "$root" ] && [ -f "$root/net-snmp/lib/mibs/SNMPv2-SMI.mib" ] && { src=$root/net-snmp/lib/mibs; break; }
	done
	if [ -z "$src" ] && command -v npm >/dev/null 2>&1; then
		root=$(npm root -g 2>/dev/null)
		[ -f "$root/net-snmp/lib/mibs/SNMPv2-SMI.mib" ] && src=$root/net-snmp/lib/mibs
	fi
	[ -n "$src" ] || return 1
	mkdir -p "$d" || return 1
	for f in "$src"/*.mib; do
		cp "$f" "$d/$(basename "$f" .mib)" || return 1
	done
	cp "$top_srcdir/docs/MXSLA-MIB.txt" "$d/MXSLA-MIB"
}

free_udp_port() {
	local p hex
	for _ in $(seq 1 50); do
		p=$((10000 + RANDOM % 20000))
		printf -v hex ':%04X ' "$p"
		grep -q -- "$hex" /proc/net/udp /proc/net/udp6 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

start_snmptrapd() {
	local d=$1 port=$2 line
	shift 2
	mkdir -p "$d/persist"
	[ -f "$d/mibs/MXSLA-MIB" ] || base_mibs_dir "$d/mibs" || return 1
	{
		echo "authCommunity log,execute public"
		echo "disableAuthorization yes"
		for line in "$@"; do echo "$line"; done
	} > "$d/snmptrapd.conf"
	SNMPTRAPD_LOG=$d/snmptrapd.log
	: > "$SNMPTRAPD_LOG"
	SNMP_PERSISTENT_DIR="$d/persist" snmptrapd -f -Lf "$SNMPTRAPD_LOG" -C -c "$d/snmptrapd.conf" \
		-M "+$d/mibs" -m "$SNMP_MIBS" "udp:127.0.0.1:$port" >> "$d/snmptrapd.out" 2>&1 &
	SNMPTRAPD_PID=$!
	cleanup "kill $SNMPTRAPD_PID"
	for _ in $(seq 1 100); do
		grep -q 'NET-SNMP version' "$SNMPTRAPD_LOG" 2>/dev/null && kill -0 "$SNMPTRAPD_PID" 2>/dev/null && return 0
		kill -0 "$SNMPTRAPD_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/# snmptrapd: /' "$SNMPTRAPD_LOG" "$d/snmptrapd.out"
	return 1
}

stop_snmptrapd() {
	[ -n "$SNMPTRAPD_PID" ] || return 0
	kill "$SNMPTRAPD_PID" 2>/dev/null
	wait "$SNMPTRAPD_PID" 2>/dev/null
	SNMPTRAPD_PID=
}

trap_count() {
	grep -c -F -- "$2" "$1" 2>/dev/null || true
}

wait_trap() {
	local log=$1 pat=$2 end=$((SECONDS + $3)) want=${4:-1} n
	while :; do
		n=$(trap_count "$log" "$pat")
		[ "${n:-0}" -ge "$want" ] && return 0
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.1
	done
}

#!/usr/bin/env bash
# agent-vs-monit.sh - CPU time per check cycle and resident memory of
# mxsla-agent next to Monit 5.33, both given the same five checks on this
# machine in one run: the filesystem /, the Dovecot master process (by
# name), and SMTP, IMAP and POP3 on loopback against a Postfix instance and
# a Dovecot started here (see bench/README.md for the method and caveats).
#
# Environment: DURATION (seconds each run lasts, default 60), WARMUP
# (seconds left out at the start of a run, default 5), RUNS (default 3;
# the table shows medians), KEEP (a directory to copy the configurations
# and logs to), top_builddir/top_srcdir (set by `make bench`).
# Needs root (Postfix and Dovecot instances of its own), postfix, dovecot
# and, for the comparison, the Debian package monit; it installs nothing.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/tests/integration/lib.sh"

# lib.sh cleans up on EXIT; make INT and TERM go through it as well.
trap 'exit 130' INT
trap 'exit 143' TERM

DURATION=${DURATION:-60}
WARMUP=${WARMUP:-5}
RUNS=${RUNS:-3}
INTERVAL_S=1
CLK_TCK=$(getconf CLK_TCK)

say() { printf '%s\n' "$*"; }
die() { printf 'agent-vs-monit: %s\n' "$*" >&2; exit 1; }

case "$DURATION$WARMUP$RUNS" in *[!0-9]*) die "DURATION, WARMUP and RUNS must be whole numbers" ;; esac
[ "$DURATION" -gt $((WARMUP + 4)) ] || die "DURATION ($DURATION s) must exceed WARMUP ($WARMUP s) by at least 5 s"
[ "$RUNS" -ge 1 ] || die "RUNS must be at least 1"
[ "$(id -u)" = 0 ] || die "needs root: it starts a Postfix instance and a Dovecot of its own"
for c in postfix postconf dovecot doveadm; do
	command -v "$c" >/dev/null 2>&1 || die "$c is not installed (Debian packages postfix, dovecot-imapd, dovecot-pop3d)"
done
[ -x "$AGENT" ] || die "$AGENT is missing: build first (make), or set top_builddir"

HAVE_MONIT=1
MONIT_VERSION=
if command -v monit >/dev/null 2>&1; then
	MONIT_VERSION=$(monit -V 2>/dev/null | sed -n 's/^This is Monit version \([0-9.]*\).*/\1/p')
else
	HAVE_MONIT=0
fi
monit_missing_note() {
	say "NOTE: monit is not installed, so there is nothing to compare against;"
	say "      only mxsla-agent was measured.  Install the Debian package monit"
	say "      (5.33 in Debian 12) and run this again for the side-by-side figures."
}
[ "$HAVE_MONIT" = 1 ] || monit_missing_note

# ---- CPU accounting ----------------------------------------------------
# Each program runs in a cpuacct group of its own when the machine lets us
# create one (nanoseconds, all threads and children, exited ones too);
# otherwise utime+stime+cutime+cstime of /proc/PID/stat (1/CLK_TCK s).
CG_KIND=proc
CG_ROOT=
if [ -w /sys/fs/cgroup/cpuacct/cgroup.procs ] && [ -r /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
	CG_KIND=v1
	CG_ROOT=/sys/fs/cgroup/cpuacct
else
	v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -n "$v2" ] && [ -w "$v2/cgroup.procs" ] && [ -r "$v2/cgroup.stat" ]; then
		CG_KIND=v2
		CG_ROOT=$v2
	fi
fi

# cg_new NAME: CG becomes the path of a new group, or empty.  Groups are
# removed at exit, after the programs in them (see kill_live).
CGROUPS=()
cg_new() {
	CG=
	[ "$CG_KIND" = proc ] && return 0
	mkdir "$CG_ROOT/mxsla-bench-$$-$1" 2>/dev/null || return 0
	CG="$CG_ROOT/mxsla-bench-$$-$1"
	CGROUPS+=("$CG")
}
rm_cgroups() { for d in "${CGROUPS[@]}"; do rmdir "$d"; done; }

cg_cpu_ns() { # GROUP
	case "$CG_KIND" in
	v1) cat "$1/cpuacct.usage" ;;
	v2) local us
	    us=$(awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat")
	    echo $((us * 1000)) ;;
	esac
}

# utime+stime+cutime+cstime of PID in ns (fields 14-17 after the comm).
proc_cpu_ns() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $(( (${12} + ${13} + ${14} + ${15}) * 1000000000 / CLK_TCK ))
}

cpu_ns() { # PID GROUP
	if [ -n "$2" ]; then cg_cpu_ns "$2"; else proc_cpu_ns "$1"; fi
}

status_kb() { # PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t * 1000)); }

# start_in GROUP LOG CMD... : run CMD in the background inside GROUP (if
# any) from its first instruction on; STARTED becomes its pid.  It stays
# a child of this shell, so its pid cannot be reused before stop_pid or
# kill_live has reaped it.
declare -A LIVE
start_in() {
	local cg=$1 log=$2
	shift 2
	(
		[ -n "$cg" ] && echo "$BASHPID" > "$cg/cgroup.procs"
		exec "$@"
	) > "$log" 2>&1 < /dev/null &
	STARTED=$!
	LIVE[$STARTED]=1
}

# Running (not exited, not a zombie)?
alive() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

# stop_pid PID: SIGTERM, SIGKILL after 5 s, reap.
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 1 50); do alive "$1" || break; sleep 0.1; done
	! alive "$1" || kill -KILL "$1"
	wait "$1" 2>/dev/null
	unset "LIVE[$1]"
}
kill_live() { for p in "${!LIVE[@]}"; do stop_pid "$p"; done; }

# nap SECONDS: sleep in steps of at most a second, so that a signal's
# trap runs soon (bash runs it only after the foreground command).
nap() {
	local end left
	end=$(($(now_ns) + $1 * 1000000000))
	while left=$((end - $(now_ns))); [ "$left" -gt 0 ]; do
		if [ "$left" -ge 1000000000 ]; then sleep 1; else sleep "0.$(printf '%09d' "$left")"; fi
	done
}

# ---- the services under watch ------------------------------------------
mktmp W
# KEEP=DIR: copy the configurations and logs there at the end.
[ -z "${KEEP:-}" ] || cleanup "rm -rf '$KEEP'; cp -a '$W' '$KEEP'"
# free_port only knows that nobody listens: a port may still be taken by
# an outgoing connection, so a failed start is retried on other ports.
started=0
for _ in 1 2 3; do
	SMTP_PORT=$(free_port) || die "no free port"
	start_postfix "$W/pf" "$SMTP_PORT" > "$W/postfix.out" 2>&1 && { started=1; break; }
done
[ "$started" = 1 ] || { cat "$W/postfix.out" >&2; die "Postfix did not start on 127.0.0.1"; }
started=0
for _ in 1 2 3; do
	IMAP_PORT=$(free_port) || die "no free port"
	POP3_PORT=$(free_port) || die "no free port"
	if [ "$IMAP_PORT" = "$POP3_PORT" ] || [ "$IMAP_PORT" = "$SMTP_PORT" ] || [ "$POP3_PORT" = "$SMTP_PORT" ]; then
		continue
	fi
	start_dovecot "$W/dv" "$IMAP_PORT" "$POP3_PORT" > "$W/dovecot.out" 2>&1 && { started=1; break; }
	doveadm -c "$W/dv/dovecot.conf" stop > /dev/null 2>&1
done
[ "$started" = 1 ] || { cat "$W/dovecot.out" "$W/dv/dovecot.log" >&2 2>/dev/null; die "Dovecot did not start"; }
for _ in $(seq 1 50); do [ -s "$W/dv/run/master.pid" ] && break; sleep 0.1; done
[ -s "$W/dv/run/master.pid" ] || die "Dovecot wrote no $W/dv/run/master.pid"
# at exit: the measured programs first, then their groups, then the servers
cleanup rm_cgroups
cleanup kill_live

# ---- configurations ------------------------------------------------------
mkdir -p "$W/mxsla/rules" "$W/mxsla/spool"
cat > "$W/mxsla/rules/bench.yaml" <<'EOR'
pack: bench
description: One rule per benchmark target, as Monit has one test per check
rules:
  - id: bench.disk
    title: Root filesystem almost full
    probe: disk
    critical: free_pct < 1
  - id: bench.process
    title: Dovecot master not running
    probe: process
    critical: count < 1
  - id: bench.smtp
    title: SMTP down
    probe: service
    targets: [smtp]
    critical: up == 0
  - id: bench.imap
    title: IMAP down
    probe: service
    targets: [imap]
    critical: up == 0
  - id: bench.pop3
    title: POP3 down
    probe: service
    targets: [pop3]
    critical: up == 0
EOR
cat > "$W/mxsla/agent.yaml" <<EOC
agent: { id: bench }
interval: ${INTERVAL_S}s
timeout: 5s
spool: $W/mxsla/spool
rules: [$W/mxsla/rules]
log_level: info
targets:
  - { name: rootfs, probe: disk, path: / }
  - { name: dovecot, probe: process, process: dovecot }
  - { name: smtp, probe: service, protocol: smtp, host: 127.0.0.1, port: $SMTP_PORT }
  - { name: imap, probe: service, protocol: imap, host: 127.0.0.1, port: $IMAP_PORT }
  - { name: pop3, probe: service, protocol: pop3, host: 127.0.0.1, port: $POP3_PORT }
EOC
"$AGENT" -c "$W/mxsla/agent.yaml" check-config > "$W/mxsla/check-config.out" 2>&1 ||
	{ cat "$W/mxsla/check-config.out" >&2; die "mxsla-agent rejects the benchmark configuration"; }

if [ "$HAVE_MONIT" = 1 ]; then
	mkdir -p "$W/monit"
	# Monit matches the regex against the whole command line
	# ("/usr/sbin/dovecot -c FILE" for the master) and takes the top-most
	# match: the master of this Dovecot.
	cat > "$W/monit/monitrc" <<EOC
set daemon $INTERVAL_S
set pidfile $W/monit/monit.pid
set statefile $W/monit/monit.state
set idfile $W/monit/monit.id
set logfile $W/monit/monit.log

check filesystem rootfs with path /
  if space usage > 99% then alert

check process dovecot matching "dovecot -c $W/dv/dovecot.conf"
  if does not exist then alert

check host lo with address 127.0.0.1
  if failed port $SMTP_PORT protocol smtp then alert
  if failed port $IMAP_PORT protocol imap then alert
  if failed port $POP3_PORT protocol pop then alert
EOC
	chmod 600 "$W/monit/monitrc"
	monit -t -c "$W/monit/monitrc" > "$W/monit/syntax.out" 2>&1 ||
		{ cat "$W/monit/syntax.out" >&2; die "monit rejects the benchmark configuration"; }
fi

# ---- one run ---------------------------------------------------------------
# Results of run i: M_CPU[i] (ms per cycle), M_RSS0[i] (VmRSS after the
# warm-up), M_RSS[i] (VmRSS at the end), M_HWM[i] (VmHWM), M_ANON[i]
# (RssAnon), all in kB, for mxsla-agent; N_* the same for Monit; *_TCPU
# the /proc tick figure.
declare -a M_CPU M_TCPU M_RSS0 M_RSS M_HWM M_ANON M_ERR
declare -a N_CPU N_TCPU N_RSS0 N_RSS N_HWM N_ANON N_ERR
WINDOW_S=$((DURATION - WARMUP))
CYCLES=$((WINDOW_S / INTERVAL_S))

count_lines() { # FILE PATTERN -> matching lines (0 if no file)
	if [ -f "$1" ]; then grep -c -- "$2" "$1"; else echo 0; fi
}

one_run() {
	local i=$1 mcg="" ncg="" mpid npid=""
	local m0 m1 n0 n1 mt0 mt1 nt0 nt1 t0 t1 sm0 sm1 im0 im1 pm0 pm1

	cg_new "mxsla-$i"
	mcg=$CG
	start_in "$mcg" "$W/mxsla/log.$i" "$AGENT" -c "$W/mxsla/agent.yaml" run
	mpid=$STARTED
	if [ "$HAVE_MONIT" = 1 ]; then
		rm -f "$W/monit/monit.state" "$W/monit/monit.pid" "$W/monit/monit.log"
		cg_new "monit-$i"
		ncg=$CG
		start_in "$ncg" "$W/monit/out.$i" monit -I -c "$W/monit/monitrc"
		npid=$STARTED
	fi

	nap "$WARMUP"
	alive "$mpid" || { cat "$W/mxsla/log.$i" >&2; die "mxsla-agent exited during the warm-up"; }
	[ -z "$npid" ] || alive "$npid" ||
		{ cat "$W/monit/out.$i" "$W/monit/monit.log" >&2 2>/dev/null; die "monit exited during the warm-up"; }
	t0=$(now_ns)
	m0=$(cpu_ns "$mpid" "$mcg"); mt0=$(proc_cpu_ns "$mpid")
	[ -z "$npid" ] || { n0=$(cpu_ns "$npid" "$ncg"); nt0=$(proc_cpu_ns "$npid"); }
	M_RSS0[i]=$(status_kb "$mpid" VmRSS)
	[ -z "$npid" ] || N_RSS0[i]=$(status_kb "$npid" VmRSS)
	sm0=$(count_lines "$W/pf/maillog" 'smtpd.*: disconnect from')
	im0=$(count_lines "$W/dv/dovecot.log" 'imap-login: ')
	pm0=$(count_lines "$W/dv/dovecot.log" 'pop3-login: ')

	nap "$WINDOW_S"

	alive "$mpid" || { cat "$W/mxsla/log.$i" >&2; die "mxsla-agent exited during the measurement"; }
	[ -z "$npid" ] || alive "$npid" || die "monit exited during the measurement"
	t1=$(now_ns)
	m1=$(cpu_ns "$mpid" "$mcg"); mt1=$(proc_cpu_ns "$mpid")
	M_RSS[i]=$(status_kb "$mpid" VmRSS); M_HWM[i]=$(status_kb "$mpid" VmHWM)
	M_ANON[i]=$(status_kb "$mpid" RssAnon)
	if [ -n "$npid" ]; then
		n1=$(cpu_ns "$npid" "$ncg"); nt1=$(proc_cpu_ns "$npid")
		N_RSS[i]=$(status_kb "$npid" VmRSS); N_HWM[i]=$(status_kb "$npid" VmHWM)
		N_ANON[i]=$(status_kb "$npid" RssAnon)
	fi
	sm1=$(count_lines "$W/pf/maillog" 'smtpd.*: disconnect from')
	im1=$(count_lines "$W/dv/dovecot.log" 'imap-login: ')
	pm1=$(count_lines "$W/dv/dovecot.log" 'pop3-login: ')

	stop_pid "$mpid"
	[ -z "$npid" ] || stop_pid "$npid"

	local secs cyc
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	cyc=$(awk -v a="$t0" -v b="$t1" -v iv="$INTERVAL_S" 'BEGIN { printf "%.4f", (b - a) / 1e9 / iv }')
	M_CPU[i]=$(awk -v a="$m0" -v b="$m1" -v c="$cyc" 'BEGIN { printf "%.3f", (b - a) / 1e6 / c }')
	M_TCPU[i]=$(awk -v a="$mt0" -v b="$mt1" -v c="$cyc" 'BEGIN { printf "%.3f", (b - a) / 1e6 / c }')
	M_ERR[i]=$(grep -c -E 'error|critical|unknown' "$W/mxsla/log.$i")
	printf 'run %d: %s s measured; mxsla-agent %s ms/cycle, RSS %s -> %s kB, peak %s kB' \
		"$i" "$secs" "${M_CPU[i]}" "${M_RSS0[i]}" "${M_RSS[i]}" "${M_HWM[i]}"
	if [ -n "$npid" ]; then
		N_CPU[i]=$(awk -v a="$n0" -v b="$n1" -v c="$cyc" 'BEGIN { printf "%.3f", (b - a) / 1e6 / c }')
		N_TCPU[i]=$(awk -v a="$nt0" -v b="$nt1" -v c="$cyc" 'BEGIN { printf "%.3f", (b - a) / 1e6 / c }')
		N_ERR[i]=$(count_lines "$W/monit/monit.log" 'error\|failed')
		printf '; monit %s ms/cycle, RSS %s -> %s kB, peak %s kB' \
			"${N_CPU[i]}" "${N_RSS0[i]}" "${N_RSS[i]}" "${N_HWM[i]}"
	fi
	printf '\n'
	printf '       server side in the window: %d SMTP, %d IMAP, %d POP3 sessions (%d expected each at one per cycle per program)\n' \
		$((sm1 - sm0)) $((im1 - im0)) $((pm1 - pm0)) $(( (HAVE_MONIT + 1) * CYCLES ))
	[ "${M_ERR[i]}" = 0 ] || { say "       mxsla-agent reported failures:"; grep -E 'error|critical|unknown' "$W/mxsla/log.$i" | head -5 | sed 's/^/         /'; }
	[ -z "$npid" ] || [ "${N_ERR[i]}" = 0 ] || { say "       monit reported failures:"; grep 'error\|failed' "$W/monit/monit.log" | head -5 | sed 's/^/         /'; }
}

median() {
	case " $* " in *" - "*) echo -; return ;; esac
	printf '%s\n' "$@" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

case "$CG_KIND" in
v1) CPU_HOW="cpuacct group per program (cgroup v1, ns)" ;;
v2) CPU_HOW="cgroup per program (cgroup v2 cpu.stat, us)" ;;
*) CPU_HOW="/proc/PID/stat utime+stime+cutime+cstime (1/$CLK_TCK s ticks)" ;;
esac
say "mxsla-agent $("$AGENT" --version 2>/dev/null | head -1 | sed 's/^mxsla-agent *//') vs monit ${MONIT_VERSION:-(not installed)} on $(nproc) CPU(s), $(uname -sr)"
say "five checks: filesystem /, process dovecot, SMTP :$SMTP_PORT, IMAP :$IMAP_PORT, POP3 :$POP3_PORT on 127.0.0.1; cycle ${INTERVAL_S} s"
say "$RUNS run(s) of $DURATION s, the first $WARMUP s left out; cycles = measured seconds / ${INTERVAL_S} s (about $CYCLES per run) for each program"
say "CPU from: $CPU_HOW"
say ""
for i in $(seq 1 "$RUNS"); do
	one_run "$i"
done

mc=$(median "${M_CPU[@]}"); mt=$(median "${M_TCPU[@]}")
mr=$(median "${M_RSS[@]}"); mh=$(median "${M_HWM[@]}")
ma=$(median "${M_ANON[@]}")
if [ "$HAVE_MONIT" = 1 ]; then
	nc=$(median "${N_CPU[@]}"); nt=$(median "${N_TCPU[@]}")
	nr=$(median "${N_RSS[@]}"); nh=$(median "${N_HWM[@]}")
	na=$(median "${N_ANON[@]}")
else
	nc=-; nt=-; nr=-; nh=-; na=-
fi

row() { # LABEL MXSLA MONIT (numbers or -)
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN {
		r = (a != "-" && b != "-" && b + 0 > 0) ? sprintf("%.2f", a / b) : "-"
		printf "%-28s %14s %14s %8s\n", l, a, b, r }'
}
mb() {
	if [ "$1" = - ]; then echo -; else awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; fi
}

say ""
say "medians of $RUNS run(s):"
printf '%-28s %14s %14s %8s\n' "" "mxsla-agent" "monit ${MONIT_VERSION:-}" "ratio"
row "CPU per cycle (ms)" "$mc" "$nc"
[ "$CG_KIND" = proc ] || row "  same from /proc ticks (ms)" "$mt" "$nt"
row "RSS at the end (MB)" "$(mb "$mr")" "$(mb "$nr")"
row "peak RSS, VmHWM (MB)" "$(mb "$mh")" "$(mb "$nh")"
row "  anonymous part (MB)" "$(mb "$ma")" "$(mb "$na")"
[ "$HAVE_MONIT" = 0 ] || say "(ratio = mxsla-agent / monit: below 1 means mxsla-agent uses less)"
[ "$HAVE_MONIT" = 1 ] || { say ""; monit_missing_note; }
exit 0

#!/usr/bin/env bash
# scan-real.sh - `mxsla-agent scan --format json` against real programs on
# 127.0.0.1: a Postfix instance of its own holding a deferred queue of a
# known size, Dovecot IMAP and POP3 up and then stopped, a small real
# filesystem filled to a known level, a monitoring-plugins check, and a
# TCP listener that never answers.  The report must carry the exact
# counts and the right status for each.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (Postfix instance, loop mount)"
need postfix postqueue sendmail dovecot doveadm jq mke2fs
PLUGIN=/usr/lib/nagios/plugins/check_dummy
[ -x "$PLUGIN" ] || skip_all "monitoring-plugins-basic not installed"
plan 24

mktmp W
NDEFERRED=7

# a port found free can still be taken before the daemon binds it: retry
for try in 1 2 3; do
	SMTP_PORT=$(free_port)
	start_postfix "$W/pf" "$SMTP_PORT" && break
	[ "$try" = 3 ] && { diag "postfix did not start"; exit 1; }
done
queue_deferred "$W/pf" "$NDEFERRED" || { diag "messages did not reach the deferred queue"; exit 1; }
for try in 1 2 3; do
	IMAP_PORT=$(free_port); POP3_PORT=$(free_port)
	start_dovecot "$W/dv" "$IMAP_PORT" "$POP3_PORT" && break
	doveadm -c "$W/dv/dovecot.conf" stop >/dev/null 2>&1
	[ "$try" = 3 ] && { diag "dovecot did not start"; exit 1; }
done
mount_small_fs "$W/fs" 16 || skip_all "cannot mount a small filesystem"
# fill to a known level: 11 MB of 16
dd if=/dev/zero of="$W/fs/mnt/fill" bs=1M count=11 status=none
sync
read -r BAVAIL BLOCKS BFREE <<<"$(stat -f -c '%a %b %f' "$W/fs/mnt")"
WANT_FREE=$(awk -v a="$BAVAIL" -v b="$BLOCKS" -v f="$BFREE" 'BEGIN { printf "%.1f", a * 100 / (b - (f - a)) }')

"$top_builddir/tests/integration/silent-listener" 120 > "$W/silent.port" &
SILENT_PID=$!
cleanup "kill $SILENT_PID"
for _ in $(seq 1 50); do [ -s "$W/silent.port" ] && break; sleep 0.1; done
SILENT_PORT=$(cat "$W/silent.port")

mkdir -p "$W/rules"
cat > "$W/rules/test.yaml" <<EOR
pack: test
description: rules of the integration test
rules:
  - id: t.deferred
    title: Deferred queue
    probe: queue
    warning: deferred >= $NDEFERRED
    critical: deferred > $NDEFERRED
  - id: t.up
    title: Service answers
    probe: service
    critical: up == 0
  - id: t.disk
    title: Free space
    probe: disk
    warning: free_pct < 50
    critical: free_pct < 5
  - id: t.plugin
    title: Plugin status
    probe: plugin
    warning: status == 1
    critical: status == 2
    unknown: status == 3
EOR
cat > "$W/agent.yaml" <<EOC
agent: { id: itest, site: lab, roles: [mailbox, hub-transport, client-access] }
interval: 60s
timeout: 3s
rules: [rules]
targets:
  - { name: smtp, probe: service, protocol: smtp, host: 127.0.0.1, port: $SMTP_PORT }
  - { name: imap, probe: service, protocol: imap, host: 127.0.0.1, port: $IMAP_PORT }
  - { name: pop3, probe: service, protocol: pop3, host: 127.0.0.1, port: $POP3_PORT }
  - { name: silent, probe: service, protocol: smtp, host: 127.0.0.1, port: $SILENT_PORT, timeout: 3s }
  - { name: queue, probe: queue, driver: postfix, config_dir: "$W/pf/etc" }
  - { name: fs, probe: disk, path: "$W/fs/mnt" }
  - { name: dummy, probe: plugin, command: [$PLUGIN, "1", "queue looks odd"] }
EOC

st() { jq -r --arg c "$2" '.findings[] | select(.check == $c) | .status' "$1"; }
val() { jq -r --arg c "$2" ".findings[] | select(.check == \$c) | $3" "$1"; }

start=$SECONDS
"$AGENT" -c "$W/agent.yaml" scan --format json > "$W/scan1.json" 2> "$W/scan1.err"
rc=$?
elapsed=$((SECONDS - start))
is "$rc" 2 "scan exits 2 when a check is critical"
is "$(val "$W/scan1.json" t.deferred@queue .metrics.deferred)" "$NDEFERRED" "deferred count is exact"
is "$(val "$W/scan1.json" t.deferred@queue .metrics.total)" "$NDEFERRED" "total count is exact"
is "$(st "$W/scan1.json" t.deferred@queue)" warning "deferred >= $NDEFERRED is a warning"
is "$(val "$W/scan1.json" t.deferred@queue .message)" "deferred = $NDEFERRED (>= $NDEFERRED)" "message names the value and threshold"
age=$(val "$W/scan1.json" t.deferred@queue .metrics.oldest_age_s)
[ "$age" -ge 0 ] 2>/dev/null && [ "$age" -lt 600 ]; ok $? "oldest_age_s is plausible ($age)"
is "$(val "$W/scan1.json" t.deferred@queue .facts.top_destination)" "remote1.example" "top destination is the busiest domain"
is "$(st "$W/scan1.json" t.up@smtp)" ok "real Postfix smtpd is up"
is "$(val "$W/scan1.json" t.up@smtp '.facts.banner | test("^220 ")')" true "SMTP banner captured"
is "$(st "$W/scan1.json" t.up@imap)" ok "real Dovecot IMAP is up"
is "$(val "$W/scan1.json" t.up@imap '.facts.banner | test("Dovecot")')" true "IMAP greeting captured"
is "$(st "$W/scan1.json" t.up@pop3)" ok "real Dovecot POP3 is up"
is "$(st "$W/scan1.json" t.up@silent)" critical "a listener that never answers is down"
is "$(val "$W/scan1.json" t.up@silent .metrics.up)" 0 "silent listener: up = 0"
[ "$elapsed" -le 8 ]; ok $? "the silent target did not serialise the scan (${elapsed}s)"
got_free=$(val "$W/scan1.json" t.disk@fs '.metrics.free_pct * 10 | round / 10')
awk -v a="$got_free" -v b="$WANT_FREE" 'BEGIN { exit !(a - b < 0.15 && b - a < 0.15) }'
ok $? "free_pct $got_free matches statvfs ($WANT_FREE)"
is "$(st "$W/scan1.json" t.disk@fs)" warning "a filesystem filled to ${WANT_FREE}% free is a warning"
is "$(st "$W/scan1.json" t.plugin@dummy)" warning "plugin exit 1 is a warning"
is "$(val "$W/scan1.json" t.plugin@dummy .facts.output)" "WARNING: queue looks odd" "plugin output captured"
is "$(jq -r '.summary.critical' "$W/scan1.json")" 1 "summary counts one critical"

stop_dovecot "$W/dv" "$IMAP_PORT" || diag "dovecot did not stop"
"$AGENT" -c "$W/agent.yaml" scan --format json --only 't.up' > "$W/scan2.json" 2>/dev/null
rc=$?
is "$rc" 2 "scan with Dovecot stopped exits 2"
is "$(st "$W/scan2.json" t.up@imap)" critical "IMAP down after Dovecot stopped"
is "$(st "$W/scan2.json" t.up@pop3)" critical "POP3 down after Dovecot stopped"
is "$(jq '.findings | length' "$W/scan2.json")" 4 "--only limits the report to the matching rule"
done_testing

#!/bin/bash
# report-mail.sh - the monthly SLA report end to end: a real collector is
# fed a month of results over HTTP (dated in the previous month), writes
# the finished month's report to reports.dir and mails it through a real
# Postfix instance on 127.0.0.1, which delivers it to a Maildir; the mail
# is taken apart (subject, multipart structure, the attached CSV).
. "$(dirname "$0")/lib.sh"

COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$COLLECTOR" ] || skip_all "mxsla-collector not built"
need postfix postconf curl jq python3 base64
[ "$(id -u)" = 0 ] || skip_all "needs root to run a Postfix instance"

plan 14

mktmp D
SMTP_PORT=$(free_port)
HTTP_PORT=$(free_port)
start_postfix "$D/pf" "$SMTP_PORT" || { ok 1 "postfix starts"; exit 1; }

# Local delivery for the test: localhost is a local domain, mail to
# nobody@localhost lands in a Maildir of its own (trailing slash =
# Maildir), and no alias database is needed.
mkdir -p "$D/spool"
chmod 1777 "$D/spool"
postconf -c "$D/pf/etc" -e "mydestination = localhost" "mail_spool_directory = $D/spool/" \
	"alias_maps =" "alias_database =" "biff = no"
postfix -c "$D/pf/etc" reload >/dev/null 2>&1

# The previous month, UTC: [PSTART, PEND)
THIS=$(date -u +%Y-%m-01)
PREV=$(date -u -d "$THIS -1 month" +%Y-%m)
PSTART=$(date -u -d "$PREV-01" +%s)
PEND=$(date -u -d "$THIS" +%s)
SCHED=$((PEND - PSTART))

printf 'report-mail-token-0123456789\n' > "$D/token"
chmod 600 "$D/token"
mkdir -p "$D/reports"
cat > "$D/collector.yaml" <<EOF
listen: 127.0.0.1:$HTTP_PORT
database: $D/mxsla.db
timezone: UTC
agents:
  - { id: hub1, token_file: $D/token }
services:
  - id: mailflow
    name: Internal mail flow
    target: 99.9
    components: ["hub1:service.smtp@smtp"]
reports:
  dir: $D/reports/out
  mail:
    url: "smtp://127.0.0.1:$SMTP_PORT"
    from: "mxsla@example.org"
    to: ["nobody@localhost"]
    subject: "SLA report %s for the NOC"
EOF

COLLECTOR_PID=
start_collector() {
	"$COLLECTOR" -c "$D/collector.yaml" serve >> "$D/collector.log" 2>&1 &
	COLLECTOR_PID=$!
	cleanup "kill $COLLECTOR_PID"
	wait_port "$HTTP_PORT" 20
}
stop_collector() {
	kill "$COLLECTOR_PID" 2>/dev/null
	wait "$COLLECTOR_PID" 2>/dev/null
	for _ in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

start_collector
ok $? "collector listens"

# A month of hourly ok results for one check, in one batch (SPEC 3.3).
jq -n --argjson from "$PSTART" --argjson to "$PEND" '
	{agent: "hub1", site: "hq", roles: ["hub-transport"], stream: "report-mail-1", batch: 1,
	 results: [range($from; $to; 3600) | {check: "service.smtp@smtp", rule: "service.smtp",
		target: "smtp", kind: "health", ts: ., interval: 3600, status: "ok",
		message: "", metrics: {up: 1}, facts: {}, title: "SMTP answers"}]}' > "$D/batch.json"
code=$(curl -s -o "$D/ingest.out" -w '%{http_code}' -H "Authorization: Bearer $(cat "$D/token")" \
	-H 'Content-Type: application/json' --data-binary @"$D/batch.json" \
	"http://127.0.0.1:$HTTP_PORT/api/v1/results")
is "$code" 200 "results of $PREV accepted"

# The monthly duty runs at start-up (and every minute): restart so that
# the test does not wait for the next tick.
stop_collector
ok $? "collector stops"
start_collector
ok $? "collector starts again"

for _ in $(seq 1 300); do
	[ -f "$D/reports/out/mxsla-sla-$PREV.json" ] && break
	sleep 0.2
done
files=$(cd "$D/reports/out" 2>/dev/null && ls mxsla-sla-* | tr '\n' ' ')
is "$files" "mxsla-sla-$PREV.csv mxsla-sla-$PREV.html mxsla-sla-$PREV.json " \
	"the three report files are written"
is "$(jqf "$D/reports/out/mxsla-sla-$PREV.json" '[.month, .complete, .services[0].scheduled_s] | @tsv')" \
	"$PREV	true	$SCHED" "the JSON report is the finished month"

MAILDIR="$D/spool/nobody/new"
for _ in $(seq 1 300); do
	[ -n "$(ls -A "$MAILDIR" 2>/dev/null)" ] && break
	sleep 0.2
done
nmail=$(ls -A "$MAILDIR" 2>/dev/null | wc -l)
is "$nmail" 1 "one mail delivered"
[ "$nmail" -ge 1 ] || { diag "collector log:"; sed 's/^/# /' "$D/collector.log"; tail -n 20 "$D/pf/maillog" | sed 's/^/# /'; }
MAIL="$MAILDIR/$(ls -A "$MAILDIR" 2>/dev/null | head -n 1)"

# Take the message apart with Python's email parser: one line per part.
python3 - "$MAIL" "$D/att.csv" > "$D/parts" 2>&1 <<'EOF'
import email, sys
from email import policy
with open(sys.argv[1], 'rb') as f:
    m = email.message_from_binary_file(f, policy=policy.default)
print("subject\t" + str(m['subject']))
print("type\t" + m.get_content_type())
print("mime\t" + str(m['mime-version']))
print("date\t" + ("yes" if m['date'] and m['date'].datetime else "no"))
print("msgid\t" + ("yes" if str(m['message-id']).startswith('<') else "no"))
for p in m.iter_parts():
    print("part\t%s\t%s" % (p.get_content_type(), p.get_filename() or ""))
    if p.get_content_type() == 'text/csv':
        with open(sys.argv[2], 'wb') as o:
            o.write(p.get_payload(decode=True))
EOF
field() { awk -F'\t' -v k="$1" '$1 == k { sub(/^[^\t]*\t/, ""); print }' "$D/parts"; }
is "$(field subject)" "SLA report $PREV for the NOC" "Subject names the month"
is "$(field type)/$(field mime)" "multipart/mixed/1.0" "multipart/mixed, MIME-Version 1.0"
is "$(field date)$(field msgid)" "yesyes" "Date and Message-ID headers are valid"
is "$(field part | tr '\t' ' ' | tr '\n' '|')" \
	"text/html |text/csv mxsla-sla-$PREV.csv|application/json mxsla-sla-$PREV.json|" \
	"HTML body, CSV and JSON attached"
is "$(head -n 1 "$D/att.csv" | tr -d '\r')" \
	"service,name,target,availability,availability_total,met,scheduled_s,maintenance_s,up_s,down_s,nodata_s,degraded_s,planned_down_s,budget_s,budget_left_s,incidents,mttr_s,mtbf_s" \
	"the attached CSV starts with the SPEC header"
# hourly ok results all month: up all the time; budget 0.1 % of it
BUDGET=$((SCHED / 1000))
is "$(sed -n 2p "$D/att.csv" | tr -d '\r')" \
	"mailflow,Internal mail flow,99.9,100,100,true,$SCHED,0,$SCHED,0,0,0,0,$BUDGET,$BUDGET,0,," \
	"the attached CSV holds the service row"

# Once written and mailed, a restart neither writes nor mails it again.
stop_collector
rm -f "$D/reports/out/mxsla-sla-$PREV.html"
start_collector
sleep 3
n2=$(ls -A "$MAILDIR" 2>/dev/null | wc -l)
is "$n2/$([ -f "$D/reports/out/mxsla-sla-$PREV.html" ] && echo rewritten || echo kept)" \
	"1/kept" "a restart does not write or mail the month again"
[ "$n2" = 1 ] || { diag "collector log:"; sed 's/^/# /' "$D/collector.log"
	for f in "$MAILDIR"/*; do grep -E '^(Subject|Message-ID|Date):' "$f" | sed 's/^/# /'; done; }

done_testing

# fixture.sh - a real collector with a database of its own, fed through
# the ingest API with curl, for the browser tests and the screenshots.
# Sourced after tests/integration/lib.sh; needs curl, jq and openssl.
#
# fixture_start DIR: writes DIR/collector.yaml (two agents that report, one
# that never did; two services; maintenance windows in the config; a user
# admin with the password in $UI_PASS; three report files), starts the
# collector and feeds it.  Sets PORT, URL, PID, UI_USER, UI_PASS, TOKEN.
# fixture_result AGENT CHECK STATUS MESSAGE [TS]: post one health result.

UI_USER=admin
UI_PASS=correct-horse-battery
TOKEN_MBX=ui-test-token-mbx01-0123456789
TOKEN_HUB=ui-test-token-hub01-0123456789

fixture_start() {
	local d=$1 hash month
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	printf '%s\n' "$TOKEN_MBX" > "$d/mbx01.token"
	printf '%s\n' "$TOKEN_HUB" > "$d/hub01.token"
	printf '%s\n' "ui-test-token-edge01-0123456789" > "$d/edge01.token"
	chmod 600 "$d"/*.token
	hash=$(openssl passwd -6 -salt uitestsalt "$UI_PASS")
	mkdir -p "$d/reports"
	month=$(TZ=Europe/Berlin date -d "$(TZ=Europe/Berlin date +%Y-%m-15) -1 month" +%Y-%m)
	FIX_PREV_MONTH=$month
	# the weekly window falls on a day three days away, so that it never
	# covers the fed outage, whatever day the tests run
	FIX_WEEKLY_DAY=$(TZ=Europe/Berlin LC_ALL=C date -d '+3 days' +%a | tr 'A-Z' 'a-z')
	cat > "$d/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $d/mxsla.db
timezone: Europe/Berlin
agents:
  - { id: mbx01, token_file: $d/mbx01.token }
  - { id: hub01, token_file: $d/hub01.token }
  - { id: edge01, token_file: $d/edge01.token }
ui:
  users: [{ name: $UI_USER, password_hash: "$hash" }]
services:
  - { id: mailflow, name: Internal mail flow, target: 99.9, components: ["hub01:service.smtp@smtp", "hub01:queue.deferred@queue"] }
  - { id: imap, name: Mailbox access (IMAP), target: 99.5, components: ["mbx01:imap.up@imap"] }
maintenance:
  - { services: ["*"], weekly: { days: [$FIX_WEEKLY_DAY], from: "02:00", to: "03:00" }, reason: "weekly backup window" }
  - { services: [imap], start: "2030-01-10 22:00", end: "2030-01-11 02:00", reason: "storage migration" }
reports: { dir: $d/reports }
EOC
	"$COLLECTOR" -c "$d/collector.yaml" serve > "$d/log" 2>&1 &
	PID=$!
	cleanup "kill -9 $PID"
	wait_port "$PORT" 10 || return 1
	# a report of last month, written by the collector's own report command
	for f in html csv json; do
		"$COLLECTOR" -c "$d/collector.yaml" report --month "$month" --format $f > "$d/reports/mxsla-sla-$month.$f" || return 1
	done
	fixture_feed
}

# post_batch TOKEN AGENT SITE ROLE RESULTS-JSON-ARRAY -> HTTP code.  Runs
# in a $(...) subshell, so the batch number is the clock's (nanoseconds),
# not a counter that would not survive it.
post_batch() {
	jq -cn --arg a "$2" --arg s "$3" --arg r "$4" --argjson b "$(date +%s%N)" --argjson rs "$5" \
		'{agent: $a, site: $s, roles: [$r], stream: "ui-fixture", batch: $b, results: $rs}' |
		curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" \
			-H "Content-Type: application/json" --data-binary @- "$URL/api/v1/results"
}

# health CHECK STATUS MESSAGE TS [METRICS-JSON]
health() {
	local rule=${1%@*} target=${1#*@} me=${5:-'{}'}
	jq -cn --arg c "$1" --arg ru "$rule" --arg t "$target" --arg st "$2" --arg m "$3" \
		--argjson ts "$4" --argjson me "$me" \
		'{check: $c, rule: $ru, target: $t, kind: "health", ts: $ts, interval: 300, status: $st,
		  message: $m, metrics: $me, title: ($ru + " on " + $t)}'
}

fixture_feed() {
	local now rs i code
	now=$(date +%s)
	# hub01: an hour of queue history (a rising deferred queue), smtp ok
	rs="["
	for i in $(seq 12 -1 0); do
		st=ok; [ "$i" -lt 3 ] && st=warning
		rs="$rs$(health queue.deferred@queue $st "$((150 - i * 10)) messages deferred" $((now - i * 300)) \
			"{\"deferred\":$((150 - i * 10)),\"oldest_s\":$((600 + i * 7))}"),"
	done
	rs="$rs$(health service.smtp@smtp ok "220 banner in 12 ms" "$now" '{"connect_ms":12}')]"
	code=$(post_batch "$TOKEN_HUB" hub01 dc2 hub "$rs"); [ "$code" = 200 ] || return 1
	# mbx01: imap critical for two minutes (so that this month's SLA has
	# down time whatever second the page asks), with markup in its message;
	# disk ok; best-practice findings
	rs="[$(health imap.up@imap critical '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> login failed' "$((now - 120))" '{"login_ms":5000}'),"
	rs="$rs$(health disk.free@/var ok "41 % free" "$now" '{"free_pct":41}'),"
	rs="$rs$(jq -cn --argjson ts "$now" '{check: "bp.tls@smtp", rule: "bp.tls", target: "smtp", kind: "best-practice",
		ts: $ts, interval: 3600, status: "critical", message: "STARTTLS is not offered on port 587",
		title: "TLS on submission", advice: "Offer STARTTLS on the submission port (smtpd_tls_security_level = may).",
		references: ["https://www.postfix.org/TLS_README.html", "DOMAIN.md §4", "javascript:window.__xss=3"]}'),"
	rs="$rs$(jq -cn --argjson ts "$now" '{check: "bp.backup@store", rule: "bp.backup", target: "store", kind: "best-practice",
		ts: $ts, interval: 3600, status: "warning", message: "last full backup 3 days ago",
		title: "Backup age", advice: "Run a full backup at least every 24 hours.", references: ["DOMAIN.md §7"]}')]"
	code=$(post_batch "$TOKEN_MBX" mbx01 hq mailbox "$rs"); [ "$code" = 200 ] || return 1
	# a past violation of mbx01 (closed): disk warning an hour ago, then ok
	rs="[$(health disk.free@/var warning "9 % free" $((now - 3600))),$(health disk.free@/var ok "40 % free" $((now - 3000)))]"
	code=$(post_batch "$TOKEN_MBX" mbx01 hq mailbox "$rs"); [ "$code" = 200 ] || return 1
}

# fixture_result AGENT CHECK STATUS MESSAGE
fixture_result() {
	local tok=$TOKEN_MBX site=hq role=mailbox
	[ "$1" = hub01 ] && { tok=$TOKEN_HUB; site=dc2; role=hub; }
	post_batch "$tok" "$1" "$site" "$role" "[$(health "$2" "$3" "$4" "$(date +%s)")]"
}

# demo.sh - a collector with a realistic month of a small messaging
# installation, for the screenshots in docs/screenshots/ (the browser
# tests keep using fixture.sh, whose data is small and exact).
# Sourced after tests/integration/lib.sh with COLLECTOR set; needs curl,
# jq, openssl and python3.
#
# demo_start DIR: writes DIR/collector.yaml (five agents mbx01, mbx02,
# hub01, hub02, edge01 in the sites hq and dc2; the services "Internal
# mail flow", "Mailbox access" on business hours and "Outbound mail"; a
# weekly backup window and a one-off window), starts the collector and
# feeds it through POST /api/v1/results: three weeks of 5-minute results
# of twelve checks per agent, the service checks back to the start of last
# month every 15 minutes, incidents (one inside the backup window, one on
# one mailbox server only), four violations open now (one acknowledged
# through the API), best-practice findings, last month's report files
# written by "mxsla-collector report" and a maintenance window added
# through the API.  Sets PORT, URL, PID, UI_USER, UI_PASS and
# DEMO_SLA_MONTH (this month, or last month in the first week of a month,
# when this month has little to show).

DEMO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# UI_USER, UI_PASS and post_batch/health come from the test fixture
. "$DEMO_DIR/fixture.sh"

DEMO_AGENTS="mbx01:hq:mailbox mbx02:dc2:mailbox hub01:hq:hub hub02:dc2:hub edge01:hq:edge"

# demo_token AGENT: the agent's bearer token
demo_token() { printf 'demo-token-%s-0123456789abcdef' "$1"; }

demo_start() {
	local d=$1 hash a id now prev wday oneoff_s oneoff_e
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	now=$(date +%s)
	DEMO_NOW=$now
	for a in $DEMO_AGENTS; do
		id=${a%%:*}
		demo_token "$id" > "$d/$id.token"
	done
	chmod 600 "$d"/*.token
	hash=$(openssl passwd -6 -salt demosalt0 "$UI_PASS")
	mkdir -p "$d/reports" "$d/batches"
	prev=$(TZ=Europe/Berlin date -d "$(TZ=Europe/Berlin date +%Y-%m-15) -1 month" +%Y-%m)
	DEMO_PREV_MONTH=$prev
	DEMO_SLA_MONTH=$(TZ=Europe/Berlin date +%Y-%m)
	[ "$(TZ=Europe/Berlin date +%-d)" -lt 8 ] && DEMO_SLA_MONTH=$prev
	# the weekly backup window falls on the weekday of two days ago: it
	# lies three times in the fed weeks and is never active now
	wday=$(TZ=Europe/Berlin LC_ALL=C date -d '-2 days' +%a | tr 'A-Z' 'a-z')
	# the one-off window: four days ago, 22:00-23:30, the Postfix upgrade
	oneoff_s="$(TZ=Europe/Berlin date -d '-4 days' +%Y-%m-%d) 22:00"
	oneoff_e="$(TZ=Europe/Berlin date -d '-4 days' +%Y-%m-%d) 23:30"
	cat > "$d/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $d/mxsla.db
database_sync: normal
timezone: Europe/Berlin
agents:
  - { id: mbx01, token_file: $d/mbx01.token }
  - { id: mbx02, token_file: $d/mbx02.token }
  - { id: hub01, token_file: $d/hub01.token }
  - { id: hub02, token_file: $d/hub02.token }
  - { id: edge01, token_file: $d/edge01.token }
ui:
  users: [{ name: $UI_USER, password_hash: "$hash" }]
calendars:
  business: { days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00", holidays: [$(TZ=Europe/Berlin date +%Y)-12-24, $(TZ=Europe/Berlin date +%Y)-12-25, $(TZ=Europe/Berlin date +%Y)-12-26] }
services:
  - id: mailflow
    name: Internal mail flow
    target: 99.9
    components: ["hub*:service.smtp@smtp", "hub*:queue.deferred@queue"]
    require: all
  - id: mailbox
    name: Mailbox access
    target: 99.5
    hours: business
    components: ["mbx*:imap.up@imap"]
    require: any
  - id: outbound
    name: Outbound mail
    target: 99.5
    components: ["edge*:service.smtp@smtp", "edge*:smtp.outbound@relay"]
    require: all
maintenance:
  - { services: ["*"], weekly: { days: [$wday], from: "02:00", to: "04:00" }, reason: "weekly backup window" }
  - { services: [mailflow], start: "$oneoff_s", end: "$oneoff_e", reason: "Postfix 3.7 upgrade on hub01 and hub02" }
reports: { dir: $d/reports }
retention: { raw: 120d }
EOC
	"$COLLECTOR" -c "$d/collector.yaml" serve > "$d/log" 2>&1 &
	PID=$!
	cleanup "kill -9 $PID"
	wait_port "$PORT" 10 || return 1
	demo_data "$now" "$d/batches" || return 1
	demo_feed "$d/batches" || return 1
	demo_findings || return 1
	# last month's report, written by the collector's own report command
	# once the data is in (the collector's monthly duty may have written
	# one from part of the data meanwhile: these replace it)
	for f in html csv json; do
		"$COLLECTOR" -c "$d/collector.yaml" report --month "$prev" --format $f \
			> "$d/reports/mxsla-sla-$prev.$f.tmp" || return 1
		mv "$d/reports/mxsla-sla-$prev.$f.tmp" "$d/reports/mxsla-sla-$prev.$f"
	done
	demo_writes
}

# demo_post FILE: post one batch file of the agent named in it.
demo_post() {
	local f=$1 agent code
	agent=$(basename "$f" .json)
	agent=${agent#*-}
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(demo_token "$agent")" \
		-H "Content-Type: application/json" --data-binary @"$f" "$URL/api/v1/results")
	[ "$code" = 200 ] || { echo "demo.sh: $f: HTTP $code" >&2; return 1; }
}

# demo_feed DIR: each agent's batches in order (its results by time), the
# agents side by side.
demo_feed() {
	local dir=$1 a id f pids=() rc=0 p
	for a in $DEMO_AGENTS; do
		id=${a%%:*}
		( for f in "$dir"/*-"$id".json; do demo_post "$f" || exit 1; done ) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return $rc
}

# bp CHECK TITLE STATUS MESSAGE ADVICE REFERENCES-JSON
bp() {
	jq -cn --arg c "$1" --arg ti "$2" --arg st "$3" --arg m "$4" --arg ad "$5" --argjson refs "$6" \
		--argjson ts "$((DEMO_NOW - 420))" \
		'{check: $c, rule: ($c | sub("@.*"; "")), target: ($c | sub("^[^@]*@"; "")), kind: "best-practice",
		  ts: $ts, interval: 3600, status: $st, message: $m, title: $ti, advice: $ad, references: $refs}'
}

# demo_findings: the best-practice rules' latest results of every agent
demo_findings() {
	local code
	code=$(post_batch "$(demo_token edge01)" edge01 hq edge "[$(bp bp.tls.submission@smtp 'TLS on submission' critical \
		'STARTTLS is not offered on port 587; clients send passwords in clear text' \
		'Offer STARTTLS on the submission port (smtpd_tls_security_level = encrypt in the submission service of master.cf).' \
		'["https://www.postfix.org/TLS_README.html", "https://www.rfc-editor.org/rfc/rfc8314"]'),$(bp bp.dmarc@example.net 'DMARC policy' warning \
		'_dmarc.example.net publishes p=none: spoofed mail is reported, not rejected' \
		'Move to p=quarantine, then p=reject, once the aggregate reports show only legitimate senders.' \
		'["https://www.rfc-editor.org/rfc/rfc7489", "https://dmarc.org/overview/"]'),$(bp bp.open_relay@smtp 'Open relay' ok \
		'relaying for foreign domains is refused' '' '[]')]")
	[ "$code" = 200 ] || return 1
	code=$(post_batch "$(demo_token hub01)" hub01 hq hub "[$(bp bp.postscreen@smtp 'Postscreen' warning \
		'postscreen is not enabled in front of smtpd on port 25' \
		'Enable postscreen with DNSBL weighting to drop botnet connections before they reach smtpd.' \
		'["https://www.postfix.org/POSTSCREEN_README.html"]'),$(bp bp.tls.protocols@smtp 'TLS protocol versions' warning \
		'TLSv1 and TLSv1.1 are still accepted (smtpd_tls_protocols = !SSLv2, !SSLv3)' \
		'Set smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2.' \
		'["https://www.postfix.org/postconf.5.html#smtpd_tls_protocols", "https://www.rfc-editor.org/rfc/rfc8996"]')]")
	[ "$code" = 200 ] || return 1
	code=$(post_batch "$(demo_token hub02)" hub02 dc2 hub "[$(bp bp.postscreen@smtp 'Postscreen' warning \
		'postscreen is not enabled in front of smtpd on port 25' \
		'Enable postscreen with DNSBL weighting to drop botnet connections before they reach smtpd.' \
		'["https://www.postfix.org/POSTSCREEN_README.html"]'),$(bp bp.dkim@example.net 'DKIM key length' unknown \
		'selector mail2026._domainkey.example.net: DNS lookup timed out' \
		'Publish a 2048-bit RSA key for every signing selector.' \
		'["https://www.rfc-editor.org/rfc/rfc8301"]')]")
	[ "$code" = 200 ] || return 1
	code=$(post_batch "$(demo_token mbx01)" mbx01 hq mailbox "[$(bp bp.backup@vmail 'Backup age' critical \
		'last full backup of /var/vmail finished 4 days ago' \
		'Run a full backup at least every 24 hours and check the job'"'"'s exit status.' \
		'["https://doc.dovecot.org/admin_manual/backup/"]'),$(bp bp.auth.plaintext@imap 'Plain-text authentication' ok \
		'disable_plaintext_auth = yes' '' '[]')]")
	[ "$code" = 200 ] || return 1
	code=$(post_batch "$(demo_token mbx02)" mbx02 dc2 mailbox "[$(bp bp.backup@vmail 'Backup age' ok \
		'last full backup of /var/vmail finished 9 hours ago' '' '[]'),$(bp bp.fts@imap 'Full-text search index' warning \
		'fts_autoindex is off: the first search in a large folder takes minutes' \
		'Set fts_autoindex = yes so that new mail is indexed on delivery.' \
		'["https://doc.dovecot.org/configuration_manual/fts/"]')]")
	[ "$code" = 200 ] || return 1
}

# demo_writes: log in, acknowledge the open disk violation of mbx01 and
# announce a maintenance window, all through the write API.
demo_writes() {
	local jar csrf id start end
	jar=$(mktemp)
	cleanup "rm -f $jar"
	csrf=$(jq -cn --arg u "$UI_USER" --arg p "$UI_PASS" '{user: $u, password: $p}' |
		curl -s -c "$jar" -H "Content-Type: application/json" --data-binary @- "$URL/api/v1/login" | jq -r .csrf)
	[ -n "$csrf" ] && [ "$csrf" != null ] || { echo "demo.sh: login failed" >&2; return 1; }
	id=$(curl -s "$URL/api/v1/violations?open=1" |
		jq -r '[.[] | select(.agent == "mbx01" and .check == "disk.free@/var/vmail")][0].id')
	[ -n "$id" ] && [ "$id" != null ] || { echo "demo.sh: no open disk violation" >&2; return 1; }
	jq -cn '{comment: "Archiving of the 2019 mailboxes to cold storage runs tonight; frees about 30 %. -- ops"}' |
		curl -s -f -o /dev/null -b "$jar" -H "X-CSRF-Token: $csrf" -H "Content-Type: application/json" \
			--data-binary @- "$URL/api/v1/violations/$id/ack" || return 1
	start="$(TZ=Europe/Berlin date -d '+5 days' +%Y-%m-%d) 21:00"
	end="$(TZ=Europe/Berlin date -d '+5 days' +%Y-%m-%d) 23:00"
	jq -cn --arg s "$start" --arg e "$end" \
		'{services: ["mailbox"], start: $s, end: $e, reason: "Dovecot 2.3.21 update on mbx01 and mbx02 (CHG-4711)"}' |
		curl -s -f -o /dev/null -b "$jar" -H "X-CSRF-Token: $csrf" -H "Content-Type: application/json" \
			--data-binary @- "$URL/api/v1/maintenance" || return 1
}

# demo_data NOW DIR: writes the batches, DIR/NNNN-AGENT.json, each agent's
# results in the order of time, up to 4,000 results a batch.  The numbers
# follow the working day (traffic peaks at 11:00 and 15:00 local time,
# little at night and at weekends) with a fixed seed, so every run draws
# the same pictures for the same clock.
demo_data() {
	python3 - "$@" <<'PYEOF'
import json, math, os, random, sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

NOW = int(sys.argv[1])
OUT = sys.argv[2]
TZ = ZoneInfo('Europe/Berlin')
BATCH = 4000
rnd = random.Random(20261)

def local(days_ago, hhmm):
    d = datetime.fromtimestamp(NOW, TZ).date() - timedelta(days=days_ago)
    h, m = map(int, hhmm.split(':'))
    return int(datetime(d.year, d.month, d.day, h, m, tzinfo=TZ).timestamp())

def weekday_ago(min_days, hhmm):
    """the most recent weekday at least min_days ago, at hhmm"""
    n = min_days
    while (datetime.fromtimestamp(NOW, TZ).date() - timedelta(days=n)).weekday() >= 5:
        n += 1
    return local(n, hhmm)

today = datetime.fromtimestamp(NOW, TZ)
pm = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
PREV0 = int(datetime(pm.year, pm.month, 1, tzinfo=TZ).timestamp())
def prev_day(day, hhmm):
    h, m = map(int, hhmm.split(':'))
    return int(datetime(pm.year, pm.month, day, h, m, tzinfo=TZ).timestamp())

END = NOW - NOW % 300
G5 = END - 21 * 86400

_hours = {}
def lhour(t):
    k = t // 3600
    if k not in _hours:
        lt = datetime.fromtimestamp(k * 3600, TZ)
        _hours[k] = (lt.hour, lt.weekday())
    h, wd = _hours[k]
    return h + (t % 3600) / 3600.0, wd

def busy(t):
    """0..1: mail traffic by local time of day and week"""
    h, wd = lhour(t)
    f = math.exp(-((h - 11.0) / 3.2) ** 2) * 0.8 + math.exp(-((h - 15.0) / 2.5) ** 2) * 0.6
    f = min(1.0, f)
    if wd >= 5:
        f *= 0.25
    return f

def noise(a):
    return rnd.uniform(-a, a)

# ---- check models: metrics(agent, t) -> dict; judge(metrics) -> (status, message)
def m_connect(a, t): return {'connect_ms': round(3 + 6 * busy(t) + abs(noise(2)), 1)}
def j_smtp(m): return 'ok', '220 %s ESMTP Postfix, banner in %s ms' % ('%s', m['connect_ms'])
def m_deferred(a, t):
    base = 12 if a.startswith('hub') else 35
    d = int(base + 40 * busy(t) + abs(noise(6)))
    if a == 'hub02' and END - 4 * 3600 <= t:
        # the relay starts throttling hub02: the queue grows towards now
        d += int(85 * (t - (END - 4 * 3600)) / (4 * 3600 - 45 * 60))
        d = min(d, 99)
    return {'deferred': d, 'oldest_s': int(900 + 2400 * busy(t) + abs(noise(300)))}
def j_deferred(m):
    d = m['deferred']
    st = 'critical' if d >= 1000 else 'warning' if d >= 100 else 'ok'
    return st, '%d messages deferred, the oldest for %d min' % (d, m['oldest_s'] // 60)
def m_active(a, t): return {'active': int(2 + 30 * busy(t) + abs(noise(4)))}
def j_active(m): return 'ok', '%d messages in the active queue' % m['active']
def m_procs(a, t): return {'procs': int(18 + 40 * busy(t) + abs(noise(3)))}
def j_procs(m): return 'ok', 'master running, %d processes' % m['procs']
def m_dns(a, t): return {'lookup_ms': round(1.5 + abs(noise(3)) + (18 if rnd.random() < 0.03 else 0), 1)}
def j_dns(m): return 'ok', 'MX example.net resolved in %s ms' % m['lookup_ms']
CERT_END = {'hub01': 61, 'hub02': 61, 'edge01': 44, 'mbx01': 75, 'mbx02': 12.6}
def j_cert(m):
    d = m['days_left']
    st = 'critical' if d < 3 else 'warning' if d < 14 else 'ok'
    return st, 'certificate valid for %d more days' % int(d)
DISK = {'/': 63.0, '/var/spool/postfix': 81.0}
def m_disk(path):
    def f(a, t):
        if path == '/var/vmail':
            top = 19.4 if a == 'mbx01' else 34.0
            slope = 10.5 if a == 'mbx01' else 4.0
            # steady, so that it crosses the warning line once
            v = top - slope * (t - G5) / (END - G5)
        else:
            v = DISK[path] - (2 if a.startswith('mbx') else 0) - 0.5 * busy(t) + noise(0.05)
        return {'free_pct': round(v, 1)}
    return f
def j_disk(m):
    v = m['free_pct']
    st = 'critical' if v < 5 else 'warning' if v < 10 else 'ok'
    return st, '%.1f %% free' % v
def m_load(a, t):
    cores = 8 if a.startswith('mbx') else 4
    l1 = round(0.3 + cores * 0.45 * busy(t) + abs(noise(0.3)), 2)
    return {'load1': l1, 'load5': round(l1 * 0.9, 2)}
def j_load(m):
    st = 'warning' if m['load1'] > 12 else 'ok'
    return st, 'load %.2f' % m['load1']
def m_mem(a, t): return {'avail_pct': round(48 - 14 * busy(t) + noise(1.5), 1)}
def j_mem(m):
    st = 'warning' if m['avail_pct'] < 10 else 'ok'
    return st, '%.1f %% of memory available' % m['avail_pct']
def m_ntp(a, t): return {'offset_ms': round(noise(2.5), 2)}
def j_ntp(m):
    st = 'warning' if abs(m['offset_ms']) > 100 else 'ok'
    return st, 'clock offset %+.1f ms' % m['offset_ms']
def m_imap(a, t): return {'login_ms': int(25 + 60 * busy(t) + abs(noise(10)))}
def j_imap(m): return 'ok', 'probe user logged in in %d ms' % m['login_ms']
def m_pop3(a, t): return {'login_ms': int(20 + 40 * busy(t) + abs(noise(8)))}
def j_pop3(m): return 'ok', 'probe user logged in in %d ms' % m['login_ms']
def j_lmtp(m): return 'ok', 'LMTP greeting in %s ms' % m['connect_ms']
def m_dovecot(a, t): return {'procs': int(40 + 260 * busy(t) + abs(noise(10)))}
def j_dovecot(m): return 'ok', 'dovecot running, %d processes' % m['procs']
def m_repl(a, t): return {'lag_s': int(abs(noise(4)) + 20 * busy(t))}
def j_repl(m):
    st = 'critical' if m['lag_s'] > 1800 else 'warning' if m['lag_s'] > 300 else 'ok'
    return st, 'replication to %s %d s behind' % ('the peer', m['lag_s'])
def m_quota(a, t): return {'users_over_90pct': 14 if a == 'mbx01' else 9}
def j_quota(m): return 'ok', '%d mailboxes over 90 %% of their quota' % m['users_over_90pct']
def m_relay(a, t): return {'delivery_ms': int(180 + 250 * busy(t) + abs(noise(60)))}
def j_relay(m): return 'ok', 'test message accepted by the upstream relay in %d ms' % m['delivery_ms']
def m_rbl(a, t): return {'listed': 0, 'lists': 12}
def j_rbl(m):
    st = 'critical' if m['listed'] > 0 else 'ok'
    return st, 'listed on %d of %d DNS blocklists' % (m['listed'], m['lists'])
def m_spam(a, t): return {'spam_pct': round(38 + 12 * busy(t) + noise(3), 1)}
def j_spam(m): return 'ok', '%.1f %% of inbound mail rejected as spam' % m['spam_pct']

COMMON = [
    ('disk.free@/', 'Disk space /', m_disk('/'), j_disk),
    ('load.avg@system', 'Load average', m_load, j_load),
    ('mem.avail@system', 'Available memory', m_mem, j_mem),
    ('ntp.offset@clock', 'Clock offset', m_ntp, j_ntp),
]
CHECKS = {
    'hub': [
        ('service.smtp@smtp', 'SMTP service', m_connect, j_smtp),
        ('service.submission@submission', 'Submission service', m_connect, j_smtp),
        ('queue.deferred@queue', 'Deferred queue', m_deferred, j_deferred),
        ('queue.active@queue', 'Active queue', m_active, j_active),
        ('process.master@postfix', 'Postfix master', m_procs, j_procs),
        ('dns.mx@resolver', 'MX lookup', m_dns, j_dns),
        ('cert.expiry@smtp', 'Certificate expiry', None, j_cert),
        ('disk.free@/var/spool/postfix', 'Disk space /var/spool/postfix', m_disk('/var/spool/postfix'), j_disk),
    ] + COMMON,
    'mailbox': [
        ('imap.up@imap', 'IMAP login', m_imap, j_imap),
        ('pop3.up@pop3', 'POP3 login', m_pop3, j_pop3),
        ('service.lmtp@lmtp', 'LMTP delivery', m_connect, j_lmtp),
        ('process.dovecot@dovecot', 'Dovecot processes', m_dovecot, j_dovecot),
        ('replication.lag@dsync', 'Replication lag', m_repl, j_repl),
        ('mailbox.quota@users', 'Mailbox quotas', m_quota, j_quota),
        ('cert.expiry@imap', 'Certificate expiry', None, j_cert),
        ('disk.free@/var/vmail', 'Disk space /var/vmail', m_disk('/var/vmail'), j_disk),
    ] + COMMON,
    'edge': [
        ('service.smtp@smtp', 'SMTP service', m_connect, j_smtp),
        ('smtp.outbound@relay', 'Outbound relay', m_relay, j_relay),
        ('queue.deferred@queue', 'Deferred queue', m_deferred, j_deferred),
        ('rbl.listed@rbl', 'DNS blocklists', m_rbl, j_rbl),
        ('spam.ratio@filter', 'Spam ratio', m_spam, j_spam),
        ('process.master@postfix', 'Postfix master', m_procs, j_procs),
        ('cert.expiry@smtp', 'Certificate expiry', None, j_cert),
        ('disk.free@/var/spool/postfix', 'Disk space /var/spool/postfix', m_disk('/var/spool/postfix'), j_disk),
    ] + COMMON,
}
AGENTS = [('mbx01', 'hq', 'mailbox'), ('mbx02', 'dc2', 'mailbox'), ('hub01', 'hq', 'hub'),
          ('hub02', 'dc2', 'hub'), ('edge01', 'hq', 'edge')]
# checks of the services, kept back to the start of last month
SERVICE_CHECKS = {'service.smtp@smtp', 'queue.deferred@queue', 'imap.up@imap', 'smtp.outbound@relay'}

def cert_metrics(a, t):
    return {'days_left': round(CERT_END[a] - (t - NOW) / 86400.0, 1)}

# ---- events: (agent, check, start, end, status, message, metrics)
E = []
def ev(a, c, s, e, st, msg, me=None):
    E.append((a, c, s, e, st, msg, me))

# mail flow: the deferred queue of hub01 fills while mbx01's LMTP hangs
t = weekday_ago(12, '14:05')
ev('hub01', 'queue.deferred@queue', t - 900, t, 'warning', None, {'deferred': 460, 'oldest_s': 1500})
ev('hub01', 'queue.deferred@queue', t, t + 18 * 60, 'critical', None, {'deferred': 2380, 'oldest_s': 2100})
ev('hub01', 'queue.deferred@queue', t + 18 * 60, t + 33 * 60, 'warning', None, {'deferred': 310, 'oldest_s': 2600})
ev('mbx01', 'service.lmtp@lmtp', t - 1200, t + 17 * 60, 'critical', 'LMTP greeting timed out after 30 s', {'connect_ms': 30000})
# mail flow: hub02 smtpd restarted by hand with a broken main.cf
t = local(17, '09:41')
ev('hub02', 'service.smtp@smtp', t, t + 7 * 60, 'critical', 'connect to 127.0.0.1:25: Connection refused', {})
ev('hub02', 'process.master@postfix', t, t + 7 * 60, 'critical', 'postfix master is not running', {'procs': 0})
# mail flow: hub01 down during the Postfix upgrade (the one-off window)
t = local(4, '22:06')
ev('hub01', 'service.smtp@smtp', t, t + 14 * 60, 'critical', 'connect to 127.0.0.1:25: Connection refused', {})
ev('hub01', 'process.master@postfix', t, t + 12 * 60, 'critical', 'postfix master is not running', {'procs': 0})
# outbound: edge01 restarted during the weekly backup window (planned)
t = local(9, '02:20')
ev('edge01', 'service.smtp@smtp', t, t + 45 * 60, 'critical', 'connect to 127.0.0.1:25: Connection refused', {})
ev('edge01', 'smtp.outbound@relay', t, t + 45 * 60, 'critical', 'no MTA answering on edge01', {})
# outbound: the upstream relay rejects with 421 for an hour
t = local(3, '16:10')
ev('edge01', 'smtp.outbound@relay', t, t + 62 * 60, 'critical', '421 4.7.0 relay.provider.example: too many connections, try again later', {'delivery_ms': 15000})
ev('edge01', 'queue.deferred@queue', t + 10 * 60, t + 80 * 60, 'warning', None, {'deferred': 640, 'oldest_s': 3300})
# mailbox access: mbx02 alone is down for 90 minutes (service degraded)
t = weekday_ago(6, '09:30')
ev('mbx02', 'imap.up@imap', t, t + 90 * 60, 'critical', 'login timed out after 10 s (dovecot auth worker stuck)', {'login_ms': 10000})
ev('mbx02', 'load.avg@system', t + 5 * 60, t + 80 * 60, 'warning', None, {'load1': 17.4, 'load5': 15.9})
ev('mbx02', 'replication.lag@dsync', t + 20 * 60, t + 110 * 60, 'warning', None, {'lag_s': 1240})
# mailbox access: both mailbox servers down: the shared storage froze
t = weekday_ago(15, '11:10')
ev('mbx01', 'imap.up@imap', t, t + 25 * 60, 'critical', 'SELECT INBOX timed out after 10 s (NFS server not responding)', {'login_ms': 10000})
ev('mbx02', 'imap.up@imap', t + 60, t + 24 * 60, 'critical', 'SELECT INBOX timed out after 10 s (NFS server not responding)', {'login_ms': 10000})
# some load and clock warnings
ev('mbx01', 'load.avg@system', local(8, '10:35'), local(8, '10:55'), 'warning', None, {'load1': 13.1, 'load5': 11.7})
ev('edge01', 'ntp.offset@clock', local(11, '03:10'), local(11, '03:40'), 'warning', None, {'offset_ms': 212.0})
ev('hub02', 'dns.mx@resolver', local(19, '18:20'), local(19, '18:30'), 'unknown', 'MX lookup of example.net: SERVFAIL', {})
# open now: hub02's deferred queue rises (the relay throttles), edge01
# is on a blocklist; mbx01's /var/vmail and mbx02's certificate run out
# on their own
for i, k in enumerate(range(9, 0, -1)):
    ev('hub02', 'queue.deferred@queue', END - k * 300, END - k * 300 + 300, 'warning', None,
       {'deferred': 118 + 19 * i, 'oldest_s': 2400 + 300 * i})
ev('hub02', 'queue.deferred@queue', END, END + 1, 'warning', None, {'deferred': 291, 'oldest_s': 5200})
ev('edge01', 'rbl.listed@rbl', END - 25 * 60, END + 1, 'critical', 'listed on bl.spamcop.net (1 of 12 DNS blocklists)', {'listed': 1, 'lists': 12})
# last month
ev('edge01', 'smtp.outbound@relay', prev_day(14, '10:05'), prev_day(14, '13:55'), 'critical', '554 5.7.1 relay.provider.example: account suspended (billing)', {'delivery_ms': 900})
ev('hub02', 'service.smtp@smtp', prev_day(21, '15:02'), prev_day(21, '15:22'), 'critical', 'connect to 127.0.0.1:25: Connection refused', {})
ev('mbx01', 'imap.up@imap', prev_day(8, '10:40'), prev_day(8, '11:25'), 'critical', 'login timed out after 10 s', {'login_ms': 10000})

EVENTS = {}
for e in E:
    EVENTS.setdefault((e[0], e[1]), []).append(e)

def results_for(agent, check, title, mf, jf):
    evs = EVENTS.get((agent, check), [])
    ts = set(range(G5, END + 1, 300))
    if check in SERVICE_CHECKS:
        ts |= set(range(PREV0 - PREV0 % 900, G5, 900))
    for e in evs:
        if e[2] <= END:
            ts.add(e[2])
            if e[3] <= END and e[3] > e[2] + 1:
                ts.add(e[3])
    rule, target = check.split('@', 1)
    out = []
    for t in sorted(ts):
        if t > END:
            continue
        m = (mf or cert_metrics)(agent, t)
        st, msg = jf(m)
        hit = None
        for e in evs:
            if e[2] <= t < e[3]:
                hit = e
        if hit:
            if hit[6]:
                m = dict(m, **hit[6])
            elif hit[6] is not None:
                m = {}
            st2, msg2 = jf(m) if m else (None, None)
            st = hit[4]
            msg = hit[5] or msg2
        if '%s' in msg:
            msg = msg % agent
        r = {'check': check, 'rule': rule, 'target': target, 'kind': 'health', 'ts': t,
             'interval': 300 if t >= G5 else 900, 'status': st, 'message': msg,
             'metrics': m, 'title': title}
        out.append(r)
    return out

os.makedirs(OUT, exist_ok=True)
total = 0
for agent, site, role in AGENTS:
    rs = []
    for check, title, mf, jf in CHECKS[role]:
        rs.extend(results_for(agent, check, title, mf, jf))
    rs.sort(key=lambda r: r['ts'])
    total += len(rs)
    for n, i in enumerate(range(0, len(rs), BATCH)):
        doc = {'agent': agent, 'site': site, 'roles': [role], 'stream': 'demo-' + agent,
               'batch': n + 1, 'results': rs[i:i + BATCH]}
        with open(os.path.join(OUT, '%04d-%s.json' % (n, agent)), 'w') as f:
            f.write(json.dumps(doc, separators=(',', ':')))
print('demo-data: %d results' % total, file=sys.stderr)
PYEOF
}

#!/usr/bin/env bash
# service-tls.sh - the `service` probe's own TLS against real daemons on
# 127.0.0.1: a Postfix instance of its own with STARTTLS on its smtpd and
# an smtps (wrapper mode) listener, and a Dovecot with STARTTLS on IMAP
# and POP3 and imaps/pop3s listeners, both serving the test certificate
# tests/data/service/localhost-cert.pem (CN=localhost, SAN IP 127.0.0.1).
# `mxsla-agent scan --format json` must report tls = 1, the capability
# list before STARTTLS and the one inside TLS, the certificate's subject,
# issuer and days left, pass tls_verify against that certificate, and
# end each session politely (Postfix logs the commands of each).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (Postfix instance, Dovecot)"
need postfix postconf dovecot doveadm jq
plan 38

mktmp W
CERT="$top_srcdir/tests/data/service/localhost-cert.pem"
KEY="$top_srcdir/tests/data/service/localhost-key.pem"
NOT_AFTER=4948893236 # 2126-10-28 20:33:56 UTC, the certificate's notAfter

SMTPS_PORT=$(free_port)
IMAP_PORT=$(free_port); IMAPS_PORT=$(free_port)
POP3_PORT=$(free_port); POP3S_PORT=$(free_port)

# a port found free can still be taken before the daemon binds it: retry
for try in 1 2 3; do
	SMTP_PORT=$(free_port)
	start_postfix "$W/pf" "$SMTP_PORT" && break
	[ "$try" = 3 ] && { diag "postfix did not start"; exit 1; }
done
postconf -c "$W/pf/etc" -e \
	"smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CERT" \
	"smtpd_tls_key_file = $KEY" \
	"smtpd_tls_loglevel = 1"
postconf -c "$W/pf/etc" -M \
	"127.0.0.1:$SMTPS_PORT/inet = 127.0.0.1:$SMTPS_PORT inet n - n - - smtpd -o smtpd_tls_wrappermode=yes"
postfix -c "$W/pf/etc" reload > /dev/null 2>&1
wait_port "$SMTPS_PORT" 20 || { diag "postfix smtps listener did not come up"; cat "$W/pf/maillog"; exit 1; }

mkdir -p "$W/dv/run" "$W/dv/mail"
cat > "$W/dv/dovecot.conf" <<EOC
protocols = imap pop3
listen = 127.0.0.1
base_dir = $W/dv/run
state_dir = $W/dv/state
log_path = $W/dv/dovecot.log
ssl = yes
ssl_cert = <$CERT
ssl_key = <$KEY
disable_plaintext_auth = yes
auth_mechanisms = plain
mail_location = maildir:$W/dv/mail/%u
passdb {
  driver = static
  args = password=test
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$W/dv/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $POP3S_PORT
    ssl = yes
  }
}
EOC
dovecot -c "$W/dv/dovecot.conf" || { diag "dovecot did not start"; exit 1; }
cleanup "doveadm -c '$W/dv/dovecot.conf' stop"
for p in "$IMAP_PORT" "$IMAPS_PORT" "$POP3_PORT" "$POP3S_PORT"; do
	wait_port "$p" 10 || { diag "dovecot port $p did not come up"; cat "$W/dv/dovecot.log"; exit 1; }
done

mkdir -p "$W/rules"
cat > "$W/rules/test.yaml" <<EOR
pack: test
description: rules of the TLS integration test
rules:
  - id: t.up
    title: Service answers
    probe: service
    critical: up == 0
EOR
cat > "$W/agent.yaml" <<EOC
agent: { id: itest }
interval: 60s
timeout: 5s
rules: [rules]
targets:
  - { name: smtp, probe: service, protocol: smtp, port: $SMTP_PORT, starttls: true, ehlo: mxsla-test.localdomain }
  - { name: smtps, probe: service, protocol: smtps, port: $SMTPS_PORT, ehlo: mxsla-test.localdomain }
  - { name: imap, probe: service, protocol: imap, port: $IMAP_PORT, starttls: true }
  - { name: imaps, probe: service, protocol: imaps, port: $IMAPS_PORT }
  - { name: pop3, probe: service, protocol: pop3, port: $POP3_PORT, starttls: true }
  - { name: pop3s, probe: service, protocol: pop3s, port: $POP3S_PORT }
  - { name: smtp_verified, probe: service, protocol: submission, port: $SMTP_PORT, starttls: true, tls_verify: true, ca_file: "$CERT" }
  - { name: imaps_verified, probe: service, protocol: imaps, host: localhost, port: $IMAPS_PORT, tls_verify: true, ca_file: "$CERT" }
  - { name: imaps_wrong_ca, probe: service, protocol: imaps, port: $IMAPS_PORT, tls_verify: true, ca_file: "$top_srcdir/tests/data/service/cert.pem" }
EOC

"$AGENT" -c "$W/agent.yaml" scan --format json > "$W/scan.json" 2> "$W/scan.err"
rc=$?
is "$rc" 2 "scan exits 2: the target verified against the wrong CA is down"

val() { jq -r --arg c "t.up@$1" ".findings[] | select(.check == \$c) | $2" "$W/scan.json"; }
want_days=$(awk -v na="$NOT_AFTER" -v now="$(date +%s)" 'BEGIN { printf "%.1f", int((na - now) / 86400 * 10) / 10 }')
days_ok() { awk -v a="$1" -v b="$want_days" 'BEGIN { exit !(a != "" && a - b <= 0.11 && b - a <= 0.11) }'; }

for t in smtp smtps imap imaps pop3 pop3s; do
	is "$(val "$t" .status)/$(val "$t" .metrics.tls)" "ok/1" "$t: up over TLS"
	is "$(val "$t" .facts.cert_subject)|$(val "$t" .facts.cert_issuer)" \
		"CN = localhost, O = mxsla test|CN = localhost, O = mxsla test" "$t: certificate subject and issuer"
	days=$(val "$t" .metrics.cert_days_left)
	days_ok "$days"; ok $? "$t: cert_days_left $days (want $want_days)"
done

is "$(val smtp '.facts.capabilities | split(" ") | index("STARTTLS") != null')" true "smtp: STARTTLS offered before TLS"
is "$(val smtp '.facts.capabilities_tls | split(" ") | index("STARTTLS")')" null "smtp: not offered again inside TLS"
is "$(val smtp '.facts.banner | test("^220 mxsla-test.localdomain ESMTP")')" true "smtp: Postfix banner"
is "$(val smtps '.facts.capabilities_tls')" null "smtps: one list only (TLS from the start)"
is "$(val imap '.facts.capabilities | split(" ") | index("STARTTLS") != null')" true "imap: STARTTLS offered before TLS"
is "$(val imap '.facts.capabilities_tls | split(" ") | (index("STARTTLS") == null and index("IMAP4rev1") != null)')" true "imap: the list again inside TLS"
is "$(val imap '.facts.banner | test("^\\* OK \\[CAPABILITY .*\\] Dovecot \\(Debian\\) ready\\.$")')" true "imap: Dovecot greeting"
is "$(val pop3 '.facts.capabilities | split(" ") | index("STLS") != null')" true "pop3: STLS offered before TLS"
is "$(val pop3 '.facts.capabilities_tls | split(" ") | (index("STLS") == null and index("UIDL") != null)')" true "pop3: the list again inside TLS"
is "$(val pop3s '.facts.banner')" "+OK Dovecot (Debian) ready." "pop3s: Dovecot greeting inside TLS"
is "$(val smtp_verified .status)/$(val smtp_verified .metrics.tls)" "ok/1" "tls_verify with ca_file: chain and IP 127.0.0.1 check out"
is "$(val imaps_verified .status)/$(val imaps_verified .metrics.tls)" "ok/1" "tls_verify with ca_file: host name localhost checks out"
is "$(val imaps_wrong_ca .status)/$(val imaps_wrong_ca .metrics.up)" "critical/0" "tls_verify against another CA: down"
is "$(val imaps_wrong_ca .facts.error)" \
	"TLS handshake with 127.0.0.1 port $IMAPS_PORT: certificate verify failed: self-signed certificate" \
	"tls_verify against another CA: the reason"

# the sessions ended politely: Postfix counts the commands of each
sleep 1
grep -q "disconnect from localhost\[127.0.0.1\] ehlo=2 starttls=1 quit=1 commands=4" "$W/pf/maillog"
ok $? "Postfix: EHLO, STARTTLS, EHLO, QUIT in one session, nothing else"
grep -q "disconnect from localhost\[127.0.0.1\] ehlo=1 quit=1 commands=2" "$W/pf/maillog"
ok $? "Postfix: EHLO, QUIT on smtps"
n=$(grep -c "Anonymous TLS connection established from localhost\[127.0.0.1\]" "$W/pf/maillog")
is "$n" 3 "Postfix: three TLS sessions (smtp, submission with verification, smtps)"
n=$(grep -c "imap-login: .*Aborted login by logging out.*, TLS, " "$W/dv/dovecot.log")
is "$n" 3 "Dovecot: three IMAP sessions over TLS ended with LOGOUT (imap, imaps twice)"
n=$(grep -c "pop3-login: .*Aborted login by logging out.*, TLS, " "$W/dv/dovecot.log")
is "$n" 2 "Dovecot: two POP3 sessions over TLS ended with QUIT (pop3, pop3s)"
done_testing

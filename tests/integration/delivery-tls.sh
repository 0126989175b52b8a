#!/usr/bin/env bash
# delivery-tls.sh - the agent delivers over HTTPS only to a collector whose
# certificate it can verify (SPEC 2.6): without ca_file the self-signed
# certificate is refused, nothing is stored and the results wait in the
# spool; with ca_file (SIGHUP) everything waiting is delivered; a
# certificate whose name does not match the URL is refused too.
. "$(dirname "$0")/lib.sh"
COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$COLLECTOR" ] || skip_all "collector not built"
need curl jq
plan 7

mktmp W
PORT=$(free_port)
export MXSLA_SHIP_BACKOFF_BASE_MS=100 MXSLA_SHIP_BACKOFF_CAP_MS=500
D="$top_srcdir/tests/data/service"

printf 'tls-token-0123456789abcdef\n' > "$W/token"
chmod 600 "$W/token"
cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
tls: { cert: $D/localhost-cert.pem, key: $D/localhost-key.pem }
database: $W/mxsla.db
agents:
  - { id: tlsagent, token_file: $W/token }
EOC
mkdir -p "$W/rules"
cat > "$W/rules/t.yaml" <<'EOR'
pack: t
rules:
  - { id: t.disk, title: Disk, probe: disk, critical: free_pct < 0 }
EOR
write_agent_config() { # URL [CA_FILE]
	{
		echo "agent: { id: tlsagent, site: lab }"
		echo "interval: 1s"
		echo "collector:"
		echo "  url: \"$1\""
		echo "  token_file: $W/token"
		[ -n "${2:-}" ] && echo "  ca_file: $2"
		echo "spool: $W/spool"
		echo "rules: [$W/rules]"
		echo "log_level: debug"
		echo "targets:"
		echo "  - { name: root, probe: disk, path: / }"
	} > "$W/agent.yaml"
}
stored() {
	curl -sk "https://127.0.0.1:$PORT/api/v1/agents" |
		jq -r '.[] | select(.id == "tlsagent") | .results_stored'
}
state() { sed -n "s/^$1 //p" "$W/spool/state"; }

CPID= APID=
cleanup 'kill -9 $APID $CPID'
"$COLLECTOR" -c "$W/collector.yaml" serve > "$W/collector.log" 2>&1 &
CPID=$!
wait_port "$PORT" 10

# 1. no ca_file: the self-signed certificate is not trusted
write_agent_config "https://127.0.0.1:$PORT/"
"$AGENT" -c "$W/agent.yaml" run > "$W/agent.log" 2>&1 &
APID=$!
end=$((SECONDS + 10))
until grep -q 'collector: sending batch 1 failed' "$W/agent.log" || [ $SECONDS -ge $end ]; do sleep 0.2; done
grep 'collector: sending batch 1 failed' "$W/agent.log" | grep -qi 'certificate'
ok $? "an untrusted certificate is refused, and the log says so"
sleep 2
is "$(stored)" 0 "nothing reached the collector"
[ "$(state results_total)" -ge 2 ]
ok $? "the results wait in the spool ($(state results_total))"

# 2. with ca_file the waiting results are delivered
write_agent_config "https://127.0.0.1:$PORT/" "$D/localhost-cert.pem"
kill -HUP "$APID"
end=$((SECONDS + 15))
until grep -q 'collector: delivered batch' "$W/agent.log" || [ $SECONDS -ge $end ]; do sleep 0.2; done
grep -q 'collector: delivered batch' "$W/agent.log"
ok $? "with ca_file the collector's certificate is verified and batches are delivered"
kill -TERM "$APID"; wait "$APID"
is "$(stored)" "$(state sent_total)" "every acknowledged result is stored ($(state sent_total))"

# 3. the name in the URL must match the certificate, which names
# localhost, 127.0.0.1 and ::1: the same collector reached as 127.0.0.2
# (loopback too) is refused
before=$(stored)
kill -TERM "$CPID"; wait "$CPID"
sed -i "s/^listen: .*/listen: [127.0.0.1:$PORT, 127.0.0.2:$PORT]/" "$W/collector.yaml"
"$COLLECTOR" -c "$W/collector.yaml" serve >> "$W/collector.log" 2>&1 &
CPID=$!
wait_port "$PORT" 10
write_agent_config "https://127.0.0.2:$PORT/" "$D/localhost-cert.pem"
: > "$W/agent.log"
"$AGENT" -c "$W/agent.yaml" run > "$W/agent.log" 2>&1 &
APID=$!
end=$((SECONDS + 10))
until grep -q 'collector: sending batch .* failed' "$W/agent.log" || [ $SECONDS -ge $end ]; do sleep 0.2; done
grep 'collector: sending batch .* failed' "$W/agent.log" | grep -qiE 'certificate|subject|name'
ok $? "a certificate that does not name the host in the URL is refused"
sleep 1
is "$(stored)" "$before" "nothing more was stored"
kill -TERM "$APID"; wait "$APID"
APID=
kill -TERM "$CPID"; wait "$CPID"
CPID=
done_testing

#!/bin/sh
# Run mxsla on this machine from the build tree: a collector on an embedded
# SQLite database (API and dashboard on http://127.0.0.1:8080) and a local
# agent that probes what is installed here (Postfix, Dovecot, the root
# filesystem) and delivers every result to it.  Prints a scan report first,
# then keeps running in the foreground; Ctrl-C stops both.
#
# Everything lives in ./run: collector.yaml, agent.yaml, the token, the
# database, the agent's spool and the monthly reports.
# MXSLA_LISTEN (default 127.0.0.1:8080) and MXSLA_BUILDDIR may be set.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${MXSLA_BUILDDIR:-$top}
listen=${MXSLA_LISTEN:-127.0.0.1:8080}
run="$top/run"
agent_id=$(hostname -s 2>/dev/null || echo local)
mkdir -p "$run/reports"
chmod 700 "$run"

# One token for the local agent; the collector keeps it in a file of its own.
if [ ! -s "$run/agent.token" ]; then
	umask 077
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$run/agent.token"
	umask 022
fi
chmod 600 "$run/agent.token"

# The dashboard's login for write actions (acknowledging, maintenance
# windows): user admin with a password made once and kept in
# run/admin.password; the config holds only its crypt(3) hash.
if [ ! -s "$run/admin.password" ]; then
	umask 077
	od -An -N12 -tx1 /dev/urandom | tr -d ' \n' > "$run/admin.password"
	umask 022
fi
chmod 600 "$run/admin.password"
admin_hash=$(openssl passwd -6 -stdin < "$run/admin.password")

zone=UTC
if [ -f /etc/timezone ]; then
	zone=$(cat /etc/timezone)
fi

have_postfix=no; have_dovecot=no
command -v postconf >/dev/null 2>&1 && have_postfix=yes
command -v doveconf >/dev/null 2>&1 && have_dovecot=yes

{
	echo "# written by dist/run-local.sh"
	echo "listen: $listen"
	echo "database: $run/mxsla.db"
	echo "timezone: $zone"
	echo "stale_after: 3x"
	echo "agents:"
	echo "  - { id: $agent_id, token_file: $run/agent.token }"
	echo "ui:"
	echo "  users: [{ name: admin, password_hash: \"$admin_hash\" }]"
	echo "calendars:"
	echo "  business: { days: [mon, tue, wed, thu, fri], from: \"08:00\", to: \"18:00\" }"
	echo "services:"
	echo "  - id: storage"
	echo "    name: Mail server storage"
	echo "    target: 99.9"
	echo "    components: [\"$agent_id:disk.free@root\"]"
	if [ $have_postfix = yes ]; then
		echo "  - id: mailflow"
		echo "    name: Mail flow (SMTP and queue)"
		echo "    target: 99.9"
		echo "    components: [\"$agent_id:smtp.up@smtp\", \"$agent_id:queue.deferred@queue\"]"
		echo "    require: all"
		echo "    policy: { warning: up, unknown: nodata, nodata: exclude, maintenance: exclude }"
	fi
	if [ $have_dovecot = yes ]; then
		echo "  - id: client-access"
		echo "    name: Mailbox access (IMAP or POP3), business hours"
		echo "    target: 99.5"
		echo "    hours: business"
		echo "    components: [\"$agent_id:imap.up@imap\", \"$agent_id:pop3.up@pop3\"]"
		echo "    require: any"
	fi
	echo "maintenance:"
	echo "  - { services: [\"*\"], weekly: { days: [sun], from: \"02:00\", to: \"03:00\" }, reason: \"backup window\" }"
	echo "reports:"
	echo "  dir: $run/reports"
	echo "retention: { raw: 35d }"
} > "$run/collector.yaml"

{
	echo "# written by dist/run-local.sh"
	echo "agent: { id: $agent_id, site: local, roles: [mailbox, hub-transport, client-access] }"
	echo "interval: 60s"
	echo "collector:"
	echo "  url: http://$listen"
	echo "  token_file: $run/agent.token"
	echo "spool: $run/spool"
	echo "spool_max: 64MB"
	echo "rules: [\"$top/rules\"]"
	echo "targets:"
	echo "  - { name: root, probe: disk, path: / }"
	if [ $have_postfix = yes ]; then
		echo "  - { name: smtp, probe: service, protocol: smtp, host: 127.0.0.1, port: 25 }"
		echo "  - { name: queue, probe: queue, driver: postfix }"
		echo "  - { name: postfix, probe: config, driver: postconf }"
		echo "  - { name: spool, probe: disk, path: /var/spool/postfix }"
		echo "  - { name: postfix-master, probe: process, process: master }"
	fi
	if [ $have_dovecot = yes ]; then
		echo "  - { name: imap, probe: service, protocol: imap, host: 127.0.0.1, port: 143 }"
		echo "  - { name: pop3, probe: service, protocol: pop3, host: 127.0.0.1, port: 110 }"
		echo "  - { name: dovecot, probe: config, driver: doveconf }"
		echo "  - { name: dovecot-master, probe: process, process: dovecot }"
	fi
} > "$run/agent.yaml"

"$build/collector/mxsla-collector" -c "$run/collector.yaml" check-config
"$build/agent/mxsla-agent" -c "$run/agent.yaml" check-config

"$build/collector/mxsla-collector" -c "$run/collector.yaml" serve &
collector_pid=$!
agent_pid=
stop() {
	trap - INT TERM EXIT
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	kill "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null
	exit 0
}
trap stop INT TERM EXIT

tries=0
until curl -fsS "http://$listen/healthz" >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ $tries -gt 50 ] || ! kill -0 "$collector_pid" 2>/dev/null; then
		echo "run-local: the collector did not come up on $listen" >&2
		exit 1
	fi
	sleep 0.2
done

"$build/agent/mxsla-agent" -c "$run/agent.yaml" scan || true
"$build/agent/mxsla-agent" -c "$run/agent.yaml" run &
agent_pid=$!

cat <<EOF

mxsla is running (Ctrl-C stops both):
  dashboard   http://$listen/   (login: admin, password in $run/admin.password)
  API         http://$listen/api/v1/checks   http://$listen/api/v1/sla
  metrics     http://$listen/metrics
  SLA report  $build/collector/mxsla-collector -c $run/collector.yaml report --month $(date +%Y-%m) --format html
  files       $run
EOF
wait "$agent_pid"

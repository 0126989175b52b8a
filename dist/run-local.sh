#!/bin/sh
# Run mxsla-agent against this machine from the build tree: write a
# configuration for what is installed here (Postfix, Dovecot, the root
# filesystem), print a scan report, then keep monitoring in the
# foreground (Ctrl-C stops; state changes are logged).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${MXSLA_BUILDDIR:-$top}
mkdir -p "$top/run"
cfg="$top/run/agent.yaml"
{
	echo "# written by dist/run-local.sh"
	echo "agent: { site: local, roles: [mailbox, hub-transport, client-access] }"
	echo "interval: 60s"
	echo "spool: $top/run/spool"
	echo "rules: [\"$top/rules\"]"
	echo "targets:"
	echo "  - { name: root, probe: disk, path: / }"
	if command -v postconf >/dev/null 2>&1; then
		echo "  - { name: smtp, probe: service, protocol: smtp, host: 127.0.0.1, port: 25 }"
		echo "  - { name: queue, probe: queue, driver: postfix }"
		echo "  - { name: postfix, probe: config, driver: postconf }"
		echo "  - { name: spool, probe: disk, path: /var/spool/postfix }"
		echo "  - { name: postfix-master, probe: process, process: master }"
	fi
	if command -v doveconf >/dev/null 2>&1; then
		echo "  - { name: imap, probe: service, protocol: imap, host: 127.0.0.1, port: 143 }"
		echo "  - { name: pop3, probe: service, protocol: pop3, host: 127.0.0.1, port: 110 }"
		echo "  - { name: dovecot, probe: config, driver: doveconf }"
		echo "  - { name: dovecot-master, probe: process, process: dovecot }"
	fi
} > "$cfg"
"$build/agent/mxsla-agent" -c "$cfg" check-config
"$build/agent/mxsla-agent" -c "$cfg" scan || true
echo "monitoring continues in the foreground (Ctrl-C to stop)"
exec "$build/agent/mxsla-agent" -c "$cfg" run

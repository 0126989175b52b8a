#!/usr/bin/env bash
# collector-ingest.sh - SPEC 7: results per second accepted over HTTP and
# durably stored by mxsla-collector (batches of 100, two client threads,
# keep-alive), with database_sync full and then normal.  Starts a
# collector of this build tree on a temporary database and port.
set -e
: "${top_builddir:?}" "${top_srcdir:?}"
COLLECTOR="$top_builddir/collector/mxsla-collector"
GEN="$top_builddir/bench/collector-ingest"
SECONDS_RUN=${BENCH_SECONDS:-10}
W=$(mktemp -d /tmp/mxsla-bench.XXXXXX)
trap 'rc=$?; set +e; kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$W"; exit $rc' EXIT
PORT=$((20000 + RANDOM % 10000))
printf 'bench-token\n' > "$W/token"; chmod 600 "$W/token"
for sync in full normal; do
	rm -f "$W"/db*
	cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $W/db.sqlite
database_sync: $sync
agents: [{ id: bench, token_file: $W/token }]
log_level: warning
EOC
	"$COLLECTOR" -c "$W/collector.yaml" serve 2>"$W/log" &
	PID=$!
	for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
	printf 'database_sync %-6s ' "$sync"
	"$GEN" "http://127.0.0.1:$PORT/api/v1/results" bench-token bench "$SECONDS_RUN" 2
	kill $PID; wait $PID || true
done
echo "reference limits on the SPEC machine: SQLite 1.08 M rows/s in one transaction, jansson ~0.8 M results/s"

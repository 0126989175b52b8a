#!/usr/bin/env bash
# api-checks.sh - SPEC 7: requests per second for GET /api/v1/checks with
# 10,000 checks.  Starts a collector of this build tree on a temporary
# database and port, feeds it 10,000 checks through the ingest API and
# lets four keep-alive clients read the list (bench/api-checks.c).
#   BENCH_SECONDS (default 10), BENCH_CHECKS (10000), BENCH_THREADS (4),
#   BENCH_GZIP (set: the clients ask for gzip, as browsers do)
set -e
: "${top_builddir:?}" "${top_srcdir:?}"
COLLECTOR="$top_builddir/collector/mxsla-collector"
GEN="$top_builddir/bench/api-checks"
W=$(mktemp -d /tmp/mxsla-bench.XXXXXX)
PID=
trap 'rc=$?; set +e; [ -n "$PID" ] && { kill $PID; wait $PID; }; rm -rf "$W"; exit $rc' EXIT
PORT=$((20000 + RANDOM % 10000))
printf 'bench-token\n' > "$W/token"; chmod 600 "$W/token"
cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $W/db.sqlite
agents: [{ id: bench, token_file: $W/token }]
log_level: warning
EOC
"$COLLECTOR" -c "$W/collector.yaml" serve 2>"$W/log" &
PID=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
"$GEN" "http://127.0.0.1:$PORT" bench-token bench "${BENCH_CHECKS:-10000}" \
	"${BENCH_SECONDS:-10}" "${BENCH_THREADS:-4}"
echo "CPUs here: $(nproc)"

#!/usr/bin/env bash
# collector-api.sh - a real mxsla-collector over HTTP with curl(1): the
# ingest API of SPEC 3.3 (200 with the exact count, duplicates, 400 with
# the path, 401, 403, 413, 415; a refused request stores nothing, checked
# through the API and with sqlite3 in the database itself), /metrics with
# exact counter values, /healthz, the query API, check-config on a broken
# file, SIGHUP with a broken file, SIGTERM.
. "$(dirname "$0")/lib.sh"
need curl jq sqlite3 openssl
COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$COLLECTOR" ] || skip_all "mxsla-collector not built"
plan 56

mktmp W
PORT=$(free_port)
U="http://127.0.0.1:$PORT"
printf 'secret-token-of-mbx01\n' > "$W/mbx01.token"
printf 'secret-token-of-hub01\n' > "$W/hub01.token"
chmod 600 "$W"/*.token
cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $W/mxsla.db
agents:
  - { id: mbx01, token_file: $W/mbx01.token }
  - { id: hub01, token_file: $W/hub01.token }
limits: { body_max: 64KB }
reports: { dir: $W/reports }
services:
  - { id: mailflow, name: Mail flow, target: 99.9, components: ["mbx01:queue.deferred@queue"] }
EOC
cp "$W/collector.yaml" "$W/good.yaml"
mkdir -p "$W/reports"
printf 'service,name\nmailflow,Mail flow\n' > "$W/reports/mxsla-sla-2026-10.csv"
ln -s /etc/passwd "$W/reports/mxsla-sla-2026-09.csv"

"$COLLECTOR" -c "$W/collector.yaml" serve > "$W/log" 2>&1 &
PID=$!
cleanup "kill -9 $PID"
wait_port "$PORT" 10; ok $? "the collector listens on 127.0.0.1:$PORT"

NOW=$(date +%s)
# result I [FIELD=JSON ...]: one sound result with ts NOW - 60*I
result() {
	local i=$1; shift
	jq -cn --argjson ts $((NOW - 60 * i)) '{check: "queue.deferred@queue", rule: "queue.deferred",
		target: "queue", kind: "health", ts: $ts, interval: 60, status: "warning",
		message: "137 deferred", metrics: {deferred: 137}, facts: {mta: "postfix"}}'
}
# batch BATCHNO N: a batch of N sound results from mbx01
batch() {
	local b=$1 n=$2 rs=""
	for i in $(seq 0 $((n - 1))); do rs="$rs${rs:+,}$(result "$i")"; done
	printf '{"agent":"mbx01","site":"hq","roles":["mailbox"],"stream":"st-1","batch":%s,"results":[%s]}' "$b" "$rs"
}
# post TOKEN CONTENT-TYPE BODYFILE -> "CODE BODY"
post() {
	curl -s -o "$W/out" -w '%{http_code}' ${1:+-H "Authorization: Bearer $1"} \
		-H "Content-Type: $2" --data-binary "@$3" "$U/api/v1/results"
	printf ' %s' "$(cat "$W/out")"
}
TOK=$(cat "$W/mbx01.token")
stored() { curl -s "$U/api/v1/agents" | jq -r '.[] | select(.id == "mbx01") | .results_stored'; }
rows() { sqlite3 "$W/mxsla.db" 'SELECT count(*) FROM results'; }

batch 1 3 > "$W/b1.json"
is "$(post "$TOK" application/json "$W/b1.json")" '200 {"accepted":3,"duplicate":false}' \
	"a batch of 3 results is accepted with its exact count"
is "$(stored)" 3 "results_stored of mbx01 is 3"
is "$(post "$TOK" application/json "$W/b1.json")" '200 {"accepted":3,"duplicate":true}' \
	"the same batch again is acknowledged as a duplicate"
is "$(stored)" 3 "the duplicate stored nothing (results_stored still 3)"
is "$(rows)" 3 "the database holds 3 result rows"

printf '{"agent":"mbx01","stream":"st-1","batch":2,"results":[' > "$W/bad.json"
r=$(post "$TOK" application/json "$W/bad.json")
is "${r%% *}" 400 "malformed JSON: 400"
is "$(jq -r .path "$W/out")" "" "malformed JSON: the path is the whole body"

batch 3 1 | jq -c '.results[0].status = 5' > "$W/status5.json"
r=$(post "$TOK" application/json "$W/status5.json")
is "${r%% *}" 400 "status 5: 400"
is "$(jq -r .path "$W/out")" "results[0].status" "status 5: path results[0].status"

batch 4 3 | jq -c 'del(.results[2].ts)' > "$W/nots.json"
r=$(post "$TOK" application/json "$W/nots.json")
is "${r%% *}" 400 "results[2] without ts: 400"
is "$(jq -r .path "$W/out")" "results[2].ts" "results[2] without ts: path results[2].ts"
is "$(jq -r .error "$W/out")" 'missing required field "ts"' "results[2] without ts: the error says what"

# 70,000 bytes against body_max 64 KB = 65,536 bytes
batch 5 1 | jq -c --arg pad "$(head -c 70000 /dev/zero | tr '\0' x)" '.results[0].message = $pad' > "$W/big.json"
r=$(post "$TOK" application/json "$W/big.json")
is "${r%% *}" 413 "a body over limits.body_max: 413"
curl -s -o "$W/out" -w '%{http_code}' -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
	-H 'Transfer-Encoding: chunked' --data-binary "@$W/big.json" "$U/api/v1/results" > "$W/code"
is "$(cat "$W/code")" 413 "a chunked body streaming past the cap: 413"

batch 6 1 > "$W/b6.json"
r=$(post "" application/json "$W/b6.json")
is "${r%% *}" 401 "no token: 401"
curl -s -D "$W/hdr" -o /dev/null -H 'Content-Type: application/json' --data-binary "@$W/b6.json" "$U/api/v1/results"
grep -qi '^WWW-Authenticate: Bearer' "$W/hdr"; ok $? "401 carries WWW-Authenticate: Bearer"
r=$(post "wrong-token" application/json "$W/b6.json")
is "${r%% *}" 401 "a wrong token: 401"
r=$(post "$(cat "$W/hub01.token")" application/json "$W/b6.json")
is "${r%% *}" 403 "the token of another agent: 403"
r=$(post "$TOK" text/plain "$W/b6.json")
is "${r%% *}" 415 "Content-Type text/plain: 415"
r=$(post "$TOK" 'application/json; charset=utf-8' "$W/b6.json")
is "$r" '200 {"accepted":1,"duplicate":false}' "application/json with a charset parameter is accepted"

is "$(stored)" 4 "after the refused requests results_stored is 3 + 1"
is "$(rows)" 4 "and the database holds 4 rows: the refused requests stored nothing"
is "$(sqlite3 "$W/mxsla.db" 'SELECT count(*) FROM batches')" 2 "two batches in the database"

curl -s "$U/metrics" > "$W/metrics"
m() { grep -E "^$1 " "$W/metrics" | awk '{print $2}'; }
is "$(m mxsla_results_stored_total)" 4 "metrics: mxsla_results_stored_total 4"
is "$(m mxsla_batches_total)" 2 "metrics: mxsla_batches_total 2"
is "$(m mxsla_batches_duplicate_total)" 1 "metrics: mxsla_batches_duplicate_total 1"
# 400: malformed, status 5, missing ts; 401: none, none (header probe), wrong
is "$(m 'mxsla_ingest_errors_total\{code="400"\}')" 3 "metrics: 3 ingest errors 400"
is "$(m 'mxsla_ingest_errors_total\{code="401"\}')" 3 "metrics: 3 ingest errors 401"
is "$(m 'mxsla_ingest_errors_total\{code="403"\}')" 1 "metrics: 1 ingest error 403"
is "$(m 'mxsla_ingest_errors_total\{code="413"\}')" 2 "metrics: 2 ingest errors 413"
is "$(m 'mxsla_ingest_errors_total\{code="415"\}')" 1 "metrics: 1 ingest error 415"
is "$(m 'mxsla_checks\{status="warning"\}')" 1 "metrics: one check in warning"
grep -q '^# TYPE mxsla_notifications_total counter' "$W/metrics"; ok $? "metrics: mxsla_notifications_total is declared"

is "$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")" 200 "/healthz: 200"
curl -s -D "$W/hdr" -o /dev/null "$U/api/v1/checks"
grep -qi '^X-Content-Type-Options: nosniff' "$W/hdr" && grep -qi '^Cache-Control: no-store' "$W/hdr"
ok $? "security headers on a query answer"
# gzip for clients that take it: a large asset comes out compressed, the
# same bytes once unpacked, with Vary and a weak ETag that still gives 304
hv() { grep -i "^$2:" "$1" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
curl -s -D "$W/hz" -o "$W/app.js.gz" -H 'Accept-Encoding: gzip, deflate' "$U/ui/app.js"
gunzip -c "$W/app.js.gz" 2>/dev/null | cmp -s - "$top_srcdir/collector/ui/app.js" &&
	[ "$(stat -c %s "$W/app.js.gz")" -lt "$(stat -c %s "$top_srcdir/collector/ui/app.js")" ]
ok $? "Accept-Encoding: gzip: the asset comes compressed and unpacks to the file"
is "$(hv "$W/hz" content-encoding) | $(hv "$W/hz" vary) | $(hv "$W/hz" etag | cut -c1-3)" \
	'gzip | Accept-Encoding | W/"' "Content-Encoding gzip, Vary: Accept-Encoding, a weak ETag"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' \
	-H "If-None-Match: $(hv "$W/hz" etag)" "$U/ui/app.js")" 304 "the weak ETag gives 304"
curl -s -D "$W/hz" -o "$W/plain" -H 'Accept-Encoding: gzip;q=0, identity' "$U/ui/app.js"
cmp -s "$W/plain" "$top_srcdir/collector/ui/app.js" && [ -z "$(hv "$W/hz" content-encoding)" ]
ok $? "gzip;q=0 refuses it: the asset comes as it is"
curl -s -D "$W/hz" -o /dev/null -H 'Accept-Encoding: gzip' "$U/healthz"
is "$(hv "$W/hz" content-encoding)" "" "a small answer is not compressed"
is "$(curl -s --compressed "$U/api/v1/checks?agent=mbx01" | jq -r '.[0].check')" "queue.deferred@queue" \
	"a JSON answer through curl --compressed"
is "$(curl -s "$U/api/v1/checks?agent=mbx01" | jq -r '.[0].check + " " + .[0].status')" \
	"queue.deferred@queue warning" "/api/v1/checks lists the check in warning"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/api/v1/checks")" 405 "POST to a query endpoint: 405"
is "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/sla?month=2999-01")" 400 "/api/v1/sla for a future month: 400"
is "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$U/api/v1/reports/../../../etc/passwd")" 404 \
	"a report name with a path in it: 404"

curl -s -o "$W/dl" "$U/api/v1/reports/mxsla-sla-2026-10.csv"
cmp -s "$W/dl" "$W/reports/mxsla-sla-2026-10.csv"; ok $? "a report file in reports.dir is downloaded as it is"
is "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/reports/mxsla-sla-2026-09.csv")" 404 \
	"a report name that is a symbolic link: 404"

printf 'listen: [oops\nagents: 3\n' > "$W/bad.yaml"
"$COLLECTOR" -c "$W/bad.yaml" check-config > "$W/cc.out" 2>&1
rc=$?
grep -qE "^$W/bad.yaml:[0-9]+:[0-9]+: " "$W/cc.out" && [ $rc = 78 ]
ok $? "check-config on a broken file prints FILE:LINE:COL and exits 78 (got $rc)"

cp "$W/bad.yaml" "$W/collector.yaml"
kill -HUP $PID
sleep 1
kill -0 $PID 2>/dev/null && grep -q 'reload failed' "$W/log" &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")" = 200 ]
ok $? "SIGHUP with a broken file keeps serving"

kill -TERM $PID
for _ in $(seq 1 100); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
wait $PID
is "$?" 0 "SIGTERM stops the collector with exit 0"

# HTTPS on an IPv6 and an IPv4 address at once
P6=$(free_port); P4=$(free_port)
D="$top_srcdir/tests/data/service"
cat > "$W/tls.yaml" <<EOC
listen: ["[::1]:$P6", "127.0.0.1:$P4"]
tls: { cert: $D/localhost-cert.pem, key: $D/localhost-key.pem }
database: $W/tls.db
agents: [{ id: mbx01, token_file: $W/mbx01.token }]
ui: { users: [{ name: admin, password_hash: '$(openssl passwd -6 -salt tlssalt1 tls-pw)' }] }
EOC
"$COLLECTOR" -c "$W/tls.yaml" serve > "$W/tls.log" 2>&1 &
PID=$!
cleanup "kill -9 $PID"
wait_port "$P4" 10
is "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$P4/healthz")" 200 "HTTPS on 127.0.0.1"
if [ -e /proc/net/if_inet6 ]; then
	is "$(curl -sk -o /dev/null -w '%{http_code}' "https://[::1]:$P6/healthz")" 200 "HTTPS on [::1]"
else
	ok 0 "# SKIP no IPv6 on this host"
fi
# the session cookie over HTTPS is Secure; writes from the https origin only
S="https://127.0.0.1:$P4"
curl -sk -D "$W/tls.hdr" -o "$W/tls.out" -H 'Content-Type: application/json' \
	--data-binary '{"user":"admin","password":"tls-pw"}' "$S/api/v1/login"
COOKIE=$(tr -d '\r' < "$W/tls.hdr" | sed -n 's/^set-cookie: //Ip')
is "${COOKIE#*;}" " Path=/; HttpOnly; SameSite=Strict; Max-Age=86400; Secure" \
	"over HTTPS the session cookie is HttpOnly, SameSite=Strict, Path=/ and Secure"
TLSC=(-H "Cookie: ${COOKIE%%;*}" -H "X-CSRF-Token: $(jq -r .csrf "$W/tls.out")")
is "$(curl -sk -o /dev/null -w '%{http_code}' -X POST "${TLSC[@]}" -H "Origin: http://127.0.0.1:$P4" "$S/api/v1/logout")" \
	403 "over HTTPS a write from the http:// origin of the same host and port: 403"
is "$(curl -sk -o /dev/null -w '%{http_code}' -X POST "${TLSC[@]}" -H "Origin: $S" "$S/api/v1/logout")" \
	200 "over HTTPS a write from the https:// origin: 200"
kill -TERM $PID; wait $PID
done_testing

#!/usr/bin/env bash
# ui-api.sh - the login and the write API of a real mxsla-collector over
# HTTP with curl(1): GET /api/v1/session, login good and bad (the same
# answer for an unknown user), throttling with Retry-After, the session
# cookie's attributes, writes without a session (401), without or with a
# wrong CSRF token (403), from a foreign Origin (403), acknowledging a
# violation and seeing it in /api/v1/violations, maintenance windows
# added, changed and deleted (bad bodies store nothing, checked in the
# database), a window added over a fed outage changing /api/v1/sla's
# maintenance_s and down_s exactly as worked out by hand, logout, a hash
# made by `mxsla-collector hash-password`, and a log without passwords.
#
# The collector runs in Europe/Berlin so that wall-clock times in bodies
# are read in its zone, not in UTC.
. "$(dirname "$0")/lib.sh"
need curl jq sqlite3 openssl
COLLECTOR="$top_builddir/collector/mxsla-collector"
[ -x "$COLLECTOR" ] || skip_all "mxsla-collector not built"
[ -e /usr/share/zoneinfo/Europe/Berlin ] || skip_all "no tzdata for Europe/Berlin"
plan 107

mktmp W
PORT=$(free_port)
U="http://127.0.0.1:$PORT"
PW_ADMIN='correct horse battery'
PW_OPS='ops-Secret-42'
PW_VIEW='viewer pass phrase'
printf 'secret-token-of-mbx01\n' > "$W/mbx01.token"
chmod 600 "$W/mbx01.token"
H_ADMIN=$(openssl passwd -6 -salt a1b2c3d4 "$PW_ADMIN")
H_OPS=$(openssl passwd -6 -salt e5f6a7b8 "$PW_OPS")
H_VIEW=$(printf '%s\n' "$PW_VIEW" | "$COLLECTOR" hash-password)
ok $? "hash-password prints a hash"
case "$H_VIEW" in '$y$'*) ok 0 "hash-password makes a yescrypt (\$y\$) hash" ;;
*) ok 1 "hash-password makes a yescrypt (\$y\$) hash: $H_VIEW" ;; esac
H_EMPTY=$(printf '' | "$COLLECTOR" hash-password 2>/dev/null)
is "$?:$H_EMPTY" "1:" "hash-password refuses an empty input"

cat > "$W/collector.yaml" <<EOC
listen: 127.0.0.1:$PORT
database: $W/mxsla.db
timezone: Europe/Berlin
agents:
  - { id: mbx01, token_file: $W/mbx01.token }
ui:
  users:
    - { name: admin, password_hash: '$H_ADMIN' }
    - { name: ops, password_hash: '$H_OPS' }
    - { name: viewer, password_hash: '$H_VIEW' }
services:
  - { id: mailflow, name: Mail flow, target: 99.9, components: ["mbx01:service.smtp@smtp"] }
  - { id: web, name: Web, target: 99, components: ["nohost:*"] }
maintenance:
  - { services: [web], weekly: { days: [sun], from: "02:00", to: "03:00" }, reason: backup window }
EOC

"$COLLECTOR" -c "$W/collector.yaml" serve > "$W/log" 2>&1 &
PID=$!
cleanup "kill -9 $PID"
wait_port "$PORT" 10; ok $? "the collector listens on 127.0.0.1:$PORT"

# req METHOD PATH [CURL ARGS...] -> "CODE BODY"; headers in $W/hdr
req() {
	local m=$1 p=$2; shift 2
	curl -s -o "$W/out" -D "$W/hdr" -w '%{http_code}' -X "$m" "$@" "$U$p"
	printf ' %s' "$(cat "$W/out")"
}
J=(-H 'Content-Type: application/json')
login() { req POST /api/v1/login "${J[@]}" "${@:3}" --data-binary "$(jq -cn --arg u "$1" --arg p "$2" '{user: $u, password: $p}')"; }
header() { tr -d '\r' < "$W/hdr" | sed -n "s/^$1: //Ip"; }

# ---- session and login ----
is "$(req GET /api/v1/session)" \
	'200 {"user":null,"csrf":null,"timezone":"Europe/Berlin","login_enabled":true}' \
	"GET /api/v1/session without a cookie: nobody, no token, the zone, login enabled"
is "$(req POST /api/v1/login -H 'Content-Type: text/plain' --data-binary '{"user":"admin","password":"x"}' | cut -c1-3)" \
	415 "login with Content-Type text/plain: 415"
is "$(login admin 'wrong password')" '401 {"error":"wrong user name or password"}' \
	"login with a wrong password: 401"
is "$(login nosuchuser "$PW_ADMIN")" '401 {"error":"wrong user name or password"}' \
	"login as an unknown user: the same 401"
is "$(req POST /api/v1/login "${J[@]}" --data-binary '{"user":"admin"}')" \
	'400 {"error":"password must be a string","path":"/password"}' "login without a password: 400 naming it"
r=$(login admin "$PW_ADMIN")
is "${r%% *}" 200 "login with the right password: 200"
CSRF=$(jq -r .csrf "$W/out")
is "$(jq -r .user "$W/out")" admin "the login answers the user"
COOKIE=$(header Set-Cookie)
TOK=$(printf '%s' "$COOKIE" | sed -n 's/^mxsla_session=\([^;]*\);.*/\1/p')
is "${#TOK}:$(printf '%s' "$TOK" | tr -d 'A-Za-z0-9_-' | wc -c)" "43:0" \
	"the session token is 43 base64url characters (256 bits)"
is "${COOKIE#*;}" " Path=/; HttpOnly; SameSite=Strict; Max-Age=86400" \
	"the cookie is HttpOnly, SameSite=Strict, Path=/, Max-Age 24 h, not Secure over plain HTTP"
is "${#CSRF}" 43 "the CSRF token is 43 characters"
C=(-H "Cookie: mxsla_session=$TOK")
is "$(req GET /api/v1/session "${C[@]}")" \
	"200 {\"user\":\"admin\",\"csrf\":\"$CSRF\",\"timezone\":\"Europe/Berlin\",\"login_enabled\":true}" \
	"GET /api/v1/session with the cookie: the user and the same CSRF token"
# the last character replaced by another one
case $TOK in *A) OTHER=${TOK%?}B ;; *) OTHER=${TOK%?}A ;; esac
is "$(req GET /api/v1/session -H "Cookie: mxsla_session=$OTHER" | cut -d' ' -f2-)" \
	'{"user":null,"csrf":null,"timezone":"Europe/Berlin","login_enabled":true}' \
	"a cookie with one character changed is not a session"

# an attacker who plants a cookie of his own choosing in the victim's
# browser must not find it turned into a session by the victim's login
PLANTED=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
r=$(login viewer "$PW_VIEW" -H "Cookie: mxsla_session=$PLANTED")
NEW=$(header Set-Cookie | sed -n 's/^mxsla_session=\([^;]*\);.*/\1/p')
is "${r%% *} $([ "${#NEW}" = 43 ] && [ "$NEW" != "$PLANTED" ] && echo fresh)" "200 fresh" \
	"a login with a planted cookie sets a new token of its own"
is "$(req GET /api/v1/session -H "Cookie: mxsla_session=$PLANTED" | jq -c .user 2>/dev/null)" null \
	"the planted token is still nobody after the login"
# logging in again from a browser that has a session ends that session
r=$(login viewer "$PW_VIEW" -H "Cookie: mxsla_session=$NEW")
NEW2=$(header Set-Cookie | sed -n 's/^mxsla_session=\([^;]*\);.*/\1/p')
is "${r%% *} $([ "${#NEW2}" = 43 ] && [ "$NEW2" != "$NEW" ] && echo fresh)" "200 fresh" \
	"a second login gets another token"
is "$(req GET /api/v1/session -H "Cookie: mxsla_session=$NEW" | jq -c .user 2>/dev/null):$(req GET /api/v1/session -H "Cookie: mxsla_session=$NEW2" | jq -c .user 2>/dev/null)" \
	'null:"viewer"' "the second login ends the session of the cookie it came with"

# ---- security headers on every kind of answer ----
sechdr() { printf '%s|%s|%s|%s' "$(header X-Content-Type-Options)" "$(header X-Frame-Options)" \
	"$(header Referrer-Policy)" "$(header Content-Security-Policy | cut -c1-18)"; }
SEC="nosniff|DENY|no-referrer|default-src 'none'"
req GET /nosuch > /dev/null
is "$(sechdr)" "$SEC" "a 404 carries the security headers"
req POST /api/v1/checks > /dev/null
is "$(sechdr)" "$SEC" "a 405 carries the security headers"
req POST /api/v1/maintenance "${J[@]}" --data-binary '{}' > /dev/null
is "$(sechdr)" "$SEC" "a 401 of the write API carries the security headers"
req GET / > /dev/null
ETAG=$(header ETag)
r=$(req GET / -H "If-None-Match: $ETAG")
is "${r%% *} $(sechdr) $(header Cache-Control)" "304 $SEC no-cache" \
	"a 304 of the page carries the security headers and the page's CSP"
is "$(header Content-Security-Policy)" \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'" \
	"the page's CSP allows this collector only, no inline script or style, no framing"
is "$(req GET /ui/app.js -H 'If-None-Match: "nope", W/"other"' | head -c3)" 200 \
	"an If-None-Match naming other tags gets the asset"

# ---- a month with one outage, fed through the ingest API ----
export TZ=Europe/Berlin
PM=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)
T0=$(date -d "$PM-01 00:00" +%s)
T1=$(date -d "$(date +%Y-%m-01) 00:00" +%s)
X=$(date -d "$PM-06 10:20" +%s)
unset TZ
# ok every hour; critical 10:20 - 10:50 local on the 6th (1800 s down)
jq -cn --argjson t0 "$T0" --argjson t1 "$T1" --argjson x "$X" '
	def r($ts; $st): {check: "service.smtp@smtp", rule: "service.smtp", target: "smtp",
		kind: "health", title: "SMTP answers", ts: $ts, interval: 3600, status: $st,
		message: ($st + " at \($ts)")};
	{agent: "mbx01", site: "hq", roles: ["mailbox"], stream: "s1", batch: 1,
	 results: ([range($t0; $t1; 3600) | r(.; "ok")] + [r($x; "critical"), r($x + 1800; "ok")]
		   | sort_by(.ts))}' > "$W/month.json"
r=$(curl -s -w ' %{http_code}' -H 'Authorization: Bearer secret-token-of-mbx01' "${J[@]}" \
	--data-binary "@$W/month.json" "$U/api/v1/results")
is "$(printf '%s' "$r" | jq -r .accepted 2>/dev/null | head -1):${r##* }" \
	"$(jq '.results | length' "$W/month.json"):200" "the month's results are accepted"
sla() { curl -s "$U/api/v1/sla?month=$PM" | jq -r '.services[] | select(.id == "mailflow") |
	"maintenance=\(.maintenance_s) down=\(.down_s) planned=\(.planned_down_s)"'; }
is "$(sla)" "maintenance=0 down=1800 planned=0" "before any window: 1800 s down, no maintenance"

# ---- writes need a session, the CSRF token and our own origin ----
MW='{"services":["mailflow"],"start":"'$PM'-06 10:00","end":'$((X + 600))',"reason":"patching"}'
mwcount() { sqlite3 "$W/mxsla.db" 'SELECT count(*) FROM maintenance'; }
is "$(req POST /api/v1/maintenance "${J[@]}" --data-binary "$MW")" '401 {"error":"login required"}' \
	"a write without a session: 401"
is "$(req POST /api/v1/maintenance "${J[@]}" "${C[@]}" --data-binary "$MW")" \
	'403 {"error":"missing or wrong CSRF token"}' "a write without the CSRF header: 403"
is "$(req POST /api/v1/maintenance "${J[@]}" "${C[@]}" -H "X-CSRF-Token: ${CSRF%?}x" --data-binary "$MW")" \
	'403 {"error":"missing or wrong CSRF token"}' "a write with a wrong CSRF token: 403"
is "$(req POST /api/v1/maintenance "${J[@]}" "${C[@]}" -H "X-CSRF-Token: $TOK" --data-binary "$MW")" \
	'403 {"error":"missing or wrong CSRF token"}' "the session token is not the CSRF token: 403"
W_OK=("${J[@]}" "${C[@]}" -H "X-CSRF-Token: $CSRF")
is "$(req POST /api/v1/maintenance "${W_OK[@]}" -H 'Origin: http://evil.example' --data-binary "$MW" | cut -c1-3)" \
	403 "a write from a foreign Origin: 403"
is "$(req POST /api/v1/maintenance "${W_OK[@]}" -H "Origin: http://127.0.0.1:$((PORT + 1))" --data-binary "$MW" | cut -c1-3)" \
	403 "a write from another port of the same host: 403"
is "$(req POST /api/v1/maintenance "${W_OK[@]}" -H 'Sec-Fetch-Site: cross-site' --data-binary "$MW" | cut -c1-3)" \
	403 "a write a browser marks cross-site: 403"
is "$(req POST /api/v1/maintenance "${C[@]}" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: text/plain' --data-binary "$MW" | cut -c1-3)" \
	415 "a write whose body is not JSON: 415"
is "$(mwcount)" 0 "none of the refused writes stored a window"

# ---- maintenance windows: bad bodies store nothing ----
bad() { # BODY WANT-PATH DESCRIPTION
	local r
	r=$(req POST /api/v1/maintenance "${W_OK[@]}" --data-binary "$1")
	is "${r%% *} $(jq -r .path "$W/out")" "400 $2" "$3"
}
bad '{"services":[],"start":1,"end":2}' /services "no services: 400"
bad '{"services":["nosuch"],"start":1,"end":2}' /services/0 "an unknown service id: 400"
bad '{"services":["mailflow",7],"start":1,"end":2}' /services/1 "a service that is not a string: 400"
bad '{"services":["mailflow"],"start":"yesterday","end":2}' /start "start not a time: 400"
bad '{"services":["mailflow"],"start":"2026-02-30 10:00","end":"2026-03-01 10:00"}' /start "start on a day that does not exist: 400"
bad '{"services":["mailflow"],"start":100,"end":100}' /end "end not after start: 400"
bad "{\"services\":[\"mailflow\"],\"start\":1,\"end\":2,\"reason\":\"$(printf 'x%.0s' $(seq 501))\"}" /reason "a reason of 501 characters: 400"
bad '{"services":["mailflow"],"start":1,"end":2,"extra":1}' /extra "an unknown field: 400"
bad '[1]' "" "a body that is not an object: 400"
bad '{"services":["mailflow"],"start":1,' "" "malformed JSON: 400"
# control characters would break log lines and the UI's one-line fields
bad '{"services":["mail*\nadmin: user admin deleted maintenance window 1"],"start":1,"end":2}' /services/0 \
	"a service glob with a newline: 400"
bad '{"services":["mail* x"],"start":1,"end":2}' /services/0 "a service glob with a space: 400"
bad '{"services":["mailflow"],"start":1,"end":2,"reason":"a\nb"}' /reason "a reason with a newline: 400"
bad '{"services":["mailflow"],"start":1,"end":2,"reason":"\u001b[31mred"}' /reason "a reason with an escape character: 400"
bad '{"services":["mailflow"],"start":1,"end":2,"reason":"a\u0085b"}' /reason "a reason with a C1 control (NEL): 400"
bad '{"services":["mailflow"],"start":1,"end":2,"reason":"a\u202eb"}' /reason "a reason with a bidi override: 400"
# bounds of instants and windows
bad '{"services":["mailflow"],"start":"0001-01-01 00:00","end":"2026-01-01 00:00"}' /start "a start in the year 1: 400"
bad '{"services":["mailflow"],"start":"2026-01-01 00:00","end":"9999-12-31 23:00"}' /end "an end in the year 9999: 400"
bad '{"services":["mailflow"],"start":-1,"end":2}' /start "a negative start: 400"
bad '{"services":["mailflow"],"start":1,"end":99999999999999999999}' "" "an end past 64 bits: 400"
bad '{"services":["mailflow"],"start":1.5,"end":2}' /start "a start that is not a whole number: 400"
bad '{"services":["mailflow"],"start":"2026-01-01 00:00","end":"2036-01-01 00:00"}' /end "a window of ten years: 400"
bad '{"services":["mailflow"],"start":1790000000,"end":'$((1790000000 + 367 * 86400))'}' /end "a window of 367 days: 400"
bad "{\"services\":[$(printf '"mailflow",%.0s' $(seq 100))\"mailflow\"],\"start\":1,\"end\":2}" /services "101 services: 400"
is "$(mwcount)" 0 "no bad body stored a window"
# ids in the path: digits only, no sign, no leading zero, no junk
for p in 0 -1 01 1x 1/ "1%20" 99999999999999999999 ""; do
	r=$(req DELETE "/api/v1/maintenance/$p" "${C[@]}" -H "X-CSRF-Token: $CSRF")
	printf '%s\n' "$p ${r%% *}"
done > "$W/ids"
is "$(awk '{print $NF}' "$W/ids" | sort -u | tr '\n' ' ')" "404 " "maintenance ids that are not plain positive numbers: 404"

# ---- add, over the outage ----
r=$(req POST /api/v1/maintenance "${W_OK[@]}" -H "Origin: $U" --data-binary "$MW")
is "${r%% *}" 201 "a window from our own Origin: 201"
MWID=$(jq -r .id "$W/out")
is "$(jq -c '[.source, .services, .start, .end, .weekly, .reason, .author, .active, (.created > 0)]' "$W/out")" \
	"[\"ui\",[\"mailflow\"],$((X - 1200)),$((X + 600)),null,\"patching\",\"admin\",false,true]" \
	"the window as stored: start read as wall clock in Europe/Berlin, end as epoch seconds"
is "$(mwcount)" 1 "the database holds one window"
# window 10:00-10:30: maintenance 1800; down 10:30-10:50 = 1200; 10:20-10:30 planned
is "$(sla)" "maintenance=1800 down=1200 planned=600" \
	"the window 10:00-10:30 over the outage 10:20-10:50: 1800 s maintenance, 1200 s down"
is "$(curl -s "$U/api/v1/maintenance" | jq -c '[.windows[] | [.id, .source]]')" \
	"[[null,\"config\"],[$MWID,\"ui\"]]" "GET /api/v1/maintenance: the config's window, then ours"
is "$(curl -s "$U/api/v1/maintenance" | jq -c '.windows[0] | [.weekly, .start, .author]')" \
	'[{"days":["sun"],"from":"02:00","to":"03:00"},null,null]' "the config's weekly window as written"

# ---- change ----
MW2='{"services":["mail*"],"start":'$((X - 1200))',"end":"'$PM'-06 11:00","reason":"longer"}'
r=$(req PUT "/api/v1/maintenance/$MWID" "${W_OK[@]}" --data-binary "$MW2")
is "${r%% *} $(jq -c '[.id, .services, .end - .start, .reason]' "$W/out")" "200 [$MWID,[\"mail*\"],3600,\"longer\"]" \
	"PUT changes the window (a glob for the services): 200"
is "$(sla)" "maintenance=3600 down=0 planned=1800" "the window 10:00-11:00 covers the outage: no down time left"
is "$(req PUT /api/v1/maintenance/999 "${W_OK[@]}" --data-binary "$MW2")" \
	'404 {"error":"no such maintenance window"}' "PUT on an unknown id: 404"
is "$(req PUT "/api/v1/maintenance/$MWID" "${W_OK[@]}" --data-binary '{"services":["mailflow"],"start":5,"end":4}' | cut -c1-3) $(sqlite3 "$W/mxsla.db" 'SELECT reason FROM maintenance')" \
	"400 longer" "a bad PUT changes nothing"
is "$(req PUT "/api/v1/maintenance/$MWID" "${J[@]}" --data-binary "$MW2" | cut -c1-3)" 401 "PUT without a session: 401"

# ---- delete ----
is "$(req DELETE "/api/v1/maintenance/$MWID" "${C[@]}")" '403 {"error":"missing or wrong CSRF token"}' \
	"DELETE without the CSRF token: 403"
is "$(req DELETE "/api/v1/maintenance/$MWID" "${C[@]}" -H "X-CSRF-Token: $CSRF")" "200 {\"deleted\":$MWID}" \
	"DELETE: 200 with the id"
is "$(req DELETE "/api/v1/maintenance/$MWID" "${C[@]}" -H "X-CSRF-Token: $CSRF")" \
	'404 {"error":"no such maintenance window"}' "DELETE again: 404"
is "$(mwcount):$(sla)" "0:maintenance=0 down=1800 planned=0" "after the delete the SLA is as before"

# ---- acknowledging the violation ----
VID=$(curl -s "$U/api/v1/violations" | jq -r '.[0].id')
is "$(curl -s "$U/api/v1/violations" | jq -c '[length, .[0].ack, .[0].start == '"$X"']')" "[1,null,true]" \
	"the outage is one violation, not acknowledged"
is "$(req POST "/api/v1/violations/$VID/ack" "${J[@]}" --data-binary '{"comment":"x"}')" \
	'401 {"error":"login required"}' "acknowledging without a session: 401"
r=$(req POST "/api/v1/violations/$VID/ack" "${W_OK[@]}" --data-binary '{"comment":"disk swap <b>"}')
is "${r%% *} $(jq -c '[.id, .ack.user, .ack.comment, (.ack.at > 0)]' "$W/out")" \
	"200 [\"$VID\",\"admin\",\"disk swap <b>\",true]" "acknowledging with a comment: 200"
is "$(curl -s "$U/api/v1/violations" | jq -c '.[0].ack | [.user, .comment]')" '["admin","disk swap <b>"]' \
	"GET /api/v1/violations carries the acknowledgement"
is "$(req POST /api/v1/violations/1-5/ack "${W_OK[@]}" --data-binary '{"comment":"x"}')" \
	'404 {"error":"no such violation"}' "acknowledging an unknown violation: 404"
is "$(req POST /api/v1/violations/zzz/ack "${W_OK[@]}" --data-binary '{"comment":"x"}' | cut -c1-3)" \
	404 "acknowledging a malformed id: 404"
is "$(req POST "/api/v1/violations/$VID/ack" "${W_OK[@]}" --data-binary '{"comment":5}')" \
	'400 {"error":"comment must be a string of at most 1000 characters, with no control characters but line breaks and tabs","path":"/comment"}' \
	"a comment that is not a string: 400"
is "$(req POST "/api/v1/violations/$VID/ack" "${W_OK[@]}" --data-binary '{"comment":"bell\u0007"}')" \
	'400 {"error":"comment must be a string of at most 1000 characters, with no control characters but line breaks and tabs","path":"/comment"}' \
	"a comment with a control character: 400"
is "$(req POST "/api/v1/violations/$VID/ack" "${W_OK[@]}" --data-binary '{"comment":"a\r\nb"}' | cut -c1-3)" 400 \
	"a comment with a carriage return: 400"
is "$(sqlite3 "$W/mxsla.db" 'SELECT count(*), min(comment) FROM acks')" "1|disk swap <b>" \
	"the database holds the one acknowledgement, unchanged by the refused ones"
r=$(req POST "/api/v1/violations/$VID/ack" "${W_OK[@]}" --data-binary '{"comment":"two\n\tlines"}')
is "${r%% *} $(jq -c .ack.comment "$W/out")" '200 "two\n\tlines"' "a comment of two lines with a tab: 200"
for p in "$VID/ack/" "$VID/ackx" "/ack" "$VID/x/ack" "99999999999999999999-99999999999999999999/ack" \
	"-1-5/ack" "$VID%00/ack" "$(printf '1%.0s' $(seq 60))/ack"; do
	r=$(req POST "/api/v1/violations/$p" "${W_OK[@]}" --data-binary '{"comment":"x"}')
	printf '%s\n' "$p ${r%% *}"
done > "$W/ids"
is "$(awk '{print $NF}' "$W/ids" | sort -u | tr '\n' ' ')" "404 " "violation paths with junk, huge or negative ids: 404"

# ---- throttling ----
codes=""
for i in 1 2 3 4 5; do r=$(login ops "bad guess $i"); codes="$codes${r%% *} "; done
is "$codes" "401 401 401 401 401 " "five wrong passwords for ops: 401 each"
r=$(login ops "$PW_OPS")
ra=$(header Retry-After)
# 30 s from the fifth failure, a second less when the clock ticked since
is "${r%% *} $([ "$ra" -ge 28 ] && [ "$ra" -le 30 ] && echo in-range)" "429 in-range" \
	"the sixth attempt, even with the right password: 429, Retry-After 30 s (or a second less)"
for i in 1 2 3 4 5; do login mallory "guess $i" > /dev/null; done
is "$(login mallory x | cut -c1-3)" 429 "an unknown user name is throttled the same way"
r=$(login viewer "$PW_VIEW")
is "${r%% *} $(jq -r .user "$W/out")" "200 viewer" \
	"another user is not held up, and logs in with a hash-password hash"

# ---- logout ----
is "$(req POST /api/v1/logout "${C[@]}")" '403 {"error":"missing or wrong CSRF token"}' \
	"logout without the CSRF token: 403"
r=$(req POST /api/v1/logout "${C[@]}" -H "X-CSRF-Token: $CSRF")
is "${r%% *} $(header Set-Cookie)" "200 mxsla_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" \
	"logout: 200 and the cookie cleared"
is "$(req GET /api/v1/session "${C[@]}" | jq -c .user 2>/dev/null | tail -1)" null "after logout the cookie is nobody"
is "$(req POST /api/v1/maintenance "${W_OK[@]}" --data-binary "$MW")" '401 {"error":"login required"}' \
	"a write with the old cookie after logout: 401"

# ---- the log ----
grep -q 'login: failed for user ops' "$W/log"; ok $? "failed logins are logged with the user"
grep -q "admin: user admin added maintenance window $MWID" "$W/log"; ok $? "a write is logged with the user"
grep -q "admin: user admin acknowledged violation $VID" "$W/log"; ok $? "an acknowledgement is logged with the user"
! grep -qF -e "$PW_ADMIN" -e "$PW_OPS" -e 'bad guess' -e "$TOK" -e "$CSRF" "$W/log"
ok $? "no password or token appears in the log"

kill -TERM "$PID"; wait "$PID"
is "$?" 0 "the collector stops cleanly on SIGTERM"

# ---- no ui.users: login is disabled, with a clear answer ----
P2=$(free_port)
cat > "$W/nousers.yaml" <<EOC
listen: 127.0.0.1:$P2
database: $W/nousers.db
agents:
  - { id: mbx01, token_file: $W/mbx01.token }
services:
  - { id: mailflow, name: Mail flow, target: 99.9, components: ["mbx01:service.smtp@smtp"] }
EOC
"$COLLECTOR" -c "$W/nousers.yaml" serve > "$W/log2" 2>&1 &
PID2=$!
cleanup "kill -9 $PID2"
wait_port "$P2" 10
U="http://127.0.0.1:$P2"
is "$(req GET /api/v1/session | cut -d' ' -f2- | jq -c .login_enabled)" false \
	"without ui.users GET /api/v1/session says login is disabled"
is "$(login admin "$PW_ADMIN")" '403 {"error":"login is disabled: ui.users is empty"}' \
	"without ui.users a login is 403 saying so"
is "$(req POST /api/v1/maintenance "${J[@]}" "${C[@]}" -H "X-CSRF-Token: $CSRF" --data-binary "$MW")" \
	'403 {"error":"login is disabled: ui.users is empty"}' "without ui.users a write is 403 saying so"
kill -TERM "$PID2"; wait "$PID2"
is "$?" 0 "the collector without users stops cleanly on SIGTERM"
done_testing

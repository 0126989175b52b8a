#!/usr/bin/env bash
# shipped-rules.sh - the shipped rule packs load, count at least 40 rules,
# give every rule advice and references, and a scan of this machine with
# them produces a report in all three formats.
. "$(dirname "$0")/lib.sh"
need jq
plan 10

mktmp W
cat > "$W/agent.yaml" <<EOC
agent: { id: shipped, site: lab, roles: [mailbox, hub-transport, edge-transport, client-access] }
rules: ["$top_srcdir/rules"]
timeout: 5s
targets:
  - { name: root, probe: disk, path: / }
  - { name: init, probe: process, process: "/./" }
  - { name: pf, probe: config, driver: file, path: "$W/keys.conf" }
EOC
printf 'a = 1\n' > "$W/keys.conf"
"$AGENT" -c "$W/agent.yaml" check-config > "$W/out" 2> "$W/err"
is "$?" 0 "shipped rule packs load without error"
[ -s "$W/err" ] && cat "$W/err" | sed 's/^/# /'
nrules=$(sed -n 's/.* \([0-9]*\) rules from.*/\1/p' "$W/out")
[ "${nrules:-0}" -ge 40 ]; ok $? "at least 40 shipped rules ($nrules)"
missing=$(for f in "$top_srcdir"/rules/*.yaml; do
	awk '/^  - id:/ { if (id != "" && (!adv || !ref)) print id; id = $3; adv = 0; ref = 0 }
	     /^    advice:/ { adv = 1 } /^    references:/ { ref = 1 }
	     END { if (id != "" && (!adv || !ref)) print id }' "$f"; done)
is "$missing" "" "every shipped rule has advice and references"
"$AGENT" -c "$W/agent.yaml" scan --format json > "$W/scan.json" 2> "$W/scan.err"
rc=$?
[ "$rc" -le 2 ]; ok $? "scan exits 0, 1 or 2 ($rc)"
is "$(jq -r '.agent' "$W/scan.json")" shipped "JSON names the agent"
n=$(jq '.findings | length' "$W/scan.json")
[ "$n" -ge 3 ]; ok $? "findings for the targets ($n)"
is "$(jq -r '[.findings[].status] | map(select(. == "critical" or . == "warning" or . == "ok" or . == "unknown")) | length' "$W/scan.json")" "$n" "every finding has a valid status"
rss=$(jq -r '.findings[] | select(.check == "agent.self@agent") | .metrics.rss_kb' "$W/scan.json")
[ "${rss:-0}" -gt 500 ] && [ "$rss" -lt 102400 ]; ok $? "agent.self@agent reports the agent's own memory ($rss kB)"
"$AGENT" -c "$W/agent.yaml" scan --format html > "$W/scan.html" 2>/dev/null
grep -q '</html>' "$W/scan.html" && ! grep -Eqi '<script|(src|href)=.https?:' "$W/scan.html"; ok $? "HTML is one self-contained page"
"$AGENT" -c "$W/agent.yaml" scan > "$W/scan.txt" 2>/dev/null
grep -q '^Summary: ' "$W/scan.txt"; ok $? "text report has a summary"
done_testing

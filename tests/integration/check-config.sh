#!/usr/bin/env bash
# check-config.sh - `mxsla-agent check-config` and bad configurations:
# every error of the file and of its rule packs is reported as
# FILE:LINE:COL, all of them, and the exit code is 78; a sound file
# passes; usage errors exit 64.
. "$(dirname "$0")/lib.sh"
plan 15

mktmp W
mkdir -p "$W/rules"
cat > "$W/rules/bad.yaml" <<'EOR'
pack: bad
rules:
  - id: r.one
    title: Syntax error in an expression
    probe: queue
    warning: deferred >> 3
  - id: r.two
    title: Unknown probe
    probe: quue
    critical: up == 0
  - id: r.three
    title: Bad regex
    probe: service
    critical: banner =~ /(unclosed/
    fro: 5m
EOR
cat > "$W/bad.yaml" <<'EOC'
agent: { id: t1, roles: [mailbox, hub-transprt] }
interval: 5 minutes
rules: [rules]
targets:
  - { name: a, probe: disk, path: /, colour: blue }
  - { name: a, probe: disk, path: /tmp }
  - { name: b, probe: nosuch }
EOC
"$AGENT" -c "$W/bad.yaml" check-config > "$W/out" 2> "$W/err"
is "$?" 78 "a bad configuration exits 78"
grep -E -c '^[^:]+:[0-9]+:[0-9]+: ' "$W/err" > "$W/n"
n=$(cat "$W/n")
[ "$n" -ge 8 ]; ok $? "every error is reported ($n located errors)"
grep -q "bad.yaml:1:[0-9]*: .*hub-transprt" "$W/err"; ok $? "unknown role located"
grep -q "bad.yaml:2:11: " "$W/err"; ok $? "bad duration located at its value"
grep -q "bad.yaml:5:[0-9]*: .*colour" "$W/err"; ok $? "unknown probe option located"
grep -q "bad.yaml:6:[0-9]*: .*duplicate target name 'a'" "$W/err"; ok $? "duplicate target located"
grep -q "bad.yaml:7:[0-9]*: .*unknown probe 'nosuch'" "$W/err"; ok $? "unknown probe located"
grep -q "rules/bad.yaml:6:[0-9]*: warning: " "$W/err"; ok $? "expression syntax error located"
col=$(grep "rules/bad.yaml:6:" "$W/err" | head -1 | cut -d: -f3)
line6=$(sed -n 6p "$W/rules/bad.yaml")
want=$(( $(awk -v s="$line6" 'BEGIN { print index(s, ">>") }') + 1 ))
is "$col" "$want" "expression error points at the second '>'"
grep -q "rules/bad.yaml:9:[0-9]*: .*quue" "$W/err"; ok $? "unknown probe kind in a rule located"
grep -q "rules/bad.yaml:14:[0-9]*: .*regex" "$W/err"; ok $? "bad regex located"
grep -q "rules/bad.yaml:15:[0-9]*: .*fro.*did you mean 'for'" "$W/err"; ok $? "misspelt key gets a suggestion"

cat > "$W/good.yaml" <<EOC
agent: { id: t2, roles: [mailbox] }
rules: ["$top_srcdir/rules"]
targets:
  - { name: root, probe: disk, path: / }
EOC
"$AGENT" -c "$W/good.yaml" check-config > "$W/out" 2> "$W/err"
is "$?" 0 "a sound configuration with the shipped rules passes"
"$AGENT" -c "$W/good.yaml" scan --format yaml > /dev/null 2>&1
is "$?" 64 "a bad --format is a usage error (64)"
"$AGENT" -c "$W/missing.yaml" check-config > /dev/null 2> "$W/err"
is "$?" 78 "a missing configuration file exits 78"
done_testing

#!/bin/sh
# Stands in for doveadm in the exit-status tests of the copy driver
# `dovecot` (mode sync): its last argument is the exit status to return,
# and it writes a line to stderr when that status is not 0, as doveadm
# sync does.  Only the mapping of exit statuses is tested with it; the
# real doveadm is used for a real failure.
for arg in "$@"; do last=$arg; done
case "$last" in
0) exit 0 ;;
2) echo "dsync(alice): Warning: Mailbox changes caused a desync. You may want to run dsync again." >&2; exit 2 ;;
*) echo "doveadm(alice): Error: fake failure" >&2; exit "$last" ;;
esac

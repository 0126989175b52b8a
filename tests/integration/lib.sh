# lib.sh - helpers for the integration tests: TAP output and real daemons
# (a Postfix instance of its own, Dovecot, a loop-mounted filesystem) on
# 127.0.0.1, each in a temporary directory that is removed at exit.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
AGENT="$top_builddir/agent/mxsla-agent"
export NO_COLOR=1

T_N=0
T_FAIL=0
T_PLAN=0
CLEANUP=()

plan() { T_PLAN=$1; echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
ok() {
	T_N=$((T_N + 1))
	if [ "$1" = 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAIL=$((T_FAIL + 1)); fi
}
# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; fi
}
diag() { echo "# $*"; }
done_testing() {
	[ "$T_PLAN" = "$T_N" ] || { echo "not ok $((T_N + 1)) - planned $T_PLAN tests, ran $T_N"; exit 1; }
	[ "$T_FAIL" = 0 ]
}

on_exit() { for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[$i]}" >/dev/null 2>&1; done; }
trap on_exit EXIT
cleanup() { CLEANUP+=("$*"); }

need() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"; done; }

# A free TCP port on 127.0.0.1, below the kernel's ephemeral range so that
# no outgoing connection can be holding it by the time a daemon binds it.
free_port() {
	local p lo=32768 hi
	read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	[ "$lo" -gt 12000 ] || lo=32768
	for _ in $(seq 1 50); do
		p=$((10000 + RANDOM % (lo - 10000)))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

wait_port() { # PORT [SECONDS]
	local end=$((SECONDS + ${2:-10}))
	while [ $SECONDS -lt $end ]; do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# mktmp VAR: a fresh directory in VAR, removed at exit (set in this
# shell, not in a $(...) subshell, so that the cleanup is not lost).
mktmp() {
	local d
	d=$(mktemp -d /tmp/mxsla-test.XXXXXX) || return 1
	chmod 755 "$d"
	cleanup "rm -rf '$d'"
	printf -v "$1" '%s' "$d"
}

# start_postfix DIR SMTP_PORT: a Postfix instance of its own whose mail
# to other hosts stays deferred (relayhost is a closed port).
start_postfix() {
	local d=$1 port=$2 cur
	mkdir -p "$d/etc" "$d/spool" "$d/data"
	chown postfix "$d/data"
	cp /etc/postfix/master.cf "$d/etc/"
	[ -f /etc/postfix/dynamicmaps.cf ] && cp /etc/postfix/dynamicmaps.cf "$d/etc/"
	cat > "$d/etc/main.cf" <<EOC
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mxsla-test.localdomain
mydomain = localdomain
mydestination =
relayhost = [127.0.0.1]:9
maillog_file_prefixes = /var, /dev/stdout, /tmp
maillog_file = $d/maillog
smtputf8_enable = no
EOC
	sed -i -E "s/^smtp +inet +n +- +[yn] +- +- +smtpd/127.0.0.1:$port inet n - n - - smtpd/" "$d/etc/master.cf"
	sed -i -E 's/^([a-z]+ +(unix|unix-dgram|fifo|inet|pass) +[-n] +[-n] +)y /\1n /' "$d/etc/master.cf"
	# postfix -c and postqueue -c accept only directories the default
	# instance lists; the original list is put back at exit.
	cur=$(postconf -h alternate_config_directories 2>/dev/null)
	case ",$cur," in
	*"$d/etc"*) ;;
	*) postconf -e "alternate_config_directories = ${cur:+$cur, }$d/etc"
	   cleanup "postconf -e 'alternate_config_directories = $cur'" ;;
	esac
	postfix -c "$d/etc" start >/dev/null 2>&1 || { cat "$d/maillog" 2>/dev/null; return 1; }
	cleanup "postfix -c '$d/etc' stop"
	wait_port "$port" 20
}

# queue_deferred DIR N: submit N messages to remote recipients and wait
# until all N sit in the deferred queue.
queue_deferred() {
	local d=$1 n=$2 i got
	for i in $(seq 1 "$n"); do
		printf 'Subject: mxsla test %s\n\nbody\n' "$i" |
			sendmail -C "$d/etc" -f sender@example.org "user$i@remote$((i % 2)).example" || return 1
	done
	for _ in $(seq 1 150); do
		got=$(postqueue -c "$d/etc" -j 2>/dev/null | jq -s '[.[] | select(.queue_name == "deferred")] | length')
		[ "$got" = "$n" ] && return 0
		sleep 0.2
	done
	echo "# deferred queue holds $got, wanted $n"
	return 1
}

# start_dovecot DIR IMAP_PORT POP3_PORT
start_dovecot() {
	local d=$1
	mkdir -p "$d/run" "$d/mail"
	cat > "$d/dovecot.conf" <<EOC
protocols = imap pop3
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:$d/mail/%u
passdb {
  driver = static
  args = password=test
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$d/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $2
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $3
  }
  inet_listener pop3s {
    port = 0
  }
}
EOC
	dovecot -c "$d/dovecot.conf" || return 1
	cleanup "doveadm -c '$d/dovecot.conf' stop"
	wait_port "$2" 10 && wait_port "$3" 10
}

stop_dovecot() {
	doveadm -c "$1/dovecot.conf" stop
	for _ in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# mount_small_fs DIR SIZE_MB: a real ext4 filesystem on a loop device
# (falls back to tmpfs where loop devices are not available).
mount_small_fs() {
	local d=$1 mb=$2
	mkdir -p "$d/mnt"
	truncate -s "${mb}M" "$d/fs.img"
	if mke2fs -q -F -t ext4 -m 0 "$d/fs.img" >/dev/null 2>&1 && mount -o loop "$d/fs.img" "$d/mnt" 2>/dev/null; then
		cleanup "umount '$d/mnt'"
		return 0
	fi
	mount -t tmpfs -o "size=${mb}m" tmpfs "$d/mnt" 2>/dev/null || return 1
	cleanup "umount '$d/mnt'"
}

# jqf FILE FILTER: run jq on a report
jqf() { jq -r "$2" "$1"; }

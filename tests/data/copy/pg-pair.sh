#!/bin/sh
# pg-pair.sh start DIR PORT | stop DIR
#
# A real PostgreSQL primary on 127.0.0.1:PORT and a streaming standby
# (pg_basebackup -R) on 127.0.0.1:PORT+1, both under DIR, for the live
# test of the copy driver `pgsql`.  `start` returns once the standby
# streams.  Exits 77 when no PostgreSQL server binaries are installed
# (Debian: postgresql-15) or when, as root, there is no postgres user to
# run them as (initdb refuses root).
cmd=$1
dir=$2
port=$3

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
	echo "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin" >&2
	exit 77
fi
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || { echo "no postgres user" >&2; exit 77; }
	as() { su postgres -s /bin/sh -c "$1"; }
else
	as() { sh -c "$1"; }
fi

case "$cmd" in
start)
	[ -n "$dir" ] && [ -n "$port" ] || { echo "usage: $0 start DIR PORT" >&2; exit 2; }
	sport=$((port + 1))
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	as "'$bin/initdb' -D '$dir/primary' -A trust -U postgres" >"$dir/initdb.log" 2>&1 || exit 1
	cat >>"$dir/primary/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 5
CONF
	echo "host replication all 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
	as "'$bin/pg_ctl' -D '$dir/primary' -l '$dir/primary.log' -w start" >/dev/null || exit 1
	as "'$bin/pg_basebackup' -h 127.0.0.1 -p $port -U postgres -D '$dir/standby' -R -X stream -d application_name=standby1" \
		>"$dir/basebackup.log" 2>&1 || exit 1
	sed -i "s/^port = $port\$/port = $sport/" "$dir/standby/postgresql.conf"
	as "'$bin/pg_ctl' -D '$dir/standby' -l '$dir/standby.log' -w start" >/dev/null || exit 1
	i=0
	while [ $i -lt 100 ]; do
		n=$("$bin/psql" -X -A -t -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
			-c "select count(*) from pg_stat_replication where state = 'streaming'" 2>/dev/null)
		[ "$n" = 1 ] && exit 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "the standby did not start streaming" >&2
	exit 1
	;;
stop)
	[ -n "$dir" ] || exit 2
	for d in standby primary; do
		[ -f "$dir/$d/postmaster.pid" ] && as "'$bin/pg_ctl' -D '$dir/$d' -m immediate -w stop" >/dev/null 2>&1
	done
	rm -rf "$dir"
	exit 0
	;;
*)
	echo "usage: $0 start DIR PORT | stop DIR" >&2
	exit 2
	;;
esac

#!/bin/sh
# libfuzzer.sh - build the fuzz targets with clang's libFuzzer (plus ASan
# and UBSan) and fuzz each for a while, starting from the seeds that
# tests/fuzz/seeds.txt lists.  See tests/fuzz/README.md.
#
#   tests/fuzz/libfuzzer.sh [-t SECONDS] [-m MAX_LEN] [-b BUILD_DIR] [TARGET...]
#
#   -t SECONDS    how long to fuzz each target (default 60; 0: build only)
#   -m MAX_LEN    largest input libFuzzer makes (default 65536; smaller
#                 inputs mean more runs per second, e.g. -m 4096 for config)
#   -b BUILD_DIR  where to configure and build (default /tmp/mxsla-libfuzzer);
#                 the corpus grows in BUILD_DIR/corpus/TARGET and crash
#                 inputs land in BUILD_DIR/artifacts/TARGET/
#   TARGET        expr, yaml, rules, ... (default: every target in seeds.txt);
#                 the collector's (ingest, ccfg) link collector/libcollector.a
#
# Needs clang with libFuzzer (Debian: apt-get install clang) and the
# build dependencies of mxsla.  Exit status 1 when a target found a
# crash, a leak or a timeout.
set -eu

seconds=60
maxlen=65536
build=/tmp/mxsla-libfuzzer
while getopts t:m:b: opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	m) maxlen=$OPTARG ;;
	b) build=$OPTARG ;;
	*) sed -n '2,18s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

top=$(cd "$(dirname "$0")/../.." && pwd)
seeds=$top/tests/fuzz/seeds.txt
if [ $# -eq 0 ]; then
	set -- $(sed -e 's/#.*//' "$seeds" | awk 'NF { print $1 }')
fi

# The libraries, instrumented for coverage (fuzzer-no-link) and with
# the sanitizers of --enable-sanitizers.
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
	CC=clang "$top/configure" -q --enable-sanitizers \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link"
fi
# The targets that parse what the collector reads need its library.
collector_targets="ingest ccfg"
is_collector() {
	case " $collector_targets " in *" $1 "*) return 0 ;; esac
	return 1
}
libraries="lib/libmxsla.a agent/libagent.a"
for t in "$@"; do
	if is_collector "$t"; then
		libraries="$libraries collector/libcollector.a"
		break
	fi
done
if ! make -s V=0 $libraries >build.log 2>&1; then
	tail -n 30 build.log >&2
	exit 2
fi
# Make variables as configure found them
makevar() {
	make -s --no-print-directory --eval 'fuzz-print-%: ; @echo $($*)' "fuzz-print-$1" | tail -n 1
}
libs=$(makevar COMMON_LIBS)
collector_cflags="$(makevar SQLITE_CFLAGS) $(makevar MHD_CFLAGS)"
collector_libs="$(makevar SQLITE_LIBS) $(makevar MHD_LIBS)"

status=0
for t in "$@"; do
	src=$top/tests/fuzz/fuzz-$t.c
	if [ ! -f "$src" ]; then
		echo "libfuzzer.sh: no target $t ($src)" >&2
		exit 2
	fi
	if is_collector "$t"; then
		clang -std=gnu11 -g -O1 -fno-omit-frame-pointer \
			-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
			-I"$build" -I"$top/lib" -I"$top/collector" -I"$top/tests/fuzz" \
			$collector_cflags "$src" collector/libcollector.a lib/libmxsla.a \
			$collector_libs $libs -pthread -o "fuzz-$t"
	else
		clang -std=gnu11 -g -O1 -fno-omit-frame-pointer \
			-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
			-I"$build" -I"$top/lib" -I"$top/agent" -I"$top/tests/fuzz" \
			"$src" agent/libagent.a lib/libmxsla.a $libs -pthread -o "fuzz-$t"
	fi

	# the seeds, and the inputs that once found bugs
	mkdir -p "corpus/$t" "artifacts/$t"
	globs=$(awk -v t="$t" '$1 == t { for (i = 2; i <= NF; i++) print $i }' "$seeds")
	for g in $globs; do
		for f in "$top"/$g; do
			[ -f "$f" ] && cp "$f" "corpus/$t/seed-$(echo "${f#"$top"/}" | tr / _)"
		done
	done
	if [ -d "$top/tests/fuzz/regressions/$t" ]; then
		for f in "$top/tests/fuzz/regressions/$t"/*; do
			[ -f "$f" ] && cp "$f" "corpus/$t/regression-$(basename "$f")"
		done
	fi
	[ "$seconds" -gt 0 ] || continue

	echo "== fuzz-$t for ${seconds}s"
	if ! ./"fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$maxlen" -print_final_stats=1 \
		-artifact_prefix="artifacts/$t/" "corpus/$t" >"fuzz-$t.log" 2>&1; then
		status=1
		echo "fuzz-$t: FOUND A PROBLEM; see $build/fuzz-$t.log and $build/artifacts/$t/"
		grep -m1 -E 'ERROR|runtime error|Test unit written' "fuzz-$t.log" || true
	else
		grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "fuzz-$t.log" |
			tr '\n' ' '
		echo
	fi
done
exit $status

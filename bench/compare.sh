#!/bin/sh
# compare.sh measures two commits of this repository against each other
# with their benchmarks interleaved (A B A B ..., not A A A B B B), so that a
# change in the machine's load hits both alike, and prints, per benchmark,
# the ratio new/old of ns/op in each pair and the median of those ratios.
#
#	bench/compare.sh [-n pairs] [-bench regexp] [-benchtime d] OLD [NEW]
#
# OLD and NEW are commits (NEW defaults to the working tree, uncommitted
# changes included). Each is built once as a test binary of ./bench, in a
# temporary worktree; the benchmarks need PostgreSQL as the tests do
# (DATABASE_URL, or a throwaway cluster). The defaults measure one record's
# codec:
#
#	bench/compare.sh ddd16ff                          # Codec decode, 5 pairs
#	bench/compare.sh -n 7 -bench 'Codec/op=encode' ddd16ff HEAD
#
# On a machine that others load too, wall-clock time swings with their
# work. -cpu ITERATIONS measures instead the CPU time of the test process,
# all its threads (perf stat's task-clock), for ITERATIONS iterations of the
# one benchmark that -bench must then select, setup included in both sides.
# It runs with GOMAXPROCS=1 unless GOMAXPROCS is set: on one P the
# collector's work is done in turn with the benchmark's, as on a server
# whose cores are all busy; with more, its background workers also take the
# idle cores, as on a server with cores to spare, which costs more CPU the
# more a side allocates:
#
#	bench/compare.sh -cpu 200000 -bench 'Codec/op=decode/mode=value/impl=generated$' ddd16ff
#	GOMAXPROCS=2 bench/compare.sh -cpu 200000 -bench 'Codec/op=decode/mode=value/impl=generated$' ddd16ff
#
# DATABASE_URL set to a running server keeps the harness from starting one
# per run.
set -eu

usage="usage: $0 [-n pairs] [-bench regexp] [-benchtime d | -cpu iterations] OLD [NEW]"
pairs=5
bench='Codec/op=decode'
benchtime=2s
cpu=
while [ $# -gt 0 ]; do
	case $1 in
	-n) pairs=$2; shift 2 ;;
	-bench) bench=$2; shift 2 ;;
	-benchtime) benchtime=$2; shift 2 ;;
	-cpu) cpu=$2; shift 2 ;;
	-*) echo "$usage" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
old=$1
new=${2:-}

root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/old" 2>/dev/null || true
	[ -z "$new" ] || git -C "$root" worktree remove --force "$work/new" 2>/dev/null || true
	rm -rf "$work"' EXIT

# build SRC-DIR BINARY: the test binary of ./bench of a checkout
build() {
	(cd "$1" && go test -c -o "$2" ./bench)
}
git -C "$root" worktree add --detach -q "$work/old" "$old"
build "$work/old" "$work/old.test"
if [ -n "$new" ]; then
	git -C "$root" worktree add --detach -q "$work/new" "$new"
	build "$work/new" "$work/new.test"
else
	new="working tree"
	build "$root" "$work/new.test"
fi

cd "$root/bench" # the tests read testdata/ from the package directory

# run SIDE PAIR: "PAIR SIDE NAME NS/OP" for each benchmark of one run
run() {
	if [ -n "$cpu" ]; then
		GOMAXPROCS=${GOMAXPROCS:-1} perf stat -x, -e task-clock "$work/$1.test" -test.run '^$' -test.bench "$bench" -test.benchtime "${cpu}x" 2>&1 >/dev/null |
			awk -F, -v side="$1" -v pair="$2" -v n="$cpu" -v name="$bench" '$3 == "task-clock" { print pair, side, "cpu:" name, $1 * 1e6 / n }'
		return
	fi
	"$work/$1.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" |
		awk -v side="$1" -v pair="$2" '/^Benchmark/ { for (f = 2; f < NF; f++) if ($(f+1) == "ns/op") print pair, side, $1, $f }'
}

measure="-benchtime $benchtime"
[ -z "$cpu" ] || measure="-cpu $cpu (task-clock, GOMAXPROCS=${GOMAXPROCS:-1})"
echo "old: $old, new: $new; -bench '$bench' $measure, $pairs pairs" >&2
i=1
while [ "$i" -le "$pairs" ]; do
	run old "$i"
	run new "$i"
	i=$((i + 1))
done | awk '
	{ ns[$3, $1, $2] = $4; if (!($3 in seen)) { seen[$3] = 1; names[++n] = $3 }; if ($1 > pairs) pairs = $1 }
	END {
		for (k = 1; k <= n; k++) {
			name = names[k]; m = 0; line = ""
			for (p = 1; p <= pairs; p++) {
				if ((name, p, "old") in ns && (name, p, "new") in ns) {
					r[++m] = ns[name, p, "new"] / ns[name, p, "old"]
					line = line sprintf(" %.3f", r[m])
				}
			}
			if (m == 0) continue
			for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (r[b] < r[a]) { t = r[a]; r[a] = r[b]; r[b] = t }
			median = (m % 2) ? r[(m + 1) / 2] : (r[m / 2] + r[m / 2 + 1]) / 2
			printf "%-60s median %.3f  pairs:%s\n", name, median, line
		}
	}'

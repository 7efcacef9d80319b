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
set -eu

pairs=5
bench='Codec/op=decode'
benchtime=2s
while [ $# -gt 0 ]; do
	case $1 in
	-n) pairs=$2; shift 2 ;;
	-bench) bench=$2; shift 2 ;;
	-benchtime) benchtime=$2; shift 2 ;;
	-*) echo "usage: $0 [-n pairs] [-bench regexp] [-benchtime d] OLD [NEW]" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { echo "usage: $0 [-n pairs] [-bench regexp] [-benchtime d] OLD [NEW]" >&2; exit 2; }
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

echo "old: $old, new: $new; -bench '$bench' -benchtime $benchtime, $pairs pairs" >&2
cd "$root/bench" # the tests read testdata/ from the package directory
i=1
while [ "$i" -le "$pairs" ]; do
	for side in old new; do
		"$work/$side.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" |
			awk -v side="$side" -v pair="$i" '/^Benchmark/ { for (f = 2; f < NF; f++) if ($(f+1) == "ns/op") print pair, side, $1, $f }'
	done
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

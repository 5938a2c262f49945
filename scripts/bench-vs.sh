#!/usr/bin/env bash
# make bench-vs REV=<git rev>: one runtime benchmark of the working tree
# against the same benchmark of an earlier revision, in the same run:
# both test binaries are built, then run alternately (ROUNDS times each,
# the order swapping every round), and every round's figure is printed
# with the range of each side and their ratio.
#
#   REV=HEAD~5 bash scripts/bench-vs.sh
#   REV=5d1e068 BENCH=StatelessAgentOnly METRIC=agent-rec/s ROUNDS=4 bash scripts/bench-vs.sh
#
# BENCH must exist at both revisions; METRIC is the unit it reports. PKG
# is the benchmark's package (default ./runtime/internal/engine/), OLDPKG
# its package at REV (default PKG, or ./runtime/ for a revision from
# before the engine moved out of package runtime).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GO=${GO:-go}
rev=${REV:?set REV to the git revision to compare with}
bench=${BENCH:-StatelessAgentOnly}
metric=${METRIC:-agent-rec/s}
rounds=${ROUNDS:-4}
pkg=${PKG:-./runtime/internal/engine/}

tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add -q --detach "$tmp/old" "$rev"
oldpkg=${OLDPKG:-$pkg}
if [ -z "${OLDPKG:-}" ] && [ ! -d "$tmp/old/$pkg" ]; then
	oldpkg=./runtime/
fi
(cd "$tmp/old" && $GO test -c -o "$tmp/old.test" "$oldpkg")
$GO test -c -o "$tmp/new.test" "$pkg"

run() { # run BINARY DIR: prints the metric of one run, in DIR of the old tree or this one
	(cd "$2" && "$1" -test.run '^$' -test.bench "^Benchmark${bench}\$" -test.benchtime 1x) |
		awk -v u="$metric" '/^Benchmark/ { for (i = 2; i < NF; i++) if ($(i + 1) == u) print $i }'
}
old=() new=()
for ((i = 0; i < rounds; i++)); do
	if ((i % 2 == 0)); then
		o=$(run "$tmp/old.test" "$tmp/old/$oldpkg"); n=$(run "$tmp/new.test" "$pkg")
	else
		n=$(run "$tmp/new.test" "$pkg"); o=$(run "$tmp/old.test" "$tmp/old/$oldpkg")
	fi
	old+=("$o") new+=("$n")
	echo "round $((i + 1)): $rev $o, working tree $n $metric (ratio $(awk -v a="$n" -v b="$o" 'BEGIN { printf "%.3f", a / b }'))"
done
printf '%s\n' "${old[@]}" | sort -g | awk -v r="$rev" -v u="$metric" 'NR == 1 { lo = $1 } { hi = $1; s += $1 } END { printf "%s: %s-%s %s (mean %.0f)\n", r, lo, hi, u, s / NR }'
printf '%s\n' "${new[@]}" | sort -g | awk -v u="$metric" 'NR == 1 { lo = $1 } { hi = $1; s += $1 } END { printf "working tree: %s-%s %s (mean %.0f)\n", lo, hi, u, s / NR }'
paste -d' ' <(printf '%s\n' "${new[@]}") <(printf '%s\n' "${old[@]}") | awk '{ r = $1 / $2; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r; s += r } END { printf "ratio working tree / old per round: %.3f-%.3f (mean %.3f)\n", lo, hi, s / NR }'

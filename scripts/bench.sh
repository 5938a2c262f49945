#!/usr/bin/env bash
# make bench: runs every benchmark of the project that reports a ratio
# against a ceiling measured in the same run, then prints a summary table
# (name, figure, ratio, target, met or not).
#
#   bash scripts/bench.sh            # everything, tens of minutes on 2 cores
#   BENCH_ONLY=codec bash scripts/bench.sh   # one group: generate, codec, compat, runtime, kafka
#   BENCH_ONLY=none BENCH_OUT=DIR bash scripts/bench.sh   # the summary of the logs in DIR again
#
# The full output of each group is printed as it runs and kept in
# $BENCH_OUT (default: a temporary folder removed at the end). It exits 1
# when a benchmark fails to run; a figure that misses its target is
# reported in the table, not as a failure (the machine may be shared).
#
# Before running, it lists every `func Benchmark` in the tree that none of
# the groups below runs, so a new ratio benchmark is not forgotten.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GO=${GO:-go}

out=${BENCH_OUT:-}
if [ -z "$out" ]; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

# The groups: name, packages, -bench pattern, extra go test flags.
# Benchmarks named here only for profiling (one half of a ratio) are
# listed in profile_only and not run.
runtime_pattern='StatelessAgentVs|EndToEnd|Framed|ResolvedDecode|BacklogPeakRSS|RestoreVsRaw|StatefulVsStateless|WindowedVsStateless|GlobalLookupVsPlainGet|ExactlyOnceVsAtLeastOnce|RestartAfterKillVsFullRestore'
kafka_pattern='StatefulVsStateless|WindowedVsStateless|RestoreVsRaw|ExactlyOnceVsAtLeastOnce|RestartAfterKillVsFullRestore'
profile_only='BenchmarkBulkLoad|BenchmarkStatelessAgentOnly|BenchmarkStatefulAgentOnly|BenchmarkRawFranzGoOnly|BenchmarkEncode[A-Za-z]*|BenchmarkDecode[A-Za-z]*'

# uncovered lists benchmarks no group runs (the codec ones run through
# TestSpeedRatios, which calls them).
uncovered() {
	grep -rhoE --include='*_test.go' 'func Benchmark[A-Za-z0-9_]+' . |
		sed 's/^func //' | sort -u |
		grep -vE "^(BenchmarkGenerate|BenchmarkGenerateDeepSchema|BenchmarkCheck200[A-Za-z0-9]*|BenchmarkCheckCommand[A-Za-z0-9]*|Benchmark[A-Za-z0-9_]*(${runtime_pattern})[A-Za-z0-9_]*|${profile_only})\$" || true
}
missing=$(uncovered)
if [ -n "$missing" ]; then
	echo "bench: these benchmarks are not part of make bench (add them to scripts/bench.sh if they report a ratio):"
	echo "$missing" | sed 's/^/  /'
fi

status=0
failed=()

# step NAME CMD...: runs CMD, showing and keeping its output in $out/NAME.log.
step() {
	local name=$1
	shift
	if [ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$name" ]; then
		return
	fi
	echo "== $name: $*"
	if ! "$@" 2>&1 | tee "$out/$name.log"; then
		echo "bench: $name failed" >&2
		failed+=("$name")
		status=1
	fi
}

step generate env "$GO" test -count=1 -run '^$' -bench 'Generate' -benchtime 3x ./gen
step codec env FAUSTGEN_BENCH=1 "$GO" test -count=1 -run 'SpeedRatios' -v ./gen/avsc/internal/benchgen
step compat "$GO" test -count=1 -run '^$' -bench 'Check200|CheckCommand' -benchtime 3x ./compat ./cmd/faustgen
step runtime "$GO" test -count=1 -run '^$' -bench "$runtime_pattern" -benchtime 1x -timeout 20m ./runtime/internal/engine/
# The same stateful benchmarks on the real services (started and stopped
# here unless FAUSTGEN_BROKERS/FAUSTGEN_REGISTRY name running ones):
# exactly-once's cost is a broker's, not kfake's.
step kafka bash scripts/services/with-services.sh "$GO" test -tags integration -count=1 -run '^$' -bench "$kafka_pattern" -benchtime 1x -timeout 40m ./runtime/internal/engine/

# metric FILE BENCH UNIT: the value reported with UNIT on the result line
# of the benchmark whose name starts with BENCH.
metric() {
	[ -f "$1" ] || return 0
	awk -v b="$2" -v u="$3" 'index($1, b) == 1 { for (i = 2; i < NF; i++) if ($(i + 1) == u) { print $i; exit } }' "$1"
}

# codec OP CODEC COLUMN: a column of TestSpeedRatios' table (3 ns/op,
# 5 allocs, 6 time/hamba, 7 allocs/hamba).
codec() {
	[ -f "$out/codec.log" ] || return 0
	awk -v op="$1" -v c="$2" -v col="$3" '$1 == op && $2 == c { print $col; exit }' "$out/codec.log"
}

# calc EXPR: awk arithmetic, empty when a figure is missing.
calc() { awk "BEGIN { printf \"$1\", $2 }" 2>/dev/null; }

# met VALUE OP LIMIT: yes/no, or "?" when VALUE is missing.
met() {
	if [ -z "$1" ]; then
		echo "?"
	elif awk -v v="$1" -v l="$3" "BEGIN { exit !(v $2 l) }"; then
		echo yes
	else
		echo no
	fi
}

# stateful_rows LOG WHERE, eos_rows LOG WHERE: the stateful-counting and
# the exactly-once rows of a runtime log (WHERE: kfake or Kafka).
stateful_rows() {
	local log=$1 where=$2 m r
	[ -f "$log" ] || return 0
	m=BenchmarkStatefulVsStatelessAgent
	r=$(metric "$log" $m ratio)
	row "stateful counting agent vs stateless ($where)" \
		"$(calc '%.0f rec/s (stateless %.0f)' "$(metric "$log" $m stateful-rec/s), $(metric "$log" $m stateless-rec/s)")" \
		"$r× stateless" "≥ 0.5× stateless" "$(met "$r" '>=' 0.5)"
}
eos_rows() {
	local log=$1 where=$2 m r iv target ok
	[ -f "$log" ] || return 0
	for iv in 100ms 1s; do
		m=BenchmarkExactlyOnceVsAtLeastOnce/interval=$iv
		r=$(metric "$log" $m ratio)
		[ -n "$r" ] || continue
		target="-"; ok="-"
		if [ $iv = 1s ]; then target="≥ 0.7"; ok=$(met "$r" '>=' 0.7); fi
		row "exactly-once count vs at-least-once, commit interval $iv ($where)" \
			"$(calc '%.0f rec/s (at-least-once %.0f)' "$(metric "$log" $m eos-rec/s), $(metric "$log" $m alo-rec/s)")" \
			"$r" "$target" "$ok"
	done
	m=BenchmarkRestartAfterKillVsFullRestore
	r=$(metric "$log" $m ratio)
	if [ -n "$r" ]; then
		row "exactly-once restart after SIGKILL, 1M-record changelog ($where)" \
			"$(calc 'ready in %.2f s (recovery %.3f s; full restore %.2f s, recovery %.2f s)' "$(metric "$log" $m restart-s), $(metric "$log" $m restart-recovery-s), $(metric "$log" $m full-restore-s), $(metric "$log" $m full-recovery-s)")" \
			"$r× full restore" "reported" "-"
	fi
}

windowed_rows() {
	local log=$1 where=$2 m r kind target ok
	[ -f "$log" ] || return 0
	for kind in tumbling hopping6; do
		m=BenchmarkWindowedVsStatelessAgent/$kind
		r=$(metric "$log" $m ratio)
		[ -n "$r" ] || continue
		target="≥ 0.5× stateless" ok=$(met "$r" '>=' 0.5)
		if [ $kind = hopping6 ]; then target=reported ok=-; fi
		row "windowed count, $kind, vs stateless ($where)" \
			"$(calc '%.0f rec/s (stateless %.0f)' "$(metric "$log" $m windowed-rec/s), $(metric "$log" $m stateless-rec/s)")" \
			"$r× stateless" "$target" "$ok"
	done
}
restore_rows() {
	local log=$1 where=$2 m r n
	[ -f "$log" ] || return 0
	for n in 100000 1000000 5000000; do
		m=BenchmarkRestoreVsRawConsume/records=$n
		r=$(metric "$log" $m ratio)
		[ -n "$r" ] || continue
		row "table restore, $n records ($where)" \
			"$(calc '%.0f rec/s, %.2f s (raw consume %.0f rec/s)' "$(metric "$log" $m restore-rec/s), $(metric "$log" $m restore-s), $(metric "$log" $m raw-rec/s)")" \
			"$r× raw consume" "≥ 0.6× raw" "$(met "$r" '>=' 0.6)"
	done
}

rows=()
row() { rows+=("$1|$2|$3|$4|$5"); }

if [ -f "$out/generate.log" ]; then
	g=BenchmarkGenerate/schemas=500/topics=200
	s=$(metric "$out/generate.log" $g budget)
	row "generate 500 schemas/200 topics" \
		"$(calc '%.2f s, %.2f CPU-s' "$s, $(metric "$out/generate.log" $g cpu-s/op)")" \
		"$(metric "$out/generate.log" $g x-gofmt)× gofmt of the output" "< 1 s" "$(met "$s" '<' 1)"
	# One deep schema of 500 named types against one of 10, per type: 1
	# when the output and the time grow linearly, 50 when quadratically.
	for n in 50 100 500; do
		g=BenchmarkGenerateDeepSchema/types=$n
		xb=$(metric "$out/generate.log" $g x10-bytes/type)
		xt=$(metric "$out/generate.log" $g x10-time/type)
		[ -n "$xb" ] || continue
		ok=$(met "$xb" '<=' 1.5)
		if [ "$ok" = yes ]; then ok=$(met "$xt" '<=' 1.5); fi
		row "generate one deep schema of $n named types" \
			"$(calc '%.0f KB, %.0f µs/type' "$(metric "$out/generate.log" $g bytes) / 1000, $(metric "$out/generate.log" $g µs/type)")" \
			"${xb}× bytes/type, ${xt}× time/type of 10 types" "≤ 1.5× (linear)" "$ok"
	done
fi
if [ -f "$out/codec.log" ]; then
	for op in encode decode; do
		tr=$(codec $op generated 6)
		ar=$(codec $op generated 7)
		gr=$(calc '%.2f' "$(codec $op generated 3) / $(codec $op linkedin-goavro 3)")
		ok=$(met "$tr" '<=' 1)
		if [ "$ok" = yes ]; then ok=$(met "$ar" '<=' 1); fi
		row "codec $op PageView vs hamba" "$(codec $op generated 3) ns/op, $(codec $op generated 5) allocs" \
			"${tr}× hamba time, ${ar}× allocs (${gr}× goavro)" "≤ 1× hamba" "$ok"
	done
fi
if [ -f "$out/compat.log" ]; then
	b=$(metric "$out/compat.log" BenchmarkCheck200Subjects10Versions 'budget-used(2s)')
	row "compat engine 200 subjects × 10 versions" "$(calc '%.2f s' "$b * 2")" \
		"$(metric "$out/compat.log" BenchmarkCheck200Subjects10Versions x-encoding/json)× encoding/json decode" "< 2 s" "$(met "$b" '<' 1)"
	b=$(metric "$out/compat.log" BenchmarkCheckCommand200Subjects10Versions 'budget-used(2s)')
	row "faustgen check 200 subjects × 10 versions" "$(calc '%.2f s' "$b * 2")" \
		"$(metric "$out/compat.log" BenchmarkCheckCommand200Subjects10Versions x-read-files)× reading the files" "< 2 s" "$(met "$b" '<' 1)"
fi
if [ -f "$out/runtime.log" ]; then
	a=BenchmarkStatelessAgentVsRawFranzGo
	r=$(metric "$out/runtime.log" $a ratio)
	row "stateless agent vs raw franz-go (kfake)" \
		"$(calc '%.0f rec/s (raw %.0f)' "$(metric "$out/runtime.log" $a agent-rec/s), $(metric "$out/runtime.log" $a raw-rec/s)")" \
		"$r× raw" "≥ 0.6× raw" "$(met "$r" '>=' 0.6)"
	l=BenchmarkEndToEndLatency
	row "end-to-end latency at 2,000 rec/s (kfake)" \
		"$(calc 'agent p50 %.1f / p99 %.1f ms' "$(metric "$out/runtime.log" $l agent-p50-µs) / 1000, $(metric "$out/runtime.log" $l agent-p99-µs) / 1000")" \
		"$(calc 'p99 %.2f× raw (raw p99 %.1f ms)' "$(metric "$out/runtime.log" $l agent-p99-µs) / $(metric "$out/runtime.log" $l raw-p99-µs), $(metric "$out/runtime.log" $l raw-p99-µs) / 1000")" \
		"reported" "-"
	m=BenchmarkBacklogPeakRSS
	r32=$(metric "$out/runtime.log" $m over-idle/budget32)
	r256=$(metric "$out/runtime.log" $m over-idle/budget256)
	ok=$(met "$r32" '<=' 1.25)
	if [ "$ok" = yes ]; then ok=$(met "$r256" '<=' 1.25); fi
	row "peak RSS, 2M-record backlog, slow agent" \
		"$(calc 'budget 32 MiB: %.0f MiB, 256 MiB: %.0f MiB (idle %.0f, no budget %.0f)' "$(metric "$out/runtime.log" $m budget32-MiB), $(metric "$out/runtime.log" $m budget256-MiB), $(metric "$out/runtime.log" $m idle-MiB), $(metric "$out/runtime.log" $m unbounded-MiB)")" \
		"${r32}× / ${r256}× the budget above idle" "≤ 1.25× budget above idle" "$ok"
	stateful_rows "$out/runtime.log" kfake
	windowed_rows "$out/runtime.log" kfake
	eos_rows "$out/runtime.log" kfake
	m=BenchmarkGlobalLookupVsPlainGet
	r=$(metric "$out/runtime.log" $m ratio)
	row "global table lookup vs plain Get, 1M entries" \
		"$(calc 'global %.0f ns, plain %.0f ns' "$(metric "$out/runtime.log" $m global-ns/get), $(metric "$out/runtime.log" $m plain-ns/get)")" \
		"$r× plain" "≤ 2× plain" "$(met "$r" '<=' 2)"
	restore_rows "$out/runtime.log" kfake
	# The other ratio benchmarks of the runtime (framed decode against the
	# bare body, resolved decode against the fast path): the ns/op figures
	# they report and their ratio, second figure over first.
	while read -r line; do
		name=$(echo "$line" | awk '{ print $1 }')
		name=${name%-[0-9]*}
		case $name in BenchmarkStatelessAgentVsRawFranzGo | BenchmarkEndToEndLatency | BenchmarkBacklogPeakRSS | BenchmarkRestoreVsRawConsume* | BenchmarkStatefulVsStatelessAgent | BenchmarkWindowedVsStatelessAgent* | BenchmarkGlobalLookupVsPlainGet | BenchmarkExactlyOnceVsAtLeastOnce* | BenchmarkRestartAfterKillVsFullRestore) continue ;; esac
		figure=$(echo "$line" | awk '{ s = ""; for (i = 3; i < NF; i++) if ($(i + 1) ~ /-ns\/op$/) s = s (s == "" ? "" : ", ") substr($(i + 1), 1, length($(i + 1)) - 6) " " sprintf("%.0f", $i) " ns"; print s }')
		label=$(echo "$line" | awk '{ n = 0; for (i = 3; i < NF; i++) if ($(i + 1) ~ /-ns\/op$/) m[++n] = substr($(i + 1), 1, length($(i + 1)) - 6); if (n == 2) print m[2] "/" m[1] }')
		r=$(echo "$line" | awk '{ for (i = 3; i < NF; i++) if ($(i + 1) == "ratio") { print $i; exit } }')
		case $name in
		*Framed*) target="≤ 1.10" ok=$(met "$r" '<=' 1.10) ;;
		*) target=reported ok=- ;;
		esac
		row "${name#Benchmark}" "$figure" "${r:-?}× ${label}" "$target" "$ok"
	done < <(grep -E '^Benchmark[^[:space:]]*[[:space:]]+[0-9]+[[:space:]]+[0-9.]+ ns/op' "$out/runtime.log" || true)
fi
stateful_rows "$out/kafka.log" Kafka
windowed_rows "$out/kafka.log" Kafka
restore_rows "$out/kafka.log" Kafka
eos_rows "$out/kafka.log" Kafka

echo
echo "== summary"
{
	echo "benchmark|figure|ratio to the ceiling|target|met"
	for r in "${rows[@]}"; do echo "$r"; done
	for f in "${failed[@]}"; do echo "$f|FAILED (see its output above)|||no"; done
} | column -t -s '|'
exit $status

#!/usr/bin/env bash
# Runs every libFuzzer target of a TODO_FUZZ build for a while each:
#   scripts/fuzz.sh BUILD_DIR SECONDS [scratch|keep] [TARGET...]
# Each target starts from its committed seed corpus (replayed first, so a
# seed that once crashed is checked again), read-only: what the fuzzer
# finds goes to a corpus folder of its own in front of the seeds, a fresh
# temporary one with `scratch` (make test) or BUILD_DIR/corpus/<target>,
# kept between runs, with `keep` (make fuzz). Crash inputs land in
# BUILD_DIR/artifacts/<target>/. Nothing is written into the repo.
# `scratch` runs use a fixed -seed (FUZZ_SEED, default 1), so make test's
# run is reproducible. FUZZ_JOBS targets run at once (default 2). Prints libFuzzer's summary
# lines per target; a target that fails shows the end of its log, and the
# script exits 1.
set -euo pipefail

build=${1:?usage: fuzz.sh BUILD_DIR SECONDS [scratch|keep] [TARGET...]}
seconds=${2:?usage: fuzz.sh BUILD_DIR SECONDS [scratch|keep] [TARGET...]}
mode=${3:-scratch}
shift $(($# < 3 ? $# : 3))
jobs=${FUZZ_JOBS:-2}
list="$build/fuzz-targets.txt"
[ -f "$list" ] || { echo "fuzz: $list missing: configure with -DTODO_FUZZ=ON" >&2; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/todo-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# One target: its log goes to $scratch/<name>.log, its exit status to
# $scratch/<name>.rc.
run_one() {
	local name=$1 seeds=$2 dict=${3:-}
	local corpus="$scratch/corpus/$name"
	[ "$mode" = keep ] && corpus="$build/corpus/$name"
	local artifacts="$build/artifacts/$name"
	mkdir -p "$corpus" "$artifacts"
	local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$artifacts/")
	[ -n "$dict" ] && args+=(-dict="$dict")
	# make test's short run is reproducible (a failure there fails again
	# with the same seed); make fuzz explores with a fresh one each time.
	[ "$mode" = scratch ] && args+=(-seed="${FUZZ_SEED:-1}")
	local rc=0
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$build/bin/$name" "${args[@]}" "$corpus" "$seeds" >"$scratch/$name.log" 2>&1 || rc=$?
	echo "$rc" >"$scratch/$name.rc"
}

report() {
	local name=$1 rc
	rc=$(cat "$scratch/$name.rc")
	local done stats
	done=$(grep -E '^Done [0-9]+ runs' "$scratch/$name.log" | tail -1 || true)
	stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$scratch/$name.log" | tail -1 |
		sed -E 's/^#[0-9]+[[:space:]]+DONE[[:space:]]+//' || true)
	if [ "$rc" = 0 ]; then
		printf 'fuzz %-22s %s  (%s)\n' "$name" "${done:-no summary}" "$stats"
	else
		printf 'fuzz %-22s FAILED (exit %s):\n' "$name" "$rc"
		# From the first report on, without libFuzzer's own frames.
		sed -n -E '/property broken|runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)/,$p' \
			"$scratch/$name.log" | grep -v -E ' in (fuzzer::|__sanitizer|__libc_start|_start )' |
			head -n 50 | sed 's/^/    /'
		echo "    crash inputs: $build/artifacts/$name/"
		failed+=("$name")
	fi
}

targets=()
declare -A seeds_of dict_of
while read -r name seeds dict; do
	[ -n "$name" ] || continue
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
		continue
	fi
	targets+=("$name")
	seeds_of[$name]=$seeds
	dict_of[$name]=${dict:-}
done <"$list"
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no such target: $*" >&2; exit 1; }

failed=()
running=()
for name in "${targets[@]}"; do
	run_one "$name" "${seeds_of[$name]}" "${dict_of[$name]}" &
	running+=("$name")
	if [ ${#running[@]} -ge "$jobs" ]; then
		wait
		for r in "${running[@]}"; do report "$r"; done
		running=()
	fi
done
wait
for r in "${running[@]}"; do report "$r"; done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
	exit 1
fi

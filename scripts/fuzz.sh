#!/usr/bin/env bash
# Fuzzes with libFuzzer for SECONDS (default 60) per target: MailMIME (the MIME parser and
# payload) and IMAPCore (the response parser, and the command encoder's one-command guarantee).
# Each target's executable (<Target>Fuzz) is built with -sanitize=fuzzer,address in its own
# scratch path (.build-fuzz) and run on a temporary copy of Fuzz/<Target>/seeds plus
# Fuzz/<Target>/regressions (inputs once found, kept; the normal tests replay them too). Exits
# non-zero if libFuzzer found a crash, a leak, a timeout or an out-of-memory input; such inputs
# are copied to Fuzz/<Target>/crashes/ (gitignored). Replay one with the normal build:
# `swift build --product IMAPCoreFuzz && .build/debug/IMAPCoreFuzz FILE`.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: MailMIME IMAPCore; default both)
# Environment: FUZZ_CORPUS=DIR keeps each corpus in DIR/<Target> (seeded, grown across runs)
# instead of a temporary directory; FUZZ_ARGS adds libFuzzer flags.
# scripts/test.sh (and so CI) runs it for 60 s per target; run it longer on demand. Local files only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/opt/swift/usr/bin:$PATH"

seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] && ((seconds > 0)) || { echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true
targets=("$@")
((${#targets[@]})) || targets=(MailMIME IMAPCore)

log() { printf '[fuzz.sh] %s\n' "$*"; }
scratch="$root/.build-fuzz"
work=$(mktemp -d /tmp/mt-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# One target: build, seed, run, report. Returns non-zero on a finding.
fuzz_target() {
    local target=$1 product="$1Fuzz" build_log status
    [ -d "$root/Fuzz/$target/seeds" ] || { log "unknown target $target (no Fuzz/$target/seeds)"; return 2; }
    # -DFUZZING drops the replay driver's @main; -parse-as-library because no file has top-level
    # code; release (-O, still bounds- and overflow-checked) for several times the executions
    # per second of a debug build.
    log "$target: building $product with -sanitize=fuzzer,address in $scratch"
    build_log="$work/$target-build.log"
    if ! swift build -c release --product "$product" --scratch-path "$scratch" \
            -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library \
            -Xswiftc -g > "$build_log" 2>&1; then
        grep -vE "Cannot export local symbol" "$build_log" | tail -40
        log "$target: build failed"
        return 1
    fi
    # The linker warns about every ASan-internal symbol it cannot export; nothing else is expected.
    grep -E "(error|warning):" "$build_log" | grep -vE "Cannot export local symbol" || true

    local corpus=${FUZZ_CORPUS:+$FUZZ_CORPUS/$target}
    corpus=${corpus:-$work/$target-corpus}
    local artifacts="$work/$target-artifacts" crashes="$root/Fuzz/$target/crashes" log_file="$work/$target-fuzz.log"
    mkdir -p "$corpus" "$artifacts"
    cp "$root/Fuzz/$target/seeds"/* "$corpus"/
    if [ -d "$root/Fuzz/$target/regressions" ]; then cp "$root/Fuzz/$target/regressions"/* "$corpus"/ 2>/dev/null || true; fi
    log "$target: corpus $corpus ($(find "$corpus" -type f | wc -l) inputs), $seconds s"

    # One process (the machine is shared); libFuzzer's exit status is non-zero on a finding.
    set +e
    # shellcheck disable=SC2086
    "$scratch/release/$product" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$corpus" > "$log_file" 2>&1
    status=$?
    set -e

    grep -E "^#[0-9]+.*(pulse|REDUCE|NEW)" "$log_file" | tail -3 || true
    local found=() artifact
    for artifact in "$artifacts"/*; do
        [ -e "$artifact" ] || continue
        mkdir -p "$crashes"
        cp "$artifact" "$crashes/"
        found+=("$crashes/$(basename "$artifact")")
    done
    local executions rate coverage
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_file" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log_file" | tail -1)
    coverage=$(grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9A-Za-z]+" "$log_file" | tail -1 || true)
    if ((status != 0)) || ((${#found[@]} > 0)); then
        # The sanitizer or Swift runtime report: what and where.
        grep -vE "^(#[0-9]+|INFO:|stat::)" "$log_file" | head -80
        mkdir -p "$crashes"
        cp "$log_file" "$crashes/fuzz-$(date +%Y%m%d-%H%M%S).log" 2>/dev/null || true
        for artifact in "${found[@]}"; do log "$target: crash input: $artifact"; done
        log "$target: executions: ${executions:-?}, exec/s: ${rate:-?}; ${coverage}"
        log "$target: FAILED: libFuzzer exited with $status; reproduce with the replay driver on the file above"
        return 1
    fi
    log "$target: executions: ${executions:-?}, exec/s: ${rate:-?}; ${coverage}"
    log "$target: no crash, leak or timeout in $seconds s"
}

failed=0
for target in "${targets[@]}"; do
    fuzz_target "$target" || failed=1
done
exit "$failed"

#!/usr/bin/env bash
# Fuzzes MailMIME with libFuzzer for SECONDS (default 60): builds the MailMIMEFuzz target with
# -sanitize=fuzzer,address in its own scratch path (.build-fuzz), runs it on a temporary copy of
# Fuzz/MailMIME/seeds, and exits non-zero if libFuzzer found a crash, a leak, a timeout or an
# out-of-memory input. Such inputs are copied to Fuzz/MailMIME/crashes/ (gitignored); replay one
# with the normal build: `swift build --product MailMIMEFuzz && .build/debug/MailMIMEFuzz FILE`.
#
# Environment: FUZZ_CORPUS=DIR keeps the corpus in DIR (seeded from the seeds, grown across
# runs) instead of a temporary directory; FUZZ_ARGS adds libFuzzer flags.
# scripts/test.sh (and so CI) runs it for 60 s; run it longer on demand. Local files only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="/opt/swift/usr/bin:$PATH"

seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] && ((seconds > 0)) || { echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2; }

log() { printf '[fuzz.sh] %s\n' "$*"; }

seeds="$root/Fuzz/MailMIME/seeds"
crashes="$root/Fuzz/MailMIME/crashes"
scratch="$root/.build-fuzz"

# 1. Build. -DFUZZING drops the replay driver's @main; -parse-as-library because no file has
#    top-level code; release (-O, still bounds- and overflow-checked) for several times the
#    executions per second of a debug build.
log "building MailMIMEFuzz with -sanitize=fuzzer,address in $scratch"
build_log=$(mktemp /tmp/mailmime-fuzz-build.XXXXXX)
if ! swift build -c release --product MailMIMEFuzz --scratch-path "$scratch" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library \
        -Xswiftc -g > "$build_log" 2>&1; then
    grep -vE "Cannot export local symbol" "$build_log" | tail -40
    log "build failed (full log: $build_log)"
    exit 1
fi
# The linker warns about every ASan-internal symbol it cannot export; nothing else is expected.
grep -E "(error|warning):" "$build_log" | grep -vE "Cannot export local symbol" || true
rm -f "$build_log"
binary="$scratch/release/MailMIMEFuzz"

# 2. Corpus and artifacts.
work=$(mktemp -d /tmp/mailmime-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
corpus=${FUZZ_CORPUS:-$work/corpus}
mkdir -p "$corpus" "$work/artifacts"
cp "$seeds"/* "$corpus"/
log "corpus $corpus ($(find "$corpus" -type f | wc -l) inputs), $seconds s"

# 3. Fuzz. One process (the machine is shared); libFuzzer's exit status is non-zero on a finding.
set +e
# shellcheck disable=SC2086
"$binary" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" ${FUZZ_ARGS:-} "$corpus" \
    > "$work/fuzz.log" 2>&1
status=$?
set -e

grep -E "^#[0-9]+.*(pulse|REDUCE|NEW)" "$work/fuzz.log" | tail -3 || true
found=()
for artifact in "$work"/artifacts/*; do
    [ -e "$artifact" ] || continue
    mkdir -p "$crashes"
    cp "$artifact" "$crashes/"
    found+=("$crashes/$(basename "$artifact")")
done

executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log" | tail -1)
coverage=$(grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9A-Za-z]+" "$work/fuzz.log" | tail -1 || true)

if ((status != 0)) || ((${#found[@]} > 0)); then
    # The sanitizer or Swift runtime report: what and where.
    grep -vE "^(#[0-9]+|INFO:|stat::)" "$work/fuzz.log" | head -80
    mkdir -p "$crashes"
    cp "$work/fuzz.log" "$crashes/fuzz-$(date +%Y%m%d-%H%M%S).log" 2>/dev/null || true
    for file in "${found[@]}"; do log "crash input: $file"; done
    log "executions: ${executions:-?}, exec/s: ${rate:-?}; ${coverage}"
    log "FAILED: libFuzzer exited with $status; reproduce with the replay driver on the file above"
    exit 1
fi
log "executions: ${executions:-?}, exec/s: ${rate:-?}; ${coverage}"
log "no crash, leak or timeout in $seconds s"

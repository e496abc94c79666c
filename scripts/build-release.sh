#!/usr/bin/env bash
# Builds mailtrigger as it is meant to run in production, and prints the binary's path.
#
#   scripts/build-release.sh [--scratch-path DIR] [PRODUCT...]    (default: .build-static mailtrigger)
#
# How, and why (figures in docs/benchmarks.md, "Memory"):
#   -c release                  optimised;
#   --static-swift-stdlib       the Swift runtime, Foundation and Dispatch linked in: the binary
#                               runs without a Swift toolchain, and only the code it uses is
#                               mapped, instead of whole shared libraries;
#   lld, -z pack-relative-relocs  relative relocations packed (DT_RELR, glibc >= 2.36): the
#                               loader no longer reads a table of several MB at start-up;
#   --no-export-dynamic         the static runtime's link arguments export every symbol of the
#                               program; nothing loads plug-ins into mailtrigger, and each shared
#                               library's symbol lookups would otherwise page in a 3 MB symbol table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$root/.build-static
products=()
while (($#)); do
    case $1 in
    --scratch-path) scratch=$2; shift 2 ;;
    -h | --help) sed -n '2,4p' "$0"; exit 0 ;;
    *) products+=("$1"); shift ;;
    esac
done
((${#products[@]})) || products=(mailtrigger)
flags=(-c release --scratch-path "$scratch" --static-swift-stdlib
    -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
    -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic)
cd "$root"
for product in "${products[@]}"; do
    swift build "${flags[@]}" --product "$product" >&2
done
bin=$(swift build "${flags[@]}" --show-bin-path)
for product in "${products[@]}"; do printf '%s\n' "$bin/$product"; done

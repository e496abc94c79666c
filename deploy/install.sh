#!/usr/bin/env bash
# Installs mailtrigger as a systemd service, or removes what an earlier run installed.
#
#   deploy/install.sh [--prefix /usr/local] [--destdir DIR] [--binary PATH]
#   deploy/install.sh --uninstall [--prefix /usr/local] [--destdir DIR]
#
# Installs (paths under --destdir, for packaging; by default the live system):
#   PREFIX/bin/mailtrigger                       built by scripts/build-release.sh unless --binary
#   /etc/systemd/system/mailtrigger.service      deploy/mailtrigger.service, ExecStart under PREFIX
#   /etc/mailtrigger/config.json                 config.example.json, only if there is none
#   PREFIX/share/man/man1/mailtrigger.1          generated from the command-line definition
#   PREFIX/share/{bash-completion,zsh,fish}/...  shell completions, generated likewise
#   PREFIX/share/mailtrigger/install-manifest    what was installed, for --uninstall
# No system user is made: the unit uses DynamicUser=, and StateDirectory= creates
# /var/lib/mailtrigger when the service starts.
#
# --uninstall stops and disables the service (on the live system) and removes the files of the
# manifest. The configuration and the state (/etc/mailtrigger, /var/lib/mailtrigger) are kept:
# remove them by hand to forget everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local
destdir=
binary=
uninstall=0
while (($#)); do
    case $1 in
    --prefix) prefix=$2; shift 2 ;;
    --destdir) destdir=${2%/}; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
done
[[ $prefix == /* ]] || { echo "install.sh: --prefix must be absolute" >&2; exit 64; }
manifest=$destdir$prefix/share/mailtrigger/install-manifest
live=0
[[ -z $destdir ]] && [[ -d /run/systemd/system ]] && live=1
log() { printf '[install.sh] %s\n' "$*"; }

if ((uninstall)); then
    [[ -f $manifest ]] || { echo "install.sh: nothing to uninstall ($manifest not found)" >&2; exit 1; }
    if ((live)); then
        systemctl disable --now mailtrigger.service 2>/dev/null || true
    fi
    while IFS= read -r path; do
        [[ -n $path ]] && rm -f -- "$destdir$path" && log "removed $path"
    done <"$manifest"
    rm -f -- "$manifest"
    rmdir -- "$(dirname "$manifest")" 2>/dev/null || true
    ((live)) && systemctl daemon-reload
    log "kept /etc/mailtrigger and /var/lib/mailtrigger (configuration and state)"
    exit 0
fi

export PATH="/opt/swift/usr/bin:$PATH"
if [[ -z $binary ]]; then
    log "building (scripts/build-release.sh)"
    binary=$("$root/scripts/build-release.sh" | tail -1)
fi
[[ -x $binary ]] || { echo "install.sh: $binary is not an executable" >&2; exit 1; }

installed=()
put() { # put MODE SOURCE PATH: install one file and remember it
    install -D -m "$1" "$2" "$destdir$3"
    installed+=("$3")
    log "installed $3"
}
work=$(mktemp -d /tmp/mailtrigger-install.XXXXXX)
trap 'rm -rf "$work"' EXIT

put 0755 "$binary" "$prefix/bin/mailtrigger"
sed "s|^ExecStart=/usr/local/bin/mailtrigger |ExecStart=$prefix/bin/mailtrigger |" "$root/deploy/mailtrigger.service" \
    >"$work/mailtrigger.service"
put 0644 "$work/mailtrigger.service" /etc/systemd/system/mailtrigger.service
if [[ -e $destdir/etc/mailtrigger/config.json ]]; then
    log "kept the existing /etc/mailtrigger/config.json"
else
    # Readable by the service's dynamic user: secrets belong in credentials (LoadCredential=), not
    # in this file (mailtrigger warns when a readable file holds inline secrets).
    install -D -m 0644 "$root/config.example.json" "$destdir/etc/mailtrigger/config.json"
    log "installed /etc/mailtrigger/config.json (the example: edit it, then mailtrigger check)"
fi

# Completions and the manual, from the command-line definition of the binary just installed.
"$binary" --generate-completion-script bash >"$work/mailtrigger.bash"
"$binary" --generate-completion-script zsh >"$work/_mailtrigger"
"$binary" --generate-completion-script fish >"$work/mailtrigger.fish"
put 0644 "$work/mailtrigger.bash" "$prefix/share/bash-completion/completions/mailtrigger"
put 0644 "$work/_mailtrigger" "$prefix/share/zsh/site-functions/_mailtrigger"
put 0644 "$work/mailtrigger.fish" "$prefix/share/fish/vendor_completions.d/mailtrigger.fish"
# swift-argument-parser's own generate-manual tool (a small debug build) writes the manual.
(cd "$root" && swift build --product generate-manual >"$work/build.log" 2>&1) || { tail -20 "$work/build.log" >&2; exit 1; }
"$(cd "$root" && swift build --show-bin-path 2>/dev/null)/generate-manual" "$binary" --output-directory "$work" >&2
put 0644 "$work/mailtrigger.1" "$prefix/share/man/man1/mailtrigger.1"

mkdir -p "$(dirname "$manifest")"
printf '%s\n' "${installed[@]}" >"$manifest"
log "manifest: ${manifest#"$destdir"}"
if ((live)); then
    systemctl daemon-reload
    log "next: edit /etc/mailtrigger/config.json, mailtrigger check, systemctl enable --now mailtrigger"
fi

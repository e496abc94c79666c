#!/usr/bin/env bash
# Checks deploy/install.sh into a staging directory (called by scripts/test.sh): every file in
# place, the unit pointing at the installed binary, an existing configuration kept on a second
# install, and --uninstall removing what was installed and nothing else.
#
#   scripts/check-install.sh MAILTRIGGER_BINARY
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:?usage: scripts/check-install.sh MAILTRIGGER_BINARY}
stage=$(mktemp -d /tmp/mt-install.XXXXXX)
trap 'rm -rf "$stage"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }

"$root/deploy/install.sh" --destdir "$stage" --prefix /opt/mt --binary "$binary" >/dev/null
files=(/opt/mt/bin/mailtrigger /etc/systemd/system/mailtrigger.service /opt/mt/share/man/man1/mailtrigger.1
    /opt/mt/share/bash-completion/completions/mailtrigger /opt/mt/share/zsh/site-functions/_mailtrigger
    /opt/mt/share/fish/vendor_completions.d/mailtrigger.fish)
for file in "${files[@]}"; do [[ -s $stage$file ]] || fail "$file missing or empty"; done
[[ $("$stage/opt/mt/bin/mailtrigger" --version) =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "the installed binary does not run"
grep -q '^ExecStart=/opt/mt/bin/mailtrigger run ' "$stage/etc/systemd/system/mailtrigger.service" || fail "ExecStart not under the prefix"
grep -q '^\.Dt MAILTRIGGER 1' "$stage/opt/mt/share/man/man1/mailtrigger.1" || fail "the manual is not a man page"
grep -q 'complete .*-F _mailtrigger mailtrigger' "$stage/opt/mt/share/bash-completion/completions/mailtrigger" || fail "no bash completion"
cmp -s "$root/config.example.json" "$stage/etc/mailtrigger/config.json" || fail "the example configuration was not installed"
[[ $(wc -l <"$stage/opt/mt/share/mailtrigger/install-manifest") -eq ${#files[@]} ]] || fail "the manifest does not list the files"

echo '{"edited": true}' >"$stage/etc/mailtrigger/config.json"
"$root/deploy/install.sh" --destdir "$stage" --prefix /opt/mt --binary "$binary" >/dev/null
grep -q edited "$stage/etc/mailtrigger/config.json" || fail "a second install replaced the configuration"

"$root/deploy/install.sh" --uninstall --destdir "$stage" --prefix /opt/mt >/dev/null
for file in "${files[@]}" /opt/mt/share/mailtrigger/install-manifest; do
    [[ ! -e $stage$file ]] || fail "$file still there after --uninstall"
done
grep -q edited "$stage/etc/mailtrigger/config.json" || fail "--uninstall removed the configuration"
echo "check-install: install, reinstall and uninstall into a staging directory passed"

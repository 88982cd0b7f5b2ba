#!/usr/bin/env bash
# ctest escape.checkout.tmp: the harness works from a checkout under /tmp,
# which the lab hides behind its own fresh /tmp. Copies bottle-escape,
# bottle-probe and the profiles to a new directory under /tmp, runs a few
# probes of the control there and removes the copy. Programs given after the
# profile are copied there too and put first on PATH: a profile's
# {bin:NAME} then resolves under /tmp, and the lab must bind it in.
#   run_from_tmp.sh BOTTLE_ESCAPE BOTTLE_PROBE PROFILES_DIR [PROFILE [PROGRAM...]]
set -euo pipefail
escape=$1 probe=$2 profiles=$3 profile=${4:-none}
shift $(($# < 4 ? $# : 4))
dir=$(mktemp -d /tmp/bbx-checkout.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$escape" "$probe" "$dir/"
cp -r "$profiles" "$dir/profiles"
mkdir "$dir/bin"
for program in "$@"; do cp "$program" "$dir/bin/"; done
expect=all-escaped
[[ $profile == none ]] || expect=no-error
only=(--only 'net.tcp4_direct' --only 'fs.home_secrets' --only 'fs.write_outside')
[[ $profile != egress-only ]] || only+=(--only 'proxy.allowed_upstream' --only 'proxy.denied_host')
PATH="$dir/bin:$PATH" "$dir/bottle-escape" run --sandbox "$profile" --probe "$dir/bottle-probe" --profiles "$dir/profiles" \
  "${only[@]}" --expect "$expect"

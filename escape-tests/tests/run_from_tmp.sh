#!/usr/bin/env bash
# ctest escape.checkout.tmp: the harness works from a checkout under /tmp,
# which the lab hides behind its own fresh /tmp. Copies bottle-escape,
# bottle-probe and the profiles to a new directory under /tmp, runs a few
# probes of the control there and removes the copy.
#   run_from_tmp.sh BOTTLE_ESCAPE BOTTLE_PROBE PROFILES_DIR [PROFILE]
set -euo pipefail
escape=$1 probe=$2 profiles=$3 profile=${4:-none}
dir=$(mktemp -d /tmp/bbx-checkout.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$escape" "$probe" "$dir/"
cp -r "$profiles" "$dir/profiles"
expect=all-escaped
[[ $profile == none ]] || expect=no-error
"$dir/bottle-escape" run --sandbox "$profile" --probe "$dir/bottle-probe" --profiles "$dir/profiles" \
  --only 'net.tcp4_direct' --only 'fs.home_secrets' --only 'fs.write_outside' --expect "$expect"

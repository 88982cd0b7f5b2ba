#!/usr/bin/env bash
# ctest escape.concurrent: two runs at once (none and bwrap) each pass their
# own expectation, and neither report mentions the other run's nonce: labs
# never see each other's evidence.
#   run_concurrently.sh BOTTLE_ESCAPE BOTTLE_PROBE
set -uo pipefail
escape=$1 probe=$2
dir=$(mktemp -d /tmp/bbx-concurrent.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$escape" run --probe "$probe" --sandbox none --expect all-escaped --json-out "$dir/a.json" >"$dir/a.txt" 2>&1 &
a=$!
"$escape" run --probe "$probe" --sandbox bwrap --expect no-error --json-out "$dir/b.json" >"$dir/b.txt" 2>&1 &
b=$!
wait $a; rc_a=$?
wait $b; rc_b=$?
nonce() { grep -o '"nonce":"[0-9a-f]*"' "$1" | head -1 | cut -d'"' -f4; }
na=$(nonce "$dir/a.json"); nb=$(nonce "$dir/b.json")
fail=0
[[ $rc_a == 0 ]] || { echo "none (run at the same time as bwrap) failed its expectation:"; tail -5 "$dir/a.txt"; fail=1; }
[[ $rc_b == 0 ]] || { echo "bwrap (run at the same time as none) failed its expectation:"; tail -5 "$dir/b.txt"; fail=1; }
[[ -n $na && -n $nb && $na != "$nb" ]] || { echo "could not read two distinct nonces ('$na', '$nb')"; fail=1; }
if grep -q "$nb" "$dir/a.json"; then echo "the none run's report mentions bwrap's nonce $nb"; fail=1; fi
if grep -q "$na" "$dir/b.json"; then echo "the bwrap run's report mentions none's nonce $na"; fail=1; fi
tail -1 "$dir/a.txt"; tail -1 "$dir/b.txt"
exit $fail

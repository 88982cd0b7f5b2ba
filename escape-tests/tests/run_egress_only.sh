#!/usr/bin/env bash
# ctest escape.profile.egress-only: bottle-egress as the only proxy of an
# unconfined probe. Nothing else confines the probe, so other categories
# escape, and a proxy.* probe's direct attempt (host_mismatch's and
# sni_mismatch's transparent-filter case, straight to the denied address)
# escapes too: no proxy sees it. What must hold: no probe in ERROR, the
# positive control reached (--expect no-error), and no attempt made through
# the proxy left its tag outside (each is in the probe's paths_not_escaped).
#   run_egress_only.sh BOTTLE_ESCAPE BOTTLE_PROBE
set -uo pipefail
report=$(mktemp)
trap 'rm -f "$report"' EXIT
"$1" run --probe "$2" --sandbox egress-only --expect no-error --json-out "$report"
rc=$?
[[ $rc == 0 ]] || { echo "FAIL: bottle-escape --expect no-error exited $rc"; exit 1; }
python3 - "$report" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
proxy = [p for p in report["probes"] if p["id"].startswith("proxy.") and not p.get("control")]
bad, through_proxy = [], 0
for p in proxy:
    if p["verdict"] in ("BLOCKED", "N/A"):
        continue
    if p["verdict"] != "ESCAPED":
        bad.append(f'{p["id"]}: {p["verdict"]}')
        continue
    not_escaped = " ".join(p.get("paths_not_escaped", []))
    for a in p.get("attempts", []):
        if "expect" not in a or " direct" in a["action"]:
            continue
        through_proxy += 1
        if a["expect"] not in not_escaped:
            bad.append(f'{p["id"]}: {a["action"]} left {a["expect"]} outside')
blocked = sum(p["verdict"] == "BLOCKED" for p in proxy)
print(f"egress-only: {len(proxy)} proxy.* probes, {blocked} BLOCKED; "
      f"{through_proxy} proxied attempts of the escaped ones checked")
if blocked == 0:
    bad.append("no proxy.* probe was BLOCKED")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

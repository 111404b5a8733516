#!/usr/bin/env bash
# Compare two spelunk binaries on the endpoint pack (docs/benchmark.md, "Tenth round").
#
#   scripts/compare.sh OLD_BINARY NEW_BINARY EVENTS_FILE [ROUNDS=2]
#
# This machine's speed drifts by 10-20 % within minutes (the same binary took 30.6-35.9 s and
# 51-60 CPU-s on 1 GiB in one hour), so runs one after the other cannot show a 5 % change. Here
# both binaries run at the same time, each round, sharing whatever the machine does: their CPU
# seconds compare the work each does. (Each gets about one core, so wall times here are not
# those of a run alone; bench.sh measures those.) The outputs must be identical.
set -euo pipefail

if [[ $# -lt 3 ]]; then
    sed -n '2,10p' "$0" >&2
    exit 2
fi
OLD=$1 NEW=$2 EVENTS=$3 ROUNDS=${4:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SC=${SECURITY_CONTENT:-$ROOT/../shared/security_content}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

run() { # binary tag
    /usr/bin/time -f "%e %U %M" -o "$TMP/$2.time" "$1" run "$SC/detections/endpoint" --content "$SC" \
        --events "$EVENTS" --format json -q 2>/dev/null | md5sum | cut -c1-8 >"$TMP/$2.md5" || true
}

printf '%-6s %5s %10s %10s %10s  %s\n' round which "wall s" "CPU s" "RSS MB" output
for r in $(seq "$ROUNDS"); do
    run "$OLD" old &
    run "$NEW" new &
    wait
    for which in old new; do
        read -r wall cpu rss < <(grep -v 'exit status' "$TMP/$which.time" | tail -1)
        printf '%-6s %5s %10s %10s %10d  %s\n' "$r" "$which" "$wall" "$cpu" $((rss / 1024)) "$(cat "$TMP/$which.md5")"
    done
done

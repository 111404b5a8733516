#!/usr/bin/env bash
# spelunk over the real logs of ../shared in their own formats (docs/benchmark.md, "Sixteenth
# round"): EVTX and the mixed Splunk-format logs of attack_data_history, which bench.sh's
# generated XmlWinEventLog does not cover.
#
#   scripts/bench_inputs.sh [BINARY...]
#
# For each binary (default: target/release/spelunk), prints one markdown row per case: wall s,
# CPU s, peak RSS, events read and parsed, and the md5 of the output (the same for every
# binary, or a binary changed a result). Cases:
#   evtx-all     search '* | stats count'                 over ../shared/evtx, named 10 times
#   evtx-eid1    search 'EventID=1 | stats count'          (the prefilter judges rendered records)
#   evtx-pack    the endpoint pack                         over ../shared/evtx, named 10 times
#   hist-pack    the endpoint pack                         over ../shared/attack_data_history
#   json-all     search '* | stats count'                 over JSON_MIB of generated JSON lines
#   json-regasm  search 'EventID=3 Image="*\\regasm.exe" | stats count by Computer' (lines judged
#                before parsing)
#   csv-all      search '* | stats count'                 over 64 MiB of generated events exported
#                as CSV (`spelunk search '*' --format csv`, ~70 MB, 44,312 rows of ~150 columns)
#   csv-regasm   search '"regasm.exe" | stats count'      (rows judged before parsing)
#   tar-all      search '* | stats count'                 over the 7 attack_data.tar.gz of
#                attack_data_history (one 13-25 MB text member each, 51,579 events)
#   tar-literal  search '"powershell.exe" | stats count'  (members' lines judged before parsing)
#   jarr-all     search '* | stats count'                 over the JSON lines as one JSON array
#                (one element a line), cut between its elements
#   jarr-regasm  json-regasm's search over that array     (elements judged before parsing)
#   evtx-gz      search '* | stats count by EventID'      over a 590 MB EVTX (a real log's chunks
#                repeated) gzipped, read as a stream: copied to a temporary file past 32 MiB
#   csv-out      search '*' --format csv                  over the 64 MiB generated log: rows held
#                for the header within --memory-budget
#   sort-all     search '* | sort 0 - _time | stats count' over the 64 MiB log: every row held,
#                sorted runs spilled past --memory-budget and merged back
#   sort-top     search '* | sort - _time | stats count'  (10000 kept: descending over ascending
#                input, the worst case for dropping rows early)
#   reverse      search '* | reverse | stats count'
#   dedup-raw    search '* | dedup _raw | stats count'    (a digest held per distinct event)
#   transaction  search '* | transaction host maxevents=5 | stats count' (events read back in
#                time order)
# Environment: SHARED (default ../shared next to the checkout), REPEAT (default 10), JSON_MIB
# (default 256; the file is generated once, `gen_events.py --json`, under target/bench/), CASES
# (default: all, in the order above).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
REPEAT=${REPEAT:-10}
JSON_MIB=${JSON_MIB:-256}
JSON=$ROOT/target/bench/events-${JSON_MIB}mib-seed1.json
CSV=$ROOT/target/bench/events-64mib-seed1.csv
JARR=$ROOT/target/bench/events-${JSON_MIB}mib-seed1.array.json
LOG64=$ROOT/target/bench/events-64mib-seed1.log
EVTXGZ=$ROOT/target/bench/long.evtx.gz
SC=$SHARED/security_content
[[ -x /usr/bin/time ]] || { echo "bench_inputs: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 2; }
BINS=("$@")
[[ ${#BINS[@]} -gt 0 ]] || BINS=("$ROOT/target/release/spelunk")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

EVTX=()
for _ in $(seq "$REPEAT"); do EVTX+=(--events "$SHARED/evtx"); done
TARS=()
for t in $(awk -F'\t' 'NR > 1 && $1 ~ /\.tar\.gz$/ {print $1}' "$SHARED/attack_data_history/INDEX.tsv"); do
    TARS+=(--events "$SHARED/attack_data_history/$t")
done

case_args() { # name -> the arguments after the binary
    case $1 in
        evtx-all) ARGS=(search '* | stats count' "${EVTX[@]}") ;;
        evtx-eid1) ARGS=(search 'EventID=1 | stats count' "${EVTX[@]}") ;;
        evtx-pack) ARGS=(run "$SC/detections/endpoint" --content "$SC" "${EVTX[@]}") ;;
        hist-pack) ARGS=(run "$SC/detections/endpoint" --content "$SC" --events "$SHARED/attack_data_history") ;;
        json-all) ARGS=(search '* | stats count' --events "$JSON") ;;
        json-regasm) ARGS=(search 'EventID=3 Image="*\\regasm.exe" | stats count by Computer' --events "$JSON") ;;
        csv-all) ARGS=(search '* | stats count' --events "$CSV") ;;
        csv-regasm) ARGS=(search '"regasm.exe" | stats count' --events "$CSV") ;;
        tar-all) ARGS=(search '* | stats count' "${TARS[@]}") ;;
        tar-literal) ARGS=(search '"powershell.exe" | stats count' "${TARS[@]}") ;;
        jarr-all) ARGS=(search '* | stats count' --events "$JARR") ;;
        jarr-regasm) ARGS=(search 'EventID=3 Image="*\\regasm.exe" | stats count by Computer' --events "$JARR") ;;
        evtx-gz) ARGS=(search '* | stats count by EventID' --events "$EVTXGZ") ;;
        csv-out) ARGS=(search '*' --events "$LOG64") FORMAT=csv ;;
        sort-all) ARGS=(search '* | sort 0 - _time | stats count' --events "$LOG64") ;;
        sort-top) ARGS=(search '* | sort - _time | stats count' --events "$LOG64") ;;
        reverse) ARGS=(search '* | reverse | stats count' --events "$LOG64") ;;
        dedup-raw) ARGS=(search '* | dedup _raw | stats count' --events "$LOG64") ;;
        transaction) ARGS=(search '* | transaction host maxevents=5 | stats count' --events "$LOG64") ;;
    esac
}

if [[ ! -s $JSON || $JSON -ot $ROOT/scripts/gen_events.py ]]; then
    mkdir -p "$(dirname "$JSON")"
    python3 "$ROOT/scripts/gen_events.py" --size-mib "$JSON_MIB" --out "$JSON" --seed 1 --json
fi
if [[ ! -s $CSV || $CSV -ot $ROOT/scripts/gen_events.py ]]; then
    python3 "$ROOT/scripts/gen_events.py" --size-mib 64 --out "$TMP/events.log" --seed 1
    "${BINS[0]}" search '*' --events "$TMP/events.log" --format csv -q -o "$CSV"
fi
if [[ ! -s $JARR || $JARR -ot $JSON ]]; then
    { echo '['; sed '$!s/$/,/' "$JSON"; echo ']'; } >"$JARR"
fi
if [[ ! -s $LOG64 || $LOG64 -ot $ROOT/scripts/gen_events.py ]]; then
    python3 "$ROOT/scripts/gen_events.py" --size-mib 64 --out "$LOG64" --seed 1
fi
if [[ ! -s $EVTXGZ ]]; then
    python3 - "$SHARED/evtx/evtx-attack-samples/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx" <<'PY' | gzip -1 >"$EVTXGZ"
import sys
log = open(sys.argv[1], 'rb').read()
chunks = [log[4096 + i * 65536:4096 + (i + 1) * 65536] for i in range((len(log) - 4096) // 65536)]
out = sys.stdout.buffer
out.write(log[:4096])
for _ in range(600):
    for c in chunks:
        if c.startswith(b'ElfChnk\0'):
            out.write(c)
PY
fi
cat "$SHARED"/evtx/*/* "$SHARED"/attack_data_history/* "$JSON" "$CSV" >/dev/null 2>&1 || true # warm the page cache
echo "| case | binary | wall s | CPU s | peak RSS MB | events read, parsed | output md5 |"
echo "|---|---|---:|---:|---:|---|---|"
CASES=${CASES:-evtx-all evtx-eid1 evtx-pack hist-pack json-all json-regasm csv-all csv-regasm tar-all tar-literal jarr-all jarr-regasm evtx-gz csv-out sort-all sort-top reverse dedup-raw transaction}
for name in $CASES; do
    FORMAT=json
    case_args "$name"
    for bin in "${BINS[@]}"; do
        /usr/bin/time -f "%e %U %S %M" -o "$TMP/time" "$bin" "${ARGS[@]}" --format "$FORMAT" >"$TMP/out" 2>"$TMP/err" || true
        read -r wall user sys rss < <(grep -v 'exit status' "$TMP/time" | tail -1)
        counts=$(grep -o '[0-9]* events read, [0-9]* parsed' "$TMP/err" | head -1)
        printf '| %s | %s | %s | %.2f | %d | %s | %s |\n' "$name" "$(basename "$bin")" "$wall" \
            "$(awk -v u="$user" -v s="$sys" 'BEGIN {print u+s}')" $((rss / 1024)) "$counts" \
            "$(md5sum <"$TMP/out" | cut -c1-8)"
    done
done

#!/usr/bin/env bash
# spelunk throughput benchmark (docs/benchmark.md).
#
#   scripts/bench.sh [SIZE_MIB=1024]
#
# Generates SIZE_MIB of synthetic XmlWinEventLog once (scripts/gen_events.py, cached under
# target/bench/), warms the page cache, and measures with /usr/bin/time -v (wall, CPU, peak RSS):
#   (a) rg -c -i regasm FILE                    the physical limit (read + scan the bytes)
#   (b) the regasm seed detection               one detection, one pass
#   (c) the whole ESCU endpoint pack            ../shared/security_content/detections/endpoint
#   (v1) spelunk search '* | stats count'       read + parse every event, no filter
#   (v2) spelunk search 'EventID=3 | stats count'
# and prints one markdown table: wall s, MB/s, events/s, peak RSS, throughput relative to (a).
#
# Environment:
#   PACK_MIB=N       size used for (c) (default: SIZE_MIB capped at 64: the pack runs at 13k-24k events/s,
#                    about 2-4 s for 64 MiB and 29-53 s for 1 GiB in Dec 2026, by machine and hour; the table says which size
#                    each row used, and (a')/(b') repeat (a)/(b) on that file). PACK_MIB=0 skips (c).
#   SEED=S           generator seed (default 1)
#   SPELUNK=path     use this binary instead of building
#   CARGO_TARGET_DIR honoured for the build (e.g. /work/target-bench)
#   SECURITY_CONTENT security_content checkout (default ../shared/security_content)
#   VARIANTS=0       skip (v1)/(v2)
set -euo pipefail

SIZE_MIB=${1:-1024}
SEED=${SEED:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BENCH_DIR=$ROOT/target/bench
mkdir -p "$BENCH_DIR"
SC=${SECURITY_CONTENT:-$ROOT/../shared/security_content}
VARIANTS=${VARIANTS:-1}
if [[ -z "${PACK_MIB:-}" ]]; then PACK_MIB=$(( SIZE_MIB < 64 ? SIZE_MIB : 64 )); fi

say() { printf '%s\n' "$*" >&2; }

# ---- tools -----------------------------------------------------------------------------------
need_apt() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    say "bench: '$1' is missing; installing the '$2' package (apt-get install -y $2)"
    if command -v apt-get >/dev/null 2>&1 && { [[ $(id -u) == 0 ]] && apt-get install -y "$2" >/dev/null || sudo -n apt-get install -y "$2" >/dev/null; }; then
        return 0
    fi
    say "bench: could not install $2; install it (apt-get install -y $2${3:+, or $3}) and rerun"
    exit 2
}
[[ -x /usr/bin/time ]] || need_apt /usr/bin/time time
need_apt rg ripgrep "cargo install ripgrep"

# ---- binary ----------------------------------------------------------------------------------
if [[ -n "${SPELUNK:-}" ]]; then
    BIN=$SPELUNK
else
    TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
    say "bench: cargo build --release (target dir $TARGET)"
    CARGO_TARGET_DIR=$TARGET cargo build --release --quiet
    BIN=$TARGET/release/spelunk
fi
[[ -x "$BIN" ]] || { say "bench: no spelunk binary at $BIN"; exit 2; }

# ---- data ------------------------------------------------------------------------------------
gen() { # size -> path (generated once; regenerated when the generator changes)
    local f=$BENCH_DIR/events-${1}mib-seed$SEED.log
    if [[ ! -s $f || $ROOT/scripts/gen_events.py -nt $f ]]; then
        say "bench: generating $f ($1 MiB)"
        python3 "$ROOT/scripts/gen_events.py" --size-mib "$1" --seed "$SEED" --out "$f.tmp"
        mv "$f.tmp" "$f"
        rm -f "$f.count"
    fi
    [[ -s $f.count && $f.count -nt $f ]] || rg -c '^<Event ' "$f" > "$f.count"
    echo "$f"
}
FILE=$(gen "$SIZE_MIB")
PACK_FILE=
if [[ $PACK_MIB != 0 ]]; then
    if [[ $PACK_MIB == "$SIZE_MIB" ]]; then PACK_FILE=$FILE; else PACK_FILE=$(gen "$PACK_MIB"); fi
fi

# ---- environment -----------------------------------------------------------------------------
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "## Environment"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- nproc: $(nproc), CPU: $CPU, RAM: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "- load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(rg --version | head -1), $("$BIN" --version 2>/dev/null || echo spelunk)"
echo "- events file: $FILE ($(stat -L -c %s "$FILE") bytes, $(cat "$FILE.count") events)"
[[ -n $PACK_FILE && $PACK_FILE != "$FILE" ]] && echo "- pack file (c): $PACK_FILE ($(stat -L -c %s "$PACK_FILE") bytes, $(cat "$PACK_FILE.count") events)"
echo

# ---- measuring -------------------------------------------------------------------------------
OUT=$BENCH_DIR/run-$SIZE_MIB
mkdir -p "$OUT"
ROWS=()
RG_MBS=

# run NAME FILE CMD... : time one command, keep stdout/stderr under $OUT, append a table row
run() {
    local name=$1 file=$2; shift 2
    cat "$file" > /dev/null   # warm the page cache
    say "bench: ($name) $*"
    local rc=0
    /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || rc=$?
    local wall rss user sys bytes events
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$OUT/$name.time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/$name.time")
    user=$(awk -F': ' '/User time/ {print $2}' "$OUT/$name.time")
    sys=$(awk -F': ' '/System time/ {print $2}' "$OUT/$name.time")
    bytes=$(stat -L -c %s "$file"); events=$(cat "$file.count")
    local mbs evs ratio cpu mbcpu
    mbs=$(awk -v b="$bytes" -v w="$wall" 'BEGIN {printf "%.1f", b/1e6/(w>0?w:0.001)}')
    evs=$(awk -v e="$events" -v w="$wall" 'BEGIN {printf "%.0f", e/(w>0?w:0.001)}')
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u+s}')
    mbcpu=$(awk -v b="$bytes" -v c="$cpu" 'BEGIN {printf "%.1f", b/1e6/(c>0?c:0.01)}')
    [[ -z $RG_MBS ]] && RG_MBS=$mbs
    ratio=$(awk -v m="$mbs" -v r="$RG_MBS" 'BEGIN {printf "%.3f", m/r}')
    ROWS+=("| $name | $(( bytes / 1048576 )) MiB | $wall | $cpu | $mbs | $evs | $mbcpu | $rss | $ratio | $rc |")
    say "bench:   wall ${wall}s cpu ${cpu}s ${mbs} MB/s ${evs} ev/s rss ${rss} MB exit $rc"
}

DET=content/detections/endpoint/detect_regasm_with_network_connection.yml
run "a rg -c -i regasm" "$FILE" rg -c -i regasm "$FILE"
run "b regasm detection" "$FILE" "$BIN" run "$DET" --events "$FILE" --format json -q
if [[ $VARIANTS != 0 ]]; then
    run "v1 search '* | stats count'" "$FILE" "$BIN" search '* | stats count' --events "$FILE" --format json -q
    run "v2 search 'EventID=3 | stats count'" "$FILE" "$BIN" search 'EventID=3 | stats count' --events "$FILE" --format json -q
fi
if [[ -n $PACK_FILE ]]; then
    if [[ $PACK_FILE != "$FILE" ]]; then
        # the (a) and (b) references on the pack-sized file, for the extrapolation
        RG_MBS_SAVED=$RG_MBS; RG_MBS=
        run "a' rg -c -i regasm" "$PACK_FILE" rg -c -i regasm "$PACK_FILE"
        run "b' regasm detection" "$PACK_FILE" "$BIN" run "$DET" --events "$PACK_FILE" --format json -q
    fi
    run "c endpoint pack" "$PACK_FILE" "$BIN" run "$SC/detections/endpoint" --content "$SC" --events "$PACK_FILE" --format json -q
fi

echo "## Results"
echo
echo "| case | input | wall s | CPU s | MB/s | events/s | MB per CPU-s | peak RSS MB | × rg | exit |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "× rg = wall-clock throughput relative to (a) on the same file. CPU s = user + system; MB per CPU-s"
echo "is the throughput the process would have on a core of its own (the machine may be shared)."
echo "rg's peak RSS counts the pages of the file it maps (page cache), not heap."
echo
echo "## Output checks"
echo
echo "- (a) matching lines: $(cat "$OUT/a rg -c -i regasm.out")"
echo "- (b) result rows: $(grep -c '^{' "$OUT/b regasm detection.out" || true) (stdout: $OUT/b regasm detection.out)"
if [[ $VARIANTS != 0 ]]; then
    echo "- (v1) $(tr -d '\n' < "$OUT/v1 search '* | stats count'.out" | head -c 200)"
    echo "- (v2) $(tr -d '\n' < "$OUT/v2 search 'EventID=3 | stats count'.out" | head -c 200)"
fi
if [[ -n $PACK_FILE ]]; then
    C="$OUT/c endpoint pack"
    ndet=$(find "$SC/detections/endpoint" -name '*.yml' | wc -l)
    python3 - "$C.out" "$C.err" "$ndet" <<'PY'
import collections, json, re, sys
out, err, ndet = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = collections.Counter()
for line in open(out, encoding="utf-8", errors="replace"):
    if line.startswith("{"):
        rows[json.loads(line).get("search_name", "?")] += 1
# one `error: NAME (FILE.yml): ...` line per failed detection (the lines after it give details)
errs = [l for l in open(err, encoding="utf-8", errors="replace") if re.match(r"error: .*\.yml\): ", l)]
unsup = [l for l in errs if re.search(r"not executable by this engine|unsupported", l)]
print("- (c) detections in the pack: %d; failed (`error: NAME (FILE.yml): ...` on stderr): %d, of which unsupported: %d, "
      "other errors (syntax, macro, lookup, run): %d; ran: %d; returned rows: %d detections, %d rows"
      % (ndet, len(errs), len(unsup), len(errs) - len(unsup), ndet - len(errs), len(rows), sum(rows.values())))
for name, n in rows.most_common():
    print("  - %s: %d rows" % (name, n))
PY
    echo "  (stderr: $C.err)"
fi

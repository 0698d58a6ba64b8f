#!/usr/bin/env bash
# Crash drills (README, "Hardening"): kills `convnet train` at random moments and resumes it each time.
#   1. SIGKILL, KILLS times (default 20), spread over data loading, mid-epoch, inside the checkpoint write
#      and inside the metrics write, plus one aimed at the last epoch's metrics write.
#   2. SIGTERM, TERMS times (default 6): a clean exit (status 130) and a checkpoint at the point it names.
#   3. A disk that fills up (a 4 MB tmpfs as --out; needs root for mount): at the start, and after an epoch.
# After every stop: the checkpoint loads (`convnet eval`), metrics.csv lists no epoch the checkpoint lacks and
# matches the uninterrupted run's first epochs, and the temporary files of killed writers are gone once the
# next run has started training. Each drill's finished run must equal an uninterrupted run with the same seed
# bit for bit: every tensor's bytes (weights, buffers, optimizer state), the generator state, metrics.csv
# (timings aside), and nothing else left in the folder.
# Usage: Tools/crash_drills.sh [CONVNET]   (DRILL_SEED=N replays the same random moments)
set -uo pipefail
cd "$(dirname "$0")/.."
CONVNET=${1:-.build/release/convnet}
DRILL_SEED=${DRILL_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$DRILL_SEED
KILLS=${KILLS:-20}
TERMS=${TERMS:-6}
EPOCHS=12  # the kills advance the run about 2 epochs every 4 drills; the last ones must still have epochs to cut
# 400 batches of 64: an epoch of LeNet-5 (and its evaluation) takes about a second on one thread.
ARGS=(train --model lenet5 --dataset mnist --train-limit 25600 --test-limit 1000 --batch-size 64 --epochs $EPOCHS
      --seed 11 --threads 1 --workers 2)
[ -x "$CONVNET" ] || { echo "build convnet first: $CONVNET"; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/convnet-drills.XXXXXX")
DISK=""
cleanup() {
    [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null
    [ -n "$DISK" ] && umount "$DISK" 2>/dev/null
    if [ "${failures:-0}" = 0 ]; then rm -rf "$WORK"; else echo "logs and runs kept in $WORK"; fi
}
trap cleanup EXIT

failures=0
checks=0
fail() { echo "  FAIL: $*"; failures=$((failures + 1)); }
expect() {  # expect MESSAGE COMMAND...: counts a check, reports MESSAGE when COMMAND fails
    local message=$1; shift
    checks=$((checks + 1))
    "$@" || fail "$message"
}

# A random duration in [0, MAX) seconds.
random_seconds() { awk -v r=$RANDOM -v max="$1" 'BEGIN { printf "%.3f", r / 32768 * max }'; }
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }

# A safetensors file: 8 bytes of header length (little-endian), the JSON header, then the tensors' bytes.
header() { local n; n=$(od -An -tu8 -N8 "$1" | tr -d ' '); head -c $((8 + n)) "$1" | tail -c "$n"; }
meta() { header "$1" | grep -o "\"$2\":\"[0-9,]*\"" | sed 's/.*:"\([0-9,]*\)"/\1/'; }
tensor_digest() { local n; n=$(od -An -tu8 -N8 "$1" | tr -d ' '); tail -c +$((9 + n)) "$1" | sha256sum | cut -c1-16; }
metric_columns() { cut -d, -f1-5 "$1"; }  # metrics.csv without the timings

# start OUT LOG [--resume]: a training run in the background; PID is its process.
start() {
    : > "$2"
    "$CONVNET" "${ARGS[@]}" --out "$1" "${@:3}" > "$2" 2>&1 &
    PID=$!
}
# True while process $1 runs (a child that ended is a zombie until waited for).
alive() { local stat; { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1; [[ $stat != *") Z "* ]]; }
# wait_line LOG PATTERN: until the log has a line matching PATTERN; fails if the run ends first.
wait_line() {
    until grep -q "$2" "$1"; do alive "$PID" || return 1; sleep 0.01; done
}
# present PATTERN: true while a file matches the glob PATTERN (a shell built-in: no process started).
present() { compgen -G "$1" > /dev/null; }
# wait_file PATTERN COUNT: busy-waits (shell built-ins only) for the COUNT-th appearance of a file matching PATTERN
# (a temporary file's name ends in a random part: .NAME.tmp-PID-RANDOM); fails if the run ends first.
wait_file() {
    local pattern=$1 count=$2 seen=0 spins=0
    while :; do
        if present "$pattern"; then
            seen=$((seen + 1))
            [ "$seen" -ge "$count" ] && return 0
            while present "$pattern"; do :; done
        fi
        spins=$((spins + 1))
        if [ $((spins % 2000)) = 0 ] && ! alive "$PID"; then return 1; fi
    done
}
stop() { kill "-$1" "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; STATUS=$?; }
debris() { find "$1" -maxdepth 1 -name '.*' ! -name . 2>/dev/null | sort; }
trained() { grep -q "batch [0-9]*/" "$1"; }  # the run got past setup into training

# verify OUT LABEL: the checkpoint loads and metrics.csv agrees with it and with the uninterrupted run.
verify() {
    local out=$1 label=$2 done=0 rows
    local checkpoint=$out/checkpoint.safetensors
    if [ -e "$checkpoint" ]; then
        if "$CONVNET" eval --checkpoint "$checkpoint" --threads 1 --workers 1 > "$WORK/eval.log" 2>&1; then
            checks=$((checks + 1))
            done=$(meta "$checkpoint" completed_epochs)
            expect "$label: eval reports $(grep -o 'epochs trained: [0-9]*' "$WORK/eval.log"), the checkpoint says $done" \
                grep -q "epochs trained: $done\$" "$WORK/eval.log"
        else
            fail "$label: the checkpoint does not load: $(tail -1 "$WORK/eval.log")"
        fi
    fi
    if [ -e "$out/metrics.csv" ]; then
        rows=$(($(wc -l < "$out/metrics.csv") - 1))
        expect "$label: metrics.csv lists $rows epochs, the checkpoint $done" [ "$rows" -le "$done" ]
        expect "$label: metrics.csv differs from the uninterrupted run's first $rows epochs" \
            cmp -s <(metric_columns "$out/metrics.csv") <(metric_columns "$REFERENCE/metrics.csv" | head -n $((rows + 1)))
    fi
}

# finish OUT LABEL: resumes to the end and compares with the uninterrupted run.
finish() {
    local out=$1 label=$2
    start "$out" "$WORK/finish.log" --resume
    wait "$PID"; STATUS=$?
    expect "$label: the final resume exited with $STATUS: $(tail -1 "$WORK/finish.log")" [ "$STATUS" = 0 ]
    verify "$out" "$label (finished)"
    expect "$label: tensors differ from the uninterrupted run's" \
        [ "$(tensor_digest "$out/checkpoint.safetensors")" = "$(tensor_digest "$REFERENCE/checkpoint.safetensors")" ]
    for key in completed_epochs optimizer_step generator; do
        expect "$label: metadata $key differs from the uninterrupted run's" \
            [ "$(meta "$out/checkpoint.safetensors" $key)" = "$(meta "$REFERENCE/checkpoint.safetensors" $key)" ]
    done
    expect "$label: metrics.csv differs from the uninterrupted run's" \
        cmp -s <(metric_columns "$out/metrics.csv") <(metric_columns "$REFERENCE/metrics.csv")
    expect "$label: files left besides checkpoint and metrics: $(ls -A "$out" | tr '\n' ' ')" \
        [ "$(ls -A "$out" | tr '\n' ' ')" = "checkpoint.safetensors metrics.csv " ]
}

echo "crash drills: $KILLS × SIGKILL, $TERMS × SIGTERM, a full disk; convnet ${ARGS[*]}; DRILL_SEED=$DRILL_SEED"

# The uninterrupted run, timed: setup (data loading) and an epoch.
REFERENCE=$WORK/reference
begin=$(date +%s.%N)
start "$REFERENCE" "$WORK/reference.log"
wait_line "$WORK/reference.log" '^training ' || { cat "$WORK/reference.log"; exit 1; }
LOAD=$(seconds_since "$begin")
wait "$PID"; STATUS=$?
[ "$STATUS" = 0 ] || { echo "the uninterrupted run failed:"; cat "$WORK/reference.log"; exit 1; }
EPOCH=$(awk -v t="$(seconds_since "$begin")" -v l="$LOAD" -v e=$EPOCHS 'BEGIN { printf "%.3f", (t - l) / e }')
echo "uninterrupted run: setup ${LOAD} s, ${EPOCH} s an epoch (training and evaluation); $(tail -1 "$WORK/reference.log")"

# --- 1. SIGKILL -------------------------------------------------------------------------------------------
echo "SIGKILL:"
OUT=$WORK/kill
declare -A landed=([loading]=0 [mid-epoch]=0 [checkpoint-write]=0 [metrics-write]=0)
modes=(loading mid-epoch checkpoint-write metrics-write)
previous=""
kill_once() {  # kill_once NUMBER MODE [COUNT]: one run, killed as MODE says, then verified
    local number=$1 mode=$2 count=${3:-} log=$WORK/kill-$1.log resume="" where done=0
    [ -e "$OUT/checkpoint.safetensors" ] && resume=--resume && done=$(meta "$OUT/checkpoint.safetensors" completed_epochs)
    # Which of this run's writes to cut: the first checkpoint write, one of the first three metrics writes
    # (a resumed run's first rewrites metrics.csv from the checkpoint).
    [ -z "$count" ] && count=$( [ "$mode" = metrics-write ] && echo $((1 + RANDOM % 3)) || echo 1)
    [ "$count" -ge 1 ] || count=1
    start "$OUT" "$log" $resume
    case $mode in
        loading) sleep "$(random_seconds "$LOAD")" ;;
        mid-epoch) wait_line "$log" 'batch [0-9]*/' && sleep "$(random_seconds "$EPOCH")" ;;
        # The COUNT-th epoch's write of this run: killed as soon as its temporary file appears.
        # (After the "training" line: setup's check that --out is writable goes through the same file.)
        checkpoint-write) wait_line "$log" '^training ' && wait_file "$OUT/.checkpoint.safetensors.tmp-$PID-*" "$count" ;;
        metrics-write) wait_file "$OUT/.metrics.csv.tmp-$PID-*" "$count" ;;
    esac
    local pid=$PID
    stop KILL
    # Where it landed: before the "training" line, or with the temporary file of the write still there.
    if [ "$STATUS" = 0 ]; then where="after the end (the run finished first)"
    elif ! grep -q '^training ' "$log"; then where=loading
    elif present "$OUT/.checkpoint.safetensors.tmp-$pid-*"; then where=checkpoint-write
    elif present "$OUT/.metrics.csv.tmp-$pid-*"; then where=metrics-write
    elif trained "$log"; then where=mid-epoch
    else where="setup after loading"
    fi
    [ -n "${landed[$where]+x}" ] && landed[$where]=$((landed[$where] + 1))
    expect "kill $number: the run ended with status $STATUS before the kill: $(grep -v '^epoch' "$log" | tail -3 | tr '\n' ' ')" \
        [ "$STATUS" = 137 -o "$STATUS" = 0 ]
    # A run that started training has removed what earlier killed runs left.
    if trained "$log"; then
        for file in $previous; do expect "kill $number: $file (left by an earlier run) is still there" [ ! -e "$file" ]; done
    fi
    previous=$(debris "$OUT")
    printf '  kill %2d (%s, $%s): landed in %s; checkpoint at epoch %s; left %s\n' "$number" "$mode" "$pid" "$where" \
        "$( [ -e "$OUT/checkpoint.safetensors" ] && meta "$OUT/checkpoint.safetensors" completed_epochs || echo none)" \
        "$(echo "$previous" | sed "s|$OUT/||g" | tr '\n' ' ' | sed 's/^ *$/nothing/')"
    verify "$OUT" "kill $number"
}
for number in $(seq 1 "$KILLS"); do
    kill_once "$number" "${modes[$(( (number - 1) % 4 ))]}"
done
# One more, aimed at the metrics write of the last epoch (after the last checkpoint: a resume has no epoch left to train).
# A resumed run rewrites metrics.csv from the checkpoint first: one more write to count.
done=$( [ -e "$OUT/checkpoint.safetensors" ] && meta "$OUT/checkpoint.safetensors" completed_epochs || echo 0)
kill_once $((KILLS + 1)) metrics-write $((EPOCHS - done + (done > 0 ? 1 : 0)))
# The watcher can miss a write on a busy machine (it then waits for the next, and the run ends first): reported,
# not failed; SignalTests covers the same state deterministically.
if [ "$(meta "$OUT/checkpoint.safetensors" completed_epochs)" = $EPOCHS ] && [ "$(wc -l < "$OUT/metrics.csv")" = $EPOCHS ]; then
    echo "  kill $((KILLS + 1)) left the last epoch's checkpoint without its metrics line, as aimed"
else
    echo "  kill $((KILLS + 1)) missed the last epoch's metrics write (the machine was busy)"
fi
finish "$OUT" "SIGKILL drills"
for mode in "${modes[@]}"; do
    expect "no kill landed in $mode" [ "${landed[$mode]}" -gt 0 ]
done

# --- 2. SIGTERM -------------------------------------------------------------------------------------------
echo "SIGTERM:"
OUT=$WORK/term
for number in $(seq 1 "$TERMS"); do
    log=$WORK/term-$number.log
    resume=""
    [ -e "$OUT/checkpoint.safetensors" ] && resume=--resume
    before=$( [ -e "$OUT/checkpoint.safetensors" ] && tensor_digest "$OUT/checkpoint.safetensors")
    start "$OUT" "$log" $resume
    if [ "$number" = 1 ]; then
        sleep "$(random_seconds "$LOAD")"   # during setup
    else
        wait_line "$log" 'batch [0-9]*/' && sleep "$(random_seconds "$EPOCH")"
    fi
    stop TERM
    if [[ $(tail -1 "$log") =~ ^interrupted\ at\ epoch\ ([0-9]+),\ batch\ ([0-9]+) ]]; then
        epoch=${BASH_REMATCH[1]} batch=${BASH_REMATCH[2]}
        expect "term $number: exit status $STATUS, not 130" [ "$STATUS" = 130 ]
        # Stopped after BATCH batches of epoch EPOCH, or at the end of epoch EPOCH when BATCH is 0.
        expect "term $number: interrupted at epoch $epoch batch $batch, checkpoint has $(meta "$OUT/checkpoint.safetensors" completed_epochs) epochs + $(meta "$OUT/checkpoint.safetensors" batches_into_epoch) batches" \
            [ "$(meta "$OUT/checkpoint.safetensors" completed_epochs),$(meta "$OUT/checkpoint.safetensors" batches_into_epoch)" = \
              "$( [ "$batch" = 0 ] && echo "$epoch,0" || echo "$((epoch - 1)),$batch")" ]
        echo "  term $number: exit $STATUS, checkpoint at epoch $epoch batch $batch"
    elif grep -q '^stopped before training began' "$log"; then
        expect "term $number: stopped before training, exit status $STATUS, not 130" [ "$STATUS" = 130 ]
        expect "term $number: the checkpoint changed during setup" \
            [ "$( [ -e "$OUT/checkpoint.safetensors" ] && tensor_digest "$OUT/checkpoint.safetensors")" = "$before" ]
        echo "  term $number: during setup, exit $STATUS before training, checkpoint unchanged"
    elif ! grep -q '^training ' "$log"; then
        # Before train takes over the signal (parsing the arguments) SIGTERM stops the command at once with 130,
        # or, before its handlers are installed (the program still loading), ends it with 143: nothing to save.
        expect "term $number: during setup, exit status $STATUS, not 130 or 143 (SIGTERM)" [ "$STATUS" = 130 -o "$STATUS" = 143 ]
        expect "term $number: the checkpoint changed during setup" \
            [ "$( [ -e "$OUT/checkpoint.safetensors" ] && tensor_digest "$OUT/checkpoint.safetensors")" = "$before" ]
        echo "  term $number: during setup, ended by the signal (status $STATUS), checkpoint unchanged"
    elif [ "$STATUS" = 0 ]; then
        echo "  term $number: the run finished before the signal"
        break
    else
        fail "term $number: exit status $STATUS without an interruption line: $(tail -2 "$log" | tr '\n' ' ')"
    fi
    verify "$OUT" "term $number"
done
finish "$OUT" "SIGTERM drills"

# --- 3. A full disk ----------------------------------------------------------------------------------------
echo "full disk:"
DISK=$WORK/disk
mkdir -p "$DISK"
if ! mount -t tmpfs -o size=4m tmpfs "$DISK" 2>/dev/null; then
    DISK=""
    fail "cannot mount a tmpfs (run as root): the full-disk drill did not run"
else
    OUT=$DISK/run
    fill() { dd if=/dev/zero of="$DISK/filler" bs=16k 2>/dev/null; sync; }
    # a. Full from the start: refused before training.
    fill
    start "$OUT" "$WORK/disk-a.log"
    wait "$PID"; STATUS=$?
    expect "full at start: exit status $STATUS" [ "$STATUS" != 0 ]
    expect "full at start: no line says the disk is full: $(tail -1 "$WORK/disk-a.log")" grep -q "No space left on device" "$WORK/disk-a.log"
    expect "full at start: it trained" bash -c "! grep -q 'batch [0-9]*/' '$WORK/disk-a.log'"
    expect "full at start: left $(ls -A "$OUT" 2>/dev/null | tr '\n' ' ')" [ -z "$(ls -A "$OUT" 2>/dev/null)" ]
    echo "  full at start: exit $STATUS: $(grep 'No space' "$WORK/disk-a.log" | head -1)"
    rm -f "$DISK/filler"
    # b. Fills up after the first epoch: the next checkpoint write fails, the first checkpoint stays.
    start "$OUT" "$WORK/disk-b.log"
    wait_line "$WORK/disk-b.log" "^epoch 1/$EPOCHS  train loss" && fill
    wait "$PID"; STATUS=$?
    expect "full after an epoch: exit status $STATUS" [ "$STATUS" != 0 ]
    expect "full after an epoch: no line says the disk is full: $(tail -1 "$WORK/disk-b.log")" grep -q "No space left on device" "$WORK/disk-b.log"
    expect "full after an epoch: left $(ls -A "$OUT" | tr '\n' ' ')" [ "$(ls -A "$OUT" | tr '\n' ' ')" = "checkpoint.safetensors metrics.csv " ]
    echo "  full after an epoch: exit $STATUS: $(grep 'No space' "$WORK/disk-b.log" | head -1)"
    rm -f "$DISK/filler"
    verify "$OUT" "full after an epoch"
    expect "full after an epoch: the checkpoint is not the first epoch's" [ "$(meta "$OUT/checkpoint.safetensors" completed_epochs)" = 1 ]
    finish "$OUT" "full-disk drill"
fi

echo "landed: $(for mode in "${modes[@]}"; do printf '%s %s, ' "$mode" "${landed[$mode]}"; done)"
if [ "$failures" = 0 ]; then
    echo "crash drills passed: $checks checks (DRILL_SEED=$DRILL_SEED)"
else
    echo "crash drills FAILED: $failures of $checks checks (DRILL_SEED=$DRILL_SEED)"
    exit 1
fi

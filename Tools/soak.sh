#!/usr/bin/env bash
# Soak (docs/hardening.md): trains LeNet-5 on all of MNIST for EPOCHS epochs (default 30), sampling the
# process's resident memory (VmRSS in /proc/PID/status) as each epoch ends, and fails when it grows after
# epoch 2 by more than BOUND_KB (default 4096 KB; docs/hardening.md says why). With a second argument, a convnet built
# with AddressSanitizer, it then runs a short training under LeakSanitizer and fails on any leak it reports.
# Usage: Tools/soak.sh [CONVNET] [ASAN_CONVNET]
set -uo pipefail
cd "$(dirname "$0")/.."
CONVNET=${1:-.build/release/convnet}
ASAN_CONVNET=${2:-}
EPOCHS=${EPOCHS:-30}
BOUND_KB=${BOUND_KB:-4096}
[ -x "$CONVNET" ] || { echo "build convnet first: $CONVNET"; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/convnet-soak.XXXXXX")
trap 'kill -9 ${PID:-} 2>/dev/null; rm -rf "$WORK"' EXIT
failures=0

alive() { local stat; { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 1; [[ $stat != *") Z "* ]]; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

echo "soak: $EPOCHS epochs of LeNet-5 on MNIST, RSS sampled as each epoch ends (bound after epoch 2: $BOUND_KB KB)"
log=$WORK/train.log
"$CONVNET" train --model lenet5 --dataset mnist --epochs "$EPOCHS" --batch-size 64 --seed 0 --threads 2 --workers 2 \
    --out "$WORK/run" > "$log" 2>&1 &
PID=$!
declare -a rss
begin=$(date +%s)
for epoch in $(seq 1 "$EPOCHS"); do
    # The epoch's summary line comes after its checkpoint and metrics.csv are written; the process ends right
    # after the last one, so the last epoch is sampled at the end of its training pass.
    line="^epoch $epoch/$EPOCHS  train loss"
    [ "$epoch" = "$EPOCHS" ] && line="^epoch $epoch/$EPOCHS  batch \([0-9]*\)/\1 "
    until grep -q "$line" "$log"; do
        alive "$PID" || { echo "training ended early:"; tail -5 "$log"; exit 1; }
        sleep 0.02
    done
    rss[epoch]=$(rss_kb "$PID")
done
wait "$PID" || { echo "training failed:"; tail -5 "$log"; exit 1; }
seconds=$(($(date +%s) - begin))
echo "RSS (MB) at the end of epochs 1..$EPOCHS: $(for e in $(seq 1 "$EPOCHS"); do awk -v k="${rss[e]}" 'BEGIN { printf "%.1f ", k / 1024 }'; done)"
# Growth after epoch 2: the largest sample of epochs 3.. minus epoch 2's, and the least-squares slope over 2..EPOCHS.
growth=0
for e in $(seq 3 "$EPOCHS"); do [ $((rss[e] - rss[2])) -gt "$growth" ] && growth=$((rss[e] - rss[2])); done
slope=$(for e in $(seq 2 "$EPOCHS"); do echo "$e ${rss[e]}"; done |
    awk '{ n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 } END { printf "%.1f", (n * sxy - sx * sy) / (n * sxx - sx * sx) }')
echo "$seconds s; $(grep 'accuracy' "$log" | tail -1); largest growth after epoch 2: $growth KB; slope over epochs 2..$EPOCHS: $slope KB/epoch"
if [ "$growth" -gt "$BOUND_KB" ]; then
    echo "FAIL: resident memory grew by $growth KB after epoch 2 (bound $BOUND_KB KB)"
    failures=$((failures + 1))
fi

if [ -n "$ASAN_CONVNET" ]; then
    # LeakSanitizer (part of AddressSanitizer on Linux) reports at exit every block no pointer reaches.
    echo "LeakSanitizer: 2 short epochs with $ASAN_CONVNET"
    ASAN_OPTIONS=detect_leaks=1:exitcode=23 LSAN_OPTIONS=suppressions=$PWD/Tools/sanitizers/lsan.supp:print_suppressions=1 \
        "$ASAN_CONVNET" train --model lenet5 --dataset mnist --epochs 2 --train-limit 2560 --test-limit 500 --threads 2 --workers 2 \
        --out "$WORK/lsan" > "$WORK/lsan.log" 2>&1
    status=$?
    grep -E "accuracy|LeakSanitizer|SUMMARY|Suppressions used|^ *[0-9]+ +[0-9]+ " "$WORK/lsan.log"
    if [ "$status" != 0 ]; then
        echo "FAIL: the LeakSanitizer run exited with $status"; tail -40 "$WORK/lsan.log"
        failures=$((failures + 1))
    fi
fi
if [ "$failures" = 0 ]; then echo "soak passed"; else echo "soak FAILED"; exit 1; fi

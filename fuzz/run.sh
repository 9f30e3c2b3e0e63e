#!/bin/sh
# make fuzz: libFuzzer on the CSV reader, the JSON Lines reader and the batch-file reader, each for
# FUZZ_SECONDS (default 60). Not part of make test. Builds the libraries with coverage
# instrumentation into .build/fuzz, links fuzz/FuzzEntry.swift with -sanitize=fuzzer, then runs
# each target from its seeds (fuzz/corpus/<target>, grown as it runs). A crashing input is written
# to fuzz/crashes/<target>/; copy it to Tests/Fixtures/fuzz-regressions/<target>/ once fixed,
# where FuzzRegressionTests replays it in make test. Every target runs even after a crash; the
# script then exits 1, naming the targets that crashed and their inputs.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
SCRATCH=.build/fuzz
# Quiet when it builds; a compile error is shown rather than ending the script without a word.
if ! BUILD_OUT=$(swift build --scratch-path "$SCRATCH" --target QuernTestSupport -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library 2>&1); then
  printf '%s\n' "$BUILD_OUT" >&2
  echo "fuzz: the instrumented build failed (above)." >&2
  exit 1
fi
BIN=$(swift build --scratch-path "$SCRATCH" --show-bin-path)
# Every object of the libraries (not the quern executable, not tests), and the C libraries.
OBJECTS=$(find "$BIN" -name '*.o' ! -path '*/Modules/*' ! -path '*/quern.build/*' ! -path '*Tests.build/*')
# The C modules the Swift modules import (their module maps), as SwiftPM passed them.
MAPS=""
for m in "$BIN/CQuernSys.build/module.modulemap" "$SCRATCH/checkouts/Yams/Sources/CYaml/include/module.modulemap" Sources/C*/module.modulemap; do
  MAPS="$MAPS -Xcc -fmodule-map-file=$m"
done
swiftc -sanitize=fuzzer -parse-as-library -I "$BIN/Modules" -I Sources/CQuernSys/include $MAPS fuzz/FuzzEntry.swift $OBJECTS \
  -lz -llz4 -lzstd -ldeflate -o "$SCRATCH/quern-fuzz"
# A crash in one target does not stop the others; the script fails at the end, so make fuzz
# (and CI) cannot pass over a crash.
CRASHED=""
CRASH_DIRS=""
for target in csv jsonl batch; do
  mkdir -p "fuzz/corpus/$target" "fuzz/crashes/$target"
  printf '%s: ' "$target"
  # The Swift runtime's backtracer would catch a trap first and end the process before libFuzzer's
  # own handler writes the crashing input: leave crashes to libFuzzer.
  if QUERN_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no "$SCRATCH/quern-fuzz" "fuzz/corpus/$target" "fuzz/seeds/$target" \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=1024 -timeout=10 -artifact_prefix="fuzz/crashes/$target/" \
    > "$SCRATCH/$target.log" 2>&1; then
    grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$SCRATCH/$target.log" | sed 's/Done //'
  else
    # libFuzzer names the input it saved ("Test unit written to <path>"); name it too.
    INPUTS=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$SCRATCH/$target.log" | tr '\n' ' ' | sed 's/ $//')
    echo "CRASH: ${INPUTS:-no input saved, see the log} (log: $SCRATCH/$target.log)"
    CRASHED="$CRASHED $target"
    CRASH_DIRS="$CRASH_DIRS fuzz/crashes/$target/"
  fi
done
if [ -n "$CRASHED" ]; then
  echo "fuzz: FAILED, crashed:$CRASHED; crashing inputs in$CRASH_DIRS (logs in $SCRATCH/<target>.log)." \
    "Fix the reader, then copy each input to Tests/Fixtures/fuzz-regressions/<target>/." >&2
  exit 1
fi

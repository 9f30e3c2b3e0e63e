#!/bin/sh
# make fuzz: libFuzzer on the CSV reader, the JSON Lines reader and the batch-file reader, each for
# FUZZ_SECONDS (default 60). Not part of make test. Builds the libraries with coverage
# instrumentation into .build/fuzz, links fuzz/FuzzEntry.swift with -sanitize=fuzzer, then runs
# each target from its seeds (fuzz/corpus/<target>, grown as it runs). A crashing input is written
# to fuzz/crashes/<target>/; copy it to Tests/Fixtures/fuzz-regressions/<target>/ once fixed,
# where FuzzRegressionTests replays it in make test.
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
SCRATCH=.build/fuzz
swift build --scratch-path "$SCRATCH" --target QuernTestSupport -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library >/dev/null
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
for target in csv jsonl batch; do
  mkdir -p "fuzz/corpus/$target" "fuzz/crashes/$target"
  printf '%s: ' "$target"
  QUERN_FUZZ_TARGET=$target "$SCRATCH/quern-fuzz" "fuzz/corpus/$target" "fuzz/seeds/$target" \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=1024 -timeout=10 -artifact_prefix="fuzz/crashes/$target/" \
    > "$SCRATCH/$target.log" 2>&1 || { echo "CRASH (see $SCRATCH/$target.log and fuzz/crashes/$target/)"; continue; }
  grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$SCRATCH/$target.log" | sed 's/Done //'
done

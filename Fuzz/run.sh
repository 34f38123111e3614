#!/usr/bin/env bash
# Fuzzes every parser and decoder Crema reads files with, SECONDS each (default 600), with
# libFuzzer and AddressSanitizer: `Fuzz/run.sh 600`, or `Fuzz/run.sh 60 jpeg png`.
# Corpora grow in Fuzz/Corpus/<target>/ (commit the small new ones you want to keep); a crash,
# hang or oversized allocation is written to Fuzz/Crashers/<target>/ and the script exits 1.
# Every file in those folders is replayed by the normal test suite (FuzzHarnessesTests).
set -eu
SECONDS_EACH=${1:-600}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGETS=${*:-"datum blobproto netparameter solverstate prototxt jpeg png listfile overrides recipejson"}
JOBS=${FUZZ_JOBS:-$(nproc)}

# A package of its own that builds the driver against this checkout, so the fuzzer's flags
# reach no other build folder.
PKG="$ROOT/.build-fuzz/package"
mkdir -p "$PKG"
ln -sfn "$ROOT/Fuzz/Driver" "$PKG/Driver"
ln -sfn "$ROOT/Fuzz/FuzzerEntry" "$PKG/FuzzerEntry"
# libFuzzer without its main (SwiftPM gives the executable one); the rest is instrumented for
# coverage and AddressSanitizer only, so the build's own tools still link and run.
CLANG_LIB=$(dirname "$(command -v swiftc)")/../lib/clang
FUZZER=$(ls "$CLANG_LIB"/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)
[ -n "$FUZZER" ] || { echo "libFuzzer (libclang_rt.fuzzer_no_main) is not in this Swift toolchain ($CLANG_LIB)"; exit 1; }
cat > "$PKG/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "CremaFuzz",
    dependencies: [.package(path: "$ROOT")],
    targets: [
        .systemLibrary(name: "CFuzzerEntry", path: "FuzzerEntry"),
        .executableTarget(name: "crema-fuzz",
                          dependencies: ["CFuzzerEntry", .product(name: "FuzzHarnesses", package: "$(basename "$ROOT")")],
                          path: "Driver",
                          linkerSettings: [.unsafeFlags(["-Xlinker", "$FUZZER", "-lstdc++"])]),
    ],
    swiftLanguageModes: [.v5]
)
SWIFT
echo "Building the fuzz driver (release, AddressSanitizer and libFuzzer's coverage)..."
COVERAGE=edge,inline-8bit-counters,pc-table,trace-cmp
swift build -c release --package-path "$PKG" --scratch-path "$ROOT/.build-fuzz/build" \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=$COVERAGE \
    -Xcc -fsanitize=address -Xcc -fsanitize-coverage=$COVERAGE
DRIVER="$ROOT/.build-fuzz/build/release/crema-fuzz"

STATUS=0
run_one() {
    t=$1
    mkdir -p "Fuzz/Corpus/$t" "Fuzz/Crashers/$t" ".build-fuzz/logs"
    # A new-found input goes to a scratch corpus; the kept corpus is only read.
    mkdir -p ".build-fuzz/corpus/$t"
    CREMA_FUZZ_TARGET=$t SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$DRIVER" \
        -max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=4096 -malloc_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="Fuzz/Crashers/$t/" ".build-fuzz/corpus/$t" "Fuzz/Corpus/$t" \
        > ".build-fuzz/logs/$t.log" 2>&1
}
running=0
for t in $TARGETS; do
    ( if run_one "$t"; then echo "$t: no crash, hang or oversized allocation in ${SECONDS_EACH} s ($(grep -o 'stat::number_of_executed_units: *[0-9]*' ".build-fuzz/logs/$t.log" | grep -o '[0-9]*$') inputs)";
      else echo "$t: FAILED, see .build-fuzz/logs/$t.log and Fuzz/Crashers/$t/"; exit 1; fi ) &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n 2>/dev/null || STATUS=1; running=$((running - 1)); fi
done
while [ "$running" -gt 0 ]; do wait -n 2>/dev/null || STATUS=1; running=$((running - 1)); done
exit $STATUS

#!/bin/sh
# Checks the promise the README makes about its two commands: the tool (`swift run -c release`,
# in .build) and the tests (`--scratch-path .build-tests -Xswiftc -enable-testing`) build in
# folders of their own, so building one after the other recompiles nothing that did not change.
# Run after the tests; it builds the tool once if it was never built (a few minutes on 2 cores),
# then builds each after the other and fails if either writes an object file or a module.
#
# "Compiles" is judged by what a build writes, not by SwiftPM's step labels: on a fresh clone
# the second build of a scratch folder re-plans and runs SwiftProtobuf's compile step again,
# printing "Compiling SwiftProtobuf ...", while the Swift driver finds every file up to date and
# writes no object (seen on CI and reproduced on a fresh clone with two tool builds alone).
set -eu
cd "$(dirname "$0")/.."

tool="swift build -c release --product experiments"
# The README's test command itself (`swift build --build-tests` plans a different build from
# `swift test`, so it would prove nothing), running one small suite.
tests="swift test -c release --scratch-path .build-tests -Xswiftc -enable-testing --filter GlogFormatTests"
log=$(mktemp)
marker=$(mktemp)
trap 'rm -f "$log" "$marker"' EXIT

# Runs a build and prints the modules whose object files or module files it wrote.
build() {
    scratch=$1
    shift
    touch "$marker"
    sleep 1
    "$@" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    find "$scratch" -path '*/release/*' -newer "$marker" \( -name '*.o' -o -name '*.swiftmodule' \) 2>/dev/null \
        | sed -e 's|.*/release/||' -e 's|/.*||' -e 's|\.build$||' -e 's|\.swiftmodule$||' | sort -u | tr '\n' ' '
}

echo "check-no-rebuild: building the tool ($tool)"
build .build $tool >/dev/null
# One settling round for each folder, reported: SwiftPM plans a folder's second build afresh,
# and that build has been seen to recompile SwiftProtobuf and ExperimentsTests (the tests'
# folder, on a fresh clone) or to run SwiftProtobuf's step and write nothing (the tool's).
for step in "tool:.build:$tool" "tests:.build-tests:$tests"; do
    name=${step%%:*}
    rest=${step#*:}
    scratch=${rest%%:*}
    command=${rest#*:}
    settled=$(build "$scratch" $command)
    [ -z "$settled" ] || echo "check-no-rebuild: settling: a second build of the $name recompiled: $settled"
done

# Tool after tests, then tests after tool: neither may write an object or a module.
for step in "tool:.build:$tool" "tests:.build-tests:$tests"; do
    name=${step%%:*}
    rest=${step#*:}
    scratch=${rest%%:*}
    command=${rest#*:}
    rebuilt=$(build "$scratch" $command)
    if [ -n "$rebuilt" ]; then
        echo "check-no-rebuild: FAILED: building the $name again after the other recompiled: $rebuilt"
        grep -E 'Compiling|Emitting module' "$log" | grep -v 'Compiling plugin' || true
        exit 1
    fi
done
echo "check-no-rebuild: the tests and the tool each recompile nothing after the other"

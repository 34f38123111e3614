#!/bin/sh
# Checks the promise the README makes about its two commands: the tool (`swift run -c release`,
# in .build) and the tests (`--scratch-path .build-tests -Xswiftc -enable-testing`) build in
# folders of their own, so building one after the other recompiles nothing that did not change.
# Run after the tests; it builds the tool once if it was never built (a few minutes on 2 cores),
# then builds each again and fails if either compiles or links anything.
set -eu
cd "$(dirname "$0")/.."

tool="swift build -c release --product experiments"
# The README's test command itself (`swift build --build-tests` plans a different build from
# `swift test`, so it would prove nothing), running one small suite.
tests="swift test -c release --scratch-path .build-tests -Xswiftc -enable-testing --filter GlogFormatTests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "check-no-rebuild: building the tool ($tool)"
$tool >"$log" 2>&1 || { cat "$log"; exit 1; }

# What a build that recompiles prints: a Swift or C file of some module, or a module's
# interface. SwiftPM's "Compiling plugin" steps run on every build, and the small host tool
# that writes the recipe catalogue may be relinked while SwiftPM settles its two plans for it;
# neither compiles any of the package's code.
work='Compiling [A-Za-z_][A-Za-z0-9_]* [^ ]+\.(swift|c)|Emitting module'
for step in "tests:$tests" "tool:$tool"; do
    name=${step%%:*}
    command=${step#*:}
    $command >"$log" 2>&1 || { cat "$log"; exit 1; }
    if grep -E "$work" "$log" | grep -v 'Compiling plugin' >/dev/null; then
        echo "check-no-rebuild: FAILED: building the $name again after the other rebuilt:"
        grep -E "$work" "$log" | grep -v 'Compiling plugin'
        exit 1
    fi
done
echo "check-no-rebuild: the tests and the tool each rebuild nothing after the other"

import Foundation
import CFuzzerEntry
import FuzzHarnesses

// One libFuzzer executable for every target: CREMA_FUZZ_TARGET names the one to drive (read
// once, here at the edge). Fuzz/run.sh builds it with -sanitize=fuzzer,address. SwiftPM gives
// an executable its own `main`, so libFuzzer is entered through LLVMFuzzerRunDriver.

nonisolated(unsafe) var chosen: (@Sendable (Foundation.Data) -> FuzzOutcome)?

let name = ProcessInfo.processInfo.environment["CREMA_FUZZ_TARGET"] ?? ""
guard let harness = FuzzHarness.targets[name] else {
    let known = FuzzHarness.targets.keys.sorted().joined(separator: ", ")
    FileHandle.standardError.write(Data("set CREMA_FUZZ_TARGET to one of: \(known)\n".utf8))
    exit(2)
}
chosen = harness
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
    if case .refused(let reason) = chosen?(bytes), reason.trimmingCharacters(in: .whitespaces).isEmpty {
        fatalError("an input was refused without a reason")
    }
    return 0
}
exit(status)

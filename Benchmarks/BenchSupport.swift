import ArgumentParser
import Dispatch
import Foundation
import NetDSL
import Runtime

// Shared by the compute benchmarks (gemm, layers, caffenet, lenet): thread settings, the header
// that records what ran, timing, result checks and the tables they print.

/// A check that failed before timing: the benchmark refuses to time wrong results.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Options every compute benchmark takes.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for Crema's kernels and OpenBLAS (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("repeat"), help: "Timed repetitions of each measurement (after one untimed warm-up).")
    var repetitions = 5

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("--repeat must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Opens OpenBLAS (CREMA_BLAS_LIBRARY and CREMA_THREAD_POOL, read here at the edge, choose another file and pool), sets the
    /// thread counts and prints the command, machine and libraries.
    func apply(title: String) throws {
        let environment = ProcessInfo.processInfo.environment
        try BLAS.use(library: environment["CREMA_BLAS_LIBRARY"], threadPool: ThreadPool.named(environment["CREMA_THREAD_POOL"]))
        try BLAS.load()
        let n = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        Parallel.threads = n
        BLAS.threads = n
        print("# \(title)")
        print("command: \(CommandLine.arguments.joined(separator: " "))")
        print("date: \(ISO8601DateFormatter().string(from: Date()))")
        print("cpu: \(cpuModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores; threads: \(Parallel.threads) (OpenBLAS \(BLAS.threads))")
        let coreType = BLAS.chosenCoreType.map { "\($0) (chosen by Crema)" }
            ?? ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { "\($0) (set outside)" } ?? "unset"
        print("OpenBLAS core: \(BLAS.coreName); OPENBLAS_CORETYPE \(coreType); Crema kernels: \(KernelVariant.current); flush-to-zero: \(Parallel.flushesDenormals)")
        print("repetitions: \(repetitions) (medians; one untimed warm-up)")
        print("")
    }
}

/// "model name" from /proc/cpuinfo, with family and model (VMs often hide the name).
func cpuModel() -> String {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    func field(_ key: String) -> String? {
        info.split(separator: "\n").first { $0.hasPrefix(key) }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
    let name = field("model name") ?? "unknown CPU"
    return "\(name) (family \(field("cpu family") ?? "?") model \(field("model\t") ?? "?"))"
}

/// Milliseconds that `body` took.
@inline(__always)
func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

/// Parses "32,256" into batch sizes.
func parseBatches(_ text: String) throws -> [Int] {
    let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
        throw ValidationError("batches must be a comma-separated list of positive numbers, e.g. 32,256; got '\(text)'")
    }
    return values.compactMap { $0 }
}

/// Fills `count` values with uniform numbers in [lo, hi).
func fillUniform(_ p: UnsafeMutablePointer<Float>, _ count: Int, _ lo: Float, _ hi: Float, random: inout RandomGenerator) {
    for i in 0..<count { p[i] = random.uniform(lo, hi) }
}

/// Writes `values` to `p`.
func copy(_ values: [Float], to p: UnsafeMutablePointer<Float>) {
    values.withUnsafeBufferPointer { source in
        if let base = source.baseAddress { p.update(from: base, count: source.count) }
    }
}

/// Compares `got` with a double-precision reference: the largest difference must stay within
/// `tolerance` of the reference's largest magnitude. Returns that relative error.
@discardableResult
func expectClose(_ what: String, _ got: UnsafePointer<Float>, _ want: [Double], tolerance: Double = 1e-4) throws -> Double {
    var maxError = 0.0, scale = 0.0, worst = 0
    for i in want.indices {
        let e = abs(Double(got[i]) - want[i])
        if !(e <= maxError) { maxError = e; worst = i }  // catches NaN too
        scale = max(scale, abs(want[i]))
    }
    let relative = maxError / max(scale, 1e-12)
    guard relative <= tolerance else {
        let limit = tolerance * max(scale, 1e-12)
        let wrong = want.indices.filter { !(abs(Double(got[$0]) - want[$0]) <= limit) }
        throw BenchmarkError("\(what) differs from the reference in \(wrong.count) of \(want.count) values (first at index \(wrong.first ?? worst)): at index \(worst) got \(got[worst]), expected \(want[worst]) (largest error \(maxError), \(relative) of the largest value \(scale); tolerance \(tolerance))")
    }
    return relative
}

/// A Markdown table, printed with aligned columns.
struct Table {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: String...) { self.header = header }

    mutating func add(_ cells: String...) { rows.append(cells) }

    func print() {
        let widths = header.indices.map { c in ([header] + rows).map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { c, s in s.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: " | ") + " |"
        }
        Swift.print(line(header))
        Swift.print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|")
        for r in rows { Swift.print(line(r)) }
    }
}

func format(_ value: Double, _ decimals: Int = 2) -> String { String(format: "%.\(decimals)f", value) }

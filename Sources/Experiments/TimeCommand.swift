import ArgumentParser
import Foundation
import NetDSL
import Runtime

/// Caffe's `caffe time`: per-layer forward and backward milliseconds, then the summary lines.
struct TimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "time",
        abstract: "Time a recipe's net layer by layer (Caffe's `caffe time`).")

    @OptionGroup var options: RecipeOptions

    @Option(help: "Phase to time: train (forward and backward) or test (forward only).")
    var phase: Phase = .train

    @Option(help: "Batch size (default: the recipe's).")
    var batch: Int?

    @Option(name: .customLong("repeat"), help: "Timed iterations (after one untimed warm-up).")
    var repetitions: Int = 10

    @Option(help: "Threads for the kernels and BLAS (default: all cores).")
    var threads: Int?

    func run() throws {
        guard repetitions > 0 else { throw CLIError("--repeat must be at least 1") }
        let (name, resolvedNet, plan, _) = try options.resolve()
        configureThreads(threads)
        var net = resolvedNet
        try DataPreparation.prepareMissing(for: net) { log($0, "prepare.swift:1") }
        let synthetic = try Self.replaceMissingData(in: &net, phase: phase, batch: batch)
        if let synthetic { log(synthetic, "caffe.cpp:366") }
        if let batch, synthetic == nil {
            guard batch > 0 else { throw CLIError("--batch must be at least 1") }
            var scratch = plan
            try Overrides.apply("data.\(phase.rawValue).batch_size=\(batch)", net: &net, solver: &scratch)
        }

        let store = ParameterStore(seed: UInt64(max(plan.seed, 0)))
        let graph = try Compiler.compile(net, for: phase, store: store)
        let batchSize = graph.blobs["data"]?.num ?? 1
        log("Timing \(name), \(phase) phase, batch \(batchSize), \(Parallel.threads) threads", "caffe.cpp:352")
        log("Performing Forward", "caffe.cpp:371")
        try graph.forward()
        if phase == .train {
            log("Performing Backward", "caffe.cpp:376")
            graph.backward()
        }
        log("*** Benchmark begins ***", "caffe.cpp:404")
        log("Testing for \(repetitions) iterations.", "caffe.cpp:405")
        let n = graph.layers.count
        var forward = [[Double]](repeating: [], count: n)
        var backward = [[Double]](repeating: [], count: n)
        var totals: [Double] = []
        var forwardTotals: [Double] = []
        var backwardTotals: [Double] = []
        for r in 0..<repetitions {
            let iterationStart = DispatchTime.now()
            for i in 0..<n {
                let t = DispatchTime.now()
                let io = graph.io(ofLayer: i)
                try graph.layers[i].forward(bottoms: io.bottoms, tops: io.tops)
                forward[i].append(ms(since: t))
            }
            forwardTotals.append(ms(since: iterationStart))
            if phase == .train {
                let backwardStart = DispatchTime.now()
                graph.backwardTimed { i, seconds in backward[i].append(seconds) }
                backwardTotals.append(ms(since: backwardStart))
            }
            totals.append(ms(since: iterationStart))
            log("Iteration: \(r + 1) forward-backward time: \(String(format: "%.2f", totals.last ?? 0)) ms.", "caffe.cpp:433")
        }
        log("Average time per layer (median over \(repetitions) iterations): ", "caffe.cpp:436")
        for i in 0..<n {
            let layerName = graph.layers[i].spec.name
            let padded = String(repeating: " ", count: max(0, 10 - layerName.count)) + layerName
            log("\(padded)\tforward: \(String(format: "%.4f", median(forward[i]))) ms.", "caffe.cpp:439")
            if phase == .train {
                log("\(padded)\tbackward: \(String(format: "%.4f", median(backward[i]))) ms.", "caffe.cpp:442")
            }
        }
        log("Average Forward pass: \(String(format: "%.4f", mean(forwardTotals))) ms.", "caffe.cpp:447")
        if phase == .train {
            log("Average Backward pass: \(String(format: "%.4f", mean(backwardTotals))) ms.", "caffe.cpp:449")
            log("Average Forward-Backward: \(String(format: "%.4f", mean(totals))) ms.", "caffe.cpp:451")
        }
        log("Total Time: \(String(format: "%.2f", totals.reduce(0, +))) ms.", "caffe.cpp:452")
        log("*** Benchmark ends ***", "caffe.cpp:453")
        let medianTotal = median(totals)
        log(String(format: "Median iteration: %.2f ms, %.2f ms per image, %.1f images/s; peak memory %.1f MiB",
                   medianTotal, medianTotal / Double(batchSize), Double(batchSize) * 1000 / medianTotal,
                   Double(peakMemoryBytes()) / 1_048_576), "experiments.swift:4")
    }

    private func log(_ message: String, _ source: String) {
        FileHandle.standardError.write(Data(GlogFormat.lines(message, source: source).utf8))
    }

    /// Replaces the phase's Data layer with an Input layer of the same output shape when its
    /// database is missing, so nets whose data is not on disk (ImageNet) can still be timed.
    static func replaceMissingData(in net: inout NetSpec, phase: Phase, batch: Int?) throws -> String? {
        guard let index = net.dataLayerIndex(in: phase), case .data(let p) = net.layers[index].kind,
              !FileManager.default.fileExists(atPath: p.source) else { return nil }
        let crop = p.transform.cropSize
        guard crop > 0 else {
            throw CLIError("the \(phase) data \(p.source) is missing and its Data layer has no crop size to give the input shape; prepare the database or set data.\(phase.rawValue).source")
        }
        let channels = p.transform.meanValue.count == 1 ? 1 : 3
        let n = batch ?? p.batchSize
        guard n > 0 else { throw CLIError("--batch must be at least 1") }
        let shape = [n, channels, crop, crop]
        net.layers[index].kind = .input(InputParams(shapes: [shape, [n]]))
        return "\(p.source) is not on disk: timing on generated inputs of shape \(shape.map(String.init).joined(separator: "x")) (labels all 0)"
    }
}

func ms(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

/// The process's peak resident memory.
func peakMemoryBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

extension Phase: ExpressibleByArgument {}

import ArgumentParser
import Foundation
import Runtime

/// Each heavy CaffeNet layer alone, forward and backward, checked against `Reference` on a
/// small batch before it is timed at the batch sizes asked for.
struct LayerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "Median forward and backward time of each heavy CaffeNet layer (conv1-5, pooling, LRN, ReLU, fc6-8, dropout, softmax loss).")

    @OptionGroup var options: ComputeOptions

    @Option(help: "Batch sizes to time, comma-separated.")
    var batches = "32,256"

    @Option(help: "Batch size of the check against the reference loops (they are slow).")
    var checkBatch = 2

    @Option(help: "Only layers whose name contains this (e.g. conv, pool1).")
    var only: String?

    func validate() throws {
        guard checkBatch > 0 else { throw ValidationError("--check-batch must be at least 1") }
    }

    func run() throws {
        try options.apply(title: "benchmarks layers: CaffeNet's heavy layers, Float32, training mode")
        var cases = LayerCase.caffeNet
        if let only { cases = cases.filter { $0.name.contains(only) } }
        guard !cases.isEmpty else { throw ValidationError("no layer matches --only \(only ?? "")") }

        print("Checking each layer against plain double-precision loops at batch \(checkBatch)...")
        var checks: [String: Double] = [:]
        for c in cases {
            checks[c.name] = try c.check(batch: checkBatch)
            print(String(format: "  %@: ok (largest relative error %.1e)", c.name, checks[c.name] ?? 0))
        }
        print("")

        for batch in try parseBatches(batches) {
            var table = Table("layer", "input", "forward ms", "backward ms", "fwd+bwd ms", "ms per image", "share")
            var rows: [(LayerCase, Double, Double)] = []
            for c in cases {
                let (f, b) = try time(c, batch: batch)
                rows.append((c, f, b))
            }
            let total = rows.reduce(0) { $0 + $1.1 + $1.2 }
            for (c, f, b) in rows {
                table.add(c.name, ([batch] + c.imageShape).map(String.init).joined(separator: "x"),
                          format(f), format(b), format(f + b), format((f + b) / Double(batch), 3),
                          String(format: "%.1f%%", 100 * (f + b) / max(total, 1e-9)))
            }
            let forwardTotal = rows.reduce(0) { $0 + $1.1 }, backwardTotal = rows.reduce(0) { $0 + $1.2 }
            table.add("total", "", format(forwardTotal), format(backwardTotal), format(total), format(total / Double(batch), 3), "100%")
            print("## batch \(batch): medians over \(options.repetitions) repetitions")
            table.print()
            print("")
        }
    }

    /// Median forward and backward milliseconds. In-place layers get their input (and the
    /// gradient they overwrite) restored before each pass, outside the timed region, so every
    /// pass sees the same values.
    private func time(_ c: LayerCase, batch: Int) throws -> (forward: Double, backward: Double) {
        let (_, layer, bottoms, tops) = try c.build(batch: batch, seed: 3)
        var random = RandomGenerator(seed: 9)
        let x = bottoms[0], top = tops[0]
        fillUniform(x.data, x.count, c.inputRange.0, c.inputRange.1, random: &random)
        if c.isLoss { for i in 0..<bottoms[1].count { bottoms[1].data[i] = Float(random.below(c.imageShape[0])) } }
        let savedInput = c.inPlace ? x.values : []
        let down = c.isLoss ? [true, false] : [c.dataGradient]
        var savedGradient: [Float] = []

        func prepareForward() {
            if c.inPlace { copy(savedInput, to: x.data) }
        }
        func prepareBackward() {
            if c.isLoss {
                top.diff[0] = 1
            } else if savedGradient.isEmpty {
                fillUniform(top.diff, top.count, -1, 1, random: &random)
                savedGradient = top.gradients
            } else if c.inPlace {
                copy(savedGradient, to: top.diff)
            }
        }

        prepareForward()
        try layer.forward(bottoms: bottoms, tops: tops)
        prepareBackward()
        layer.backward(tops: tops, propagateDown: down, bottoms: bottoms)
        var forward: [Double] = [], backward: [Double] = []
        for _ in 0..<options.repetitions {
            prepareForward()
            forward.append(try milliseconds { try Parallel.flushingDenormals { try layer.forward(bottoms: bottoms, tops: tops) } })
            prepareBackward()
            backward.append(milliseconds { Parallel.flushingDenormals { layer.backward(tops: tops, propagateDown: down, bottoms: bottoms) } })
        }
        if c.isLoss, !top.data[0].isFinite { throw BenchmarkError("\(c.name) at batch \(batch): the loss is \(top.data[0])") }
        return (median(forward), median(backward))
    }
}

import ArgumentParser
import Foundation
import NetDSL
import Runtime

/// Caffe's `caffe test`: scores a trained net over the TEST data.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Score trained weights on a recipe's TEST data (Caffe's `caffe test`).")

    @OptionGroup var options: RecipeOptions

    @Option(help: ArgumentHelp("The weights to score: a .caffemodel, or a run or snapshots folder (its newest snapshot).",
                               valueName: "PATH"))
    var weights: String

    @Option(name: .customLong("batches"), help: "Test batches (default: the recipe's test_iter).")
    var batches: Int?

    @Option(help: "Threads for the kernels and BLAS (default: all cores).")
    var threads: Int?

    func run() throws {
        for (name, value) in try score() { print("\(name) \(String(format: "%.6f", value))") }
    }

    /// Each TEST output averaged over the batches, in output order.
    func score() throws -> [(String, Double)] {
        let (name, net, plan, _) = try options.resolve()
        try configureThreads(threads)
        try DataPreparation.prepareMissing(for: net) { log($0, "prepare.swift:1") }
        let count = batches ?? plan.testIterations
        guard count > 0 else { throw CLIError("nothing to test: --batches (or solver.test_iter) must be at least 1") }
        let graph = try WeightsLocation.inferenceGraph(net, weights: try WeightsLocation.resolve(weights), recipe: name)
        log("Running for \(count) iterations.", "caffe.cpp:281")
        var sums = graph.outputs.map { [Double](repeating: 0, count: $0.tensor.count) }
        var totalLoss: Double = 0
        for i in 0..<count {
            let loss = try graph.forward()
            for case let data as DataLayer in graph.layers {
                for record in data.takeSkippedRecords() { log("Skipped \(record) (on_error=skip)", "data_layer.cpp:1") }
            }
            totalLoss += Double(loss)
            var index = 0
            for (k, out) in graph.outputs.enumerated() {
                for j in 0..<out.tensor.count {
                    let v = out.tensor.data[j]
                    sums[k][j] += Double(v)
                    log("Batch \(i), \(out.name) = \(String(format: "%g", v))", "caffe.cpp:304")
                    index += 1
                }
            }
        }
        log("Loss: \(String(format: "%g", totalLoss / Double(count)))", "caffe.cpp:309")
        var scores: [(String, Double)] = []
        for (k, out) in graph.outputs.enumerated() {
            for j in 0..<out.tensor.count {
                let mean = sums[k][j] / Double(count)
                let lossText = out.lossWeight != 0
                    ? String(format: " (* %g = %g loss)", out.lossWeight, Double(out.lossWeight) * mean) : ""
                log("\(out.name) = \(String(format: "%g", mean))\(lossText)", "caffe.cpp:321")
                scores.append(("\(out.name)\(out.tensor.count > 1 ? "[\(j)]" : "")", mean))
            }
        }
        return scores
    }

    private func log(_ message: String, _ source: String) {
        StandardError.write(GlogFormat.lines(message, source: source))
    }
}

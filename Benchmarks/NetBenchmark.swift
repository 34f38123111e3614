import ArgumentParser
import Foundation
import NetDSL
import Recipes
import Runtime

// Whole-net benchmarks on the recipes themselves: Benchmarks/Recipes/*.swift are links to the
// files in Recipes/, so these time exactly the nets `experiments` trains.

/// CaffeNet (bvlc_reference_caffenet) training steps and inference on generated 227x227 images.
struct CaffeNetBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caffenet",
        abstract: "CaffeNet: forward+backward, the whole training step (with the SGD update) and inference.")

    @OptionGroup var options: ComputeOptions
    @Option(help: "Batch sizes, comma-separated.") var batches = "1,32,64,256"
    @Option(help: "What to time, comma-separated: train (forward+backward), step (train plus the solver update), inference (the TEST net's forward).")
    var modes = "train,step,inference"

    func run() throws {
        let recipe = try recipeContents("caffenet")
        try NetBenchmark(recipe: "caffenet", net: recipe.net, plan: recipe.plan, imageShape: [3, 227, 227],
                         classes: 1000, pixels: (-128, 128), options: options)
            .run(batches: try parseBatches(batches), modes: try NetBenchmark.Mode.parse(modes))
    }
}

/// LeNet on Fashion-MNIST-shaped inputs (28x28 grey, scaled to [0, 1) as the recipe does).
struct LeNetBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lenet",
        abstract: "LeNet: forward+backward, the whole training step (with the SGD update) and inference.")

    @OptionGroup var options: ComputeOptions
    @Option(help: "Batch sizes, comma-separated (the recipe trains at 64).") var batches = "64"
    @Option(help: "What to time, comma-separated: train, step, inference.") var modes = "train,step,inference"

    func run() throws {
        let recipe = try recipeContents("lenet")
        try NetBenchmark(recipe: "lenet", net: recipe.net, plan: recipe.plan, imageShape: [1, 28, 28],
                         classes: 10, pixels: (0, 1), options: options)
            .run(batches: try parseBatches(batches), modes: try NetBenchmark.Mode.parse(modes))
    }
}

struct NetBenchmark {
    var recipe: String
    var net: NetSpec
    var plan: SolverPlan
    var imageShape: [Int]
    var classes: Int
    var pixels: (Float, Float)
    var options: ComputeOptions

    enum Mode: String, CaseIterable {
        case train, step, inference

        static func parse(_ text: String) throws -> [Mode] {
            try text.split(separator: ",").map { word in
                guard let mode = Mode(rawValue: word.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown mode '\(word)'; choose from \(allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return mode
            }
        }

        var title: String {
            switch self {
            case .train: "train forward+backward"
            case .step: "train step (zero gradients, forward, backward, SGD update)"
            case .inference: "inference (TEST net forward)"
            }
        }
    }

    func run(batches: [Int], modes: [Mode]) throws {
        try options.apply(title: "benchmarks \(recipe): the recipe's net on generated inputs (pixels uniform in [\(pixels.0), \(pixels.1)), random labels)")
        var table = Table("measure", "batch", "median ms per batch", "ms per image", "images/s", "min ms", "max ms", "check")
        for mode in modes {
            for batch in batches {
                let (times, check) = try measure(mode, batch: batch)
                let m = median(times)
                table.add(mode.title, "\(batch)", format(m), format(m / Double(batch), 3),
                          format(Double(batch) * 1000 / m, 1), format(times.min() ?? 0), format(times.max() ?? 0), check)
            }
        }
        print("## \(recipe): medians over \(options.repetitions) repetitions, \(Parallel.threads) threads")
        table.print()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print(String(format: "\npeak resident memory of this process (all measures): %.1f MiB", Double(usage.ru_maxrss) / 1024))
    }

    /// The net for `phase` with its Data layer replaced by an Input layer of the same tops.
    private func graph(_ phase: Phase, batch: Int, store: ParameterStore) throws -> Graph {
        var spec = net
        guard let index = spec.dataLayerIndex(in: phase) else {
            throw BenchmarkError("\(recipe) has no \(phase) data layer to replace with generated inputs")
        }
        spec.layers[index].kind = .input(InputParams(shapes: [[batch] + imageShape, [batch]]))
        let graph = try Compiler.compile(spec, for: phase, store: store, seed: 7,
                                         options: try CompileOptions.reading(environment: ProcessInfo.processInfo.environment))
        var random = RandomGenerator(seed: 20_261_126)
        guard let data = graph.blobs[spec.layers[index].tops.first ?? "data"] else {
            throw BenchmarkError("\(recipe)'s \(phase) net has no data blob")
        }
        fillUniform(data.data, data.count, pixels.0, pixels.1, random: &random)
        if spec.layers[index].tops.count > 1, let labels = graph.blobs[spec.layers[index].tops[1]] {
            for i in 0..<labels.count { labels.data[i] = Float(random.below(classes)) }
        }
        return graph
    }

    /// Times one mode at one batch size after checking what it computes; returns the
    /// milliseconds of each repetition and what the check found.
    private func measure(_ mode: Mode, batch: Int) throws -> (times: [Double], check: String) {
        let store = ParameterStore(seed: 1)
        let label = "\(recipe) \(mode.rawValue) at batch \(batch)"
        switch mode {
        case .inference:
            let graph = try graph(.test, batch: batch, store: store)
            let loss = try graph.forward()
            try checkLoss(loss, label)
            let times = try (0..<options.repetitions).map { _ in try milliseconds { try graph.forward() } }
            try checkFinite(graph.loss, label)
            return (times, String(format: "loss %.3f", loss))
        case .train:
            let graph = try graph(.train, batch: batch, store: store)
            let loss = try graph.forward()
            try checkLoss(loss, label)
            graph.backward()
            let times = try (0..<options.repetitions).map { _ in
                try milliseconds { try graph.forward(); graph.backward() }
            }
            try checkFinite(graph.loss, label)
            return (times, String(format: "loss %.3f", loss))
        case .step:
            let graph = try graph(.train, batch: batch, store: store)
            let solver = try Solver(plan: plan, parameters: store.parameters)
            solver.zeroGradients()
            let loss = try graph.forward()
            try checkLoss(loss, label)
            graph.backward()
            let error = try checkFirstUpdate(solver, label)
            var iteration = 1
            let times = try (0..<options.repetitions).map { _ in
                try milliseconds {
                    solver.zeroGradients()
                    try graph.forward()
                    graph.backward()
                    solver.step(iteration: iteration)
                    iteration += 1
                }
            }
            try checkFinite(graph.loss, label)
            return (times, String(format: "loss %.3f, update ok (%.0e)", loss, error))
        }
    }

    /// The first loss of a freshly initialised net is about ln(classes): a net that computes
    /// something else (or NaN) is not worth timing.
    private func checkLoss(_ loss: Float, _ label: String) throws {
        let expected = log(Float(classes))
        guard loss.isFinite, loss > 0.25 * expected, loss < 4 * expected else {
            throw BenchmarkError("\(label): the loss is \(loss); a net of \(classes) classes should start near ln(\(classes)) = \(expected)")
        }
    }

    /// After timing the net has trained on one batch, so its loss may be anything but NaN.
    private func checkFinite(_ loss: Float, _ label: String) throws {
        guard loss.isFinite else { throw BenchmarkError("\(label): the loss became \(loss) while timing") }
    }

    /// Applies the first update and checks sampled weights moved by Caffe's SGD rule from a
    /// zero history: w -= rate * lr_mult * (gradient + weight_decay * decay_mult * w).
    private func checkFirstUpdate(_ solver: Solver, _ label: String) throws -> Double {
        var random = RandomGenerator(seed: 3)
        var samples: [(Parameter, Int, Float, Float)] = []
        for p in solver.parameters {
            for _ in 0..<8 {
                let i = random.below(p.tensor.count)
                samples.append((p, i, p.tensor.data[i], p.tensor.diff[i]))
            }
        }
        let rate = solver.learningRate(at: 0)
        solver.step(iteration: 0)
        var worst = 0.0
        for (p, i, w, g) in samples {
            let decay = Double(plan.weightDecay) * Double(p.decayMult)
            let want = Double(w) - Double(rate) * Double(p.lrMult) * (Double(g) + decay * Double(w))
            let got = Double(p.tensor.data[i])
            let error = abs(got - want) / max(abs(Double(w)), abs(want - Double(w)), 1e-12)
            guard error <= 1e-5 else {
                throw BenchmarkError("\(label): after the first update \(p.key)[\(i)] is \(got), expected \(want) (weight \(w), gradient \(g), rate \(rate))")
            }
            worst = max(worst, error)
        }
        return worst
    }
}

/// The catalogue's recipe of that name, so the benchmarks time exactly what `experiments` trains.
func recipeContents(_ name: String) throws -> (net: NetSpec, plan: SolverPlan) {
    guard let type = allRecipes.first(where: { $0.name == name }) else {
        throw ValidationError("no recipe named \(name) in Recipes/")
    }
    return contents(of: type)
}

private func contents<R: Recipe>(of type: R.Type) -> (net: NetSpec, plan: SolverPlan) {
    let recipe = R()
    return (recipe.net.spec, recipe.solver)
}

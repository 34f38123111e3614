import ArgumentParser
import Foundation
import NetDSL
import Runtime

/// Caffe's `caffe time`: per-layer forward and backward milliseconds, then the summary lines.
/// `--step` times whole training steps (the recipe's solver update included) and `--json`
/// writes the measurements for scripts (Benchmarks/peers/compare.py reads them).
struct TimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "time",
        abstract: "Time a recipe's net layer by layer (Caffe's `caffe time`).")

    @OptionGroup var options: RecipeOptions

    @Option(name: .customLong("net"), help: ArgumentHelp(
        "Time a Caffe net prototxt as it stands instead of a recipe: a deploy net (its Input filled with generated values) or a train_val.",
        valueName: "NET.prototxt"))
    var netFile: String?

    @Option(help: "Phase to time: train (forward and backward) or test (forward only).")
    var phase: Phase = .train

    @Option(help: "Batch size (default: the recipe's).")
    var batch: Int?

    @Option(name: .customLong("repeat"), help: "Timed iterations (after one untimed warm-up).")
    var repetitions: Int = 10

    @Option(help: "Threads for the kernels and BLAS (default: all cores).")
    var threads: Int?

    @Flag(help: "Time whole training steps: each iteration also clears the gradients and applies the recipe's solver update, as training does (train phase only).")
    var step = false

    @Option(help: ArgumentHelp("Also write the measurements as JSON to this file.", valueName: "FILE"))
    var json: String?

    func run() throws {
        guard repetitions > 0 else { throw CLIError("--repeat must be at least 1") }
        guard !step || phase == .train else {
            throw CLIError("--step times training steps, which only the train phase has; leave out --phase test or --step")
        }
        let (name, resolvedNet, plan) = try load()
        try configureThreads(threads)
        var net = resolvedNet
        try DataPreparation.prepareMissing(for: net) { log($0, "prepare.swift:1") }
        if let batch { guard batch > 0 else { throw CLIError("--batch must be at least 1") } }
        let synthetic = try Self.replaceMissingData(in: &net, phase: phase, batch: batch)
            ?? Self.generatedInput(in: &net, phase: phase, batch: batch)
        if let synthetic { log(synthetic, "caffe.cpp:366") }
        if let batch, net.dataLayerIndex(in: phase) != nil, synthetic == nil {
            var scratch = plan
            try Overrides.apply("data.\(phase.rawValue).batch_size=\(batch)", net: &net, solver: &scratch)
        }

        let store = ParameterStore(seed: UInt64(max(plan.seed, 0)))
        let compile = try compileOptions()
        let graph = try Compiler.compile(net, for: phase, store: store, options: compile)
        if synthetic != nil { Self.fillGeneratedInputs(graph) }
        // Inference, as classify and test run it: weights converted for the kernels once. The
        // train phase converts them every pass, as training must after each solver step.
        graph.parametersFixed = phase == .test
        // The real solver, as the trainer uses it: clear the gradients, then step after backward.
        let solver = step ? try Solver(plan: plan, parameters: store.parameters) : nil
        let batchSize = graph.batchSize
        log("Timing \(name), \(phase) phase\(step ? " with solver updates (\(plan.type.rawValue))" : ""), batch \(batchSize), \(Parallel.threads) threads", "caffe.cpp:352")
        log("Threads: \(Parallel.poolDescription); convolutions: \(ConvolutionEngine.summary(compile))"
            + (graph.parametersFixed ? "; weights converted once (inference)" : ""), "experiments.swift:6")
        log("Performing Forward", "caffe.cpp:371")
        solver?.zeroGradients()
        try graph.forward()
        if phase == .train {
            log("Performing Backward", "caffe.cpp:376")
            graph.backward()
        }
        var iteration = 0
        if let solver {
            log("Performing Update", "experiments.swift:5")
            solver.step(iteration: iteration)
            iteration += 1
        }
        log("*** Benchmark begins ***", "caffe.cpp:404")
        log("Testing for \(repetitions) iterations.", "caffe.cpp:405")
        let n = graph.layers.count
        var forward = [[Double]](repeating: [], count: n)
        var backward = [[Double]](repeating: [], count: n)
        var totals: [Double] = []
        var forwardTotals: [Double] = []
        var backwardTotals: [Double] = []
        var updateTotals: [Double] = []
        var losses: [Float] = []
        let label = step ? "forward-backward-update" : (phase == .train ? "forward-backward" : "forward")
        for r in 0..<repetitions {
            let iterationStart = DispatchTime.now()
            var updateTime = 0.0
            if let solver {
                let t = DispatchTime.now()
                solver.zeroGradients()
                updateTime += ms(since: t)
            }
            let forwardStart = DispatchTime.now()
            try graph.forwardTimed { i, milliseconds in forward[i].append(milliseconds) }
            forwardTotals.append(ms(since: forwardStart))
            losses.append(graph.loss)
            if phase == .train {
                let backwardStart = DispatchTime.now()
                graph.backwardTimed { i, seconds in backward[i].append(seconds) }
                backwardTotals.append(ms(since: backwardStart))
            }
            if let solver {
                let t = DispatchTime.now()
                solver.step(iteration: iteration)
                iteration += 1
                updateTime += ms(since: t)
                updateTotals.append(updateTime)
            }
            totals.append(ms(since: iterationStart))
            log("Iteration: \(r + 1) \(label) time: \(String(format: "%.2f", totals.last ?? 0)) ms.", "caffe.cpp:433")
        }
        log("Average time per layer (median over \(repetitions) iterations): ", "caffe.cpp:436")
        var layerTimes: [TimeRecord.LayerTime] = []
        for i in 0..<n {
            let spec = graph.layers[i].spec
            let padded = String(repeating: " ", count: max(0, 10 - spec.name.count)) + spec.name
            log("\(padded)\tforward: \(String(format: "%.4f", median(forward[i]))) ms.", "caffe.cpp:439")
            if phase == .train {
                log("\(padded)\tbackward: \(String(format: "%.4f", median(backward[i]))) ms.", "caffe.cpp:442")
            }
            layerTimes.append(.init(name: spec.name, type: spec.kind.typeName,
                                    forwardMs: median(forward[i]),
                                    backwardMs: phase == .train ? median(backward[i]) : nil))
        }
        let fused = graph.fusedLayers
        if !fused.isEmpty {
            let list = fused.map { "\($0.name) in \($0.into)" }.joined(separator: ", ")
            log("Fused (forward time counted in the second layer): \(list)", "experiments.swift:8")
        }
        let folded = graph.foldedLayers
        if !folded.isEmpty {
            log("Folded into the convolution before them (weights fixed; forward time counted there): "
                + "\(folded.count) layers, \(folded.prefix(4).map { "\($0.name) in \($0.into)" }.joined(separator: ", "))"
                + (folded.count > 4 ? ", ..." : ""), "experiments.swift:8")
        }
        if let problem = graph.foldingProblem {
            log("BatchNorm and Scale run unfolded: \(problem)", "experiments.swift:8")
        }
        log("Average Forward pass: \(String(format: "%.4f", mean(forwardTotals))) ms.", "caffe.cpp:447")
        if phase == .train {
            log("Average Backward pass: \(String(format: "%.4f", mean(backwardTotals))) ms.", "caffe.cpp:449")
            if step {
                log("Average Update (clear gradients and solver step): \(String(format: "%.4f", mean(updateTotals))) ms.", "experiments.swift:6")
            }
            log("Average Forward-Backward\(step ? "-Update" : ""): \(String(format: "%.4f", mean(totals))) ms.", "caffe.cpp:451")
        }
        log("Total Time: \(String(format: "%.2f", totals.reduce(0, +))) ms.", "caffe.cpp:452")
        log("*** Benchmark ends ***", "caffe.cpp:453")
        if phase == .train, losses.contains(where: { !$0.isFinite }) {
            log("Warning: the loss was not finite in some timed iterations (\(losses.map { String($0) }.joined(separator: ", "))); these times are not those of a sound run", "experiments.swift:7")
        }
        let medianTotal = median(totals)
        let peak = peakMemoryBytes()
        log(String(format: "Median iteration: %.2f ms, %.2f ms per image, %.1f images/s; peak memory %.1f MiB",
                   medianTotal, medianTotal / Double(batchSize), Double(batchSize) * 1000 / medianTotal,
                   Double(peak) / 1_048_576), "experiments.swift:4")

        if let json {
            let record = TimeRecord(
                recipe: name, net: net.name, phase: phase.rawValue, step: step, batch: batchSize,
                threads: Parallel.threads, blasThreads: BLAS.threads, repetitions: repetitions,
                generatedInputs: synthetic != nil,
                iterationMs: totals, medianIterationMs: medianTotal,
                msPerImage: medianTotal / Double(batchSize), imagesPerSecond: Double(batchSize) * 1000 / medianTotal,
                medianForwardMs: median(forwardTotals),
                medianBackwardMs: phase == .train ? median(backwardTotals) : nil,
                medianUpdateMs: step ? median(updateTotals) : nil,
                losses: losses, lossesFinite: losses.allSatisfy(\.isFinite),
                layers: layerTimes, peakRssBytes: peak, blasCore: BLAS.coreName,
                environment: EnvironmentRecord.current(seed: plan.seed, compile: compile),
                command: CommandLine.arguments, date: ISO8601DateFormatter().string(from: Date()))
            try record.write(to: URL(fileURLWithPath: json))
        }
    }

    private func log(_ message: String, _ source: String) {
        StandardError.write(GlogFormat.lines(message, source: source))
    }

    /// Replaces the phase's Data layer with an Input layer of the same output shape when its
    /// database is missing, so nets whose data is not on disk (ImageNet) can still be timed.
    /// The recipe (or solver) with its overrides, or the `--net` prototxt with a plan of one
    /// iteration (used only by `--step`, at Caffe's base_lr 0.01).
    private func load() throws -> (String, NetSpec, SolverPlan) {
        guard let netFile else {
            let (name, net, plan, _) = try options.resolve()
            return (name, net, plan)
        }
        guard options.recipe == nil, options.solver == nil else {
            throw CLIError("give one of a recipe, --solver SOLVER.prototxt and --net NET.prototxt")
        }
        let imported = try CaffeImport.load(net: netFile)
        for note in imported.notes { StandardError.write("Note: \(note)\n") }
        var net = imported.net, plan = SolverPlan(baseLR: 0.01, iterations: 1)
        for assignment in options.settings {
            do { try Overrides.apply(assignment, net: &net, solver: &plan) } catch let error as OverrideError { throw CLIError(error.message) }
        }
        return (RecipeOptions.runName(net: net.name, solver: netFile), net, plan)
    }

    /// A net whose `phase` reads an Input layer (a deploy net): its first axis set to `batch`,
    /// and its values generated.
    static func generatedInput(in net: inout NetSpec, phase: Phase, batch: Int?) -> String? {
        guard net.dataLayerIndex(in: phase) == nil,
              let index = net.layers.firstIndex(where: { layer in
                  if case .input = layer.kind { return layer.phase == nil || layer.phase == phase }
                  return false
              }),
              case .input(var p) = net.layers[index].kind else { return nil }
        if let batch { p.shapes = p.shapes.map { $0.isEmpty ? $0 : [batch] + $0.dropFirst() } }
        net.layers[index].kind = .input(p)
        let shape = p.shapes.first ?? []
        return "timing on generated inputs of shape \(shape.map(String.init).joined(separator: "x")) in the Input layer '\(net.layers[index].name)'"
    }

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
        return "\(p.source) is not on disk: timing on generated inputs of shape \(shape.map(String.init).joined(separator: "x")) (pixels uniform in [-128, 128) like mean-subtracted images, labels all 0)"
    }

    /// Fills the generated input blob with mean-subtracted-looking pixels: all-zero inputs
    /// would make every activation a constant and time a net that no real data drives.
    static func fillGeneratedInputs(_ graph: Graph) {
        guard let data = graph.input else { return }
        var random = RandomGenerator(seed: 20_261_126)
        let p = data.data
        for i in 0..<data.count { p[i] = random.uniform(-128, 128) }
    }
}

/// What `experiments time --json FILE` writes (snake_case keys).
struct TimeRecord: Codable {
    var recipe: String
    var net: String
    var phase: String
    /// True when each iteration included the solver update (`--step`).
    var step: Bool
    var batch: Int
    var threads: Int
    var blasThreads: Int
    var repetitions: Int
    /// True when the data was missing and the inputs were generated.
    var generatedInputs: Bool
    /// Every timed iteration, in order.
    var iterationMs: [Double]
    var medianIterationMs: Double
    var msPerImage: Double
    var imagesPerSecond: Double
    var medianForwardMs: Double
    var medianBackwardMs: Double?
    /// Clearing the gradients plus the solver step, when `--step`.
    var medianUpdateMs: Double?
    /// The weighted loss after each timed forward pass.
    var losses: [Float]
    var lossesFinite: Bool
    var layers: [LayerTime]
    /// The process's peak resident memory (ru_maxrss).
    var peakRssBytes: Int
    var blasCore: String
    var environment: EnvironmentRecord
    var command: [String]
    var date: String

    struct LayerTime: Codable {
        var name: String
        var type: String
        var forwardMs: Double
        var backwardMs: Double?
    }

    func write(to url: URL) throws {
        let encoder = SpecJSON.encoder()
        // A diverged loss must still be written, so scripts can see it.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            try encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw CLIError("cannot write the timings to \(url.path): \(UserMessage.describe(error))")
        }
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

import Foundation
import NetDSL

/// Caffe's Solver::Solve: forward/backward, update, display, periodic tests and snapshots.
public final class Trainer {
    public let spec: NetSpec
    public let plan: SolverPlan
    public let store: ParameterStore
    public let trainGraph: Graph
    /// Nil when the net has no TEST phase data (testing is then skipped).
    public let testGraph: Graph?
    public let solver: Solver
    public let seed: UInt64
    /// The recipe's command-line name, recorded in snapshots to catch a resume with another.
    public var recipeName: String
    public internal(set) var iteration = 0
    weak var observer: TrainingObserver?
    /// Checked between iterations; returning true ends the run after a snapshot.
    public var shouldStop: () -> Bool = { false }
    /// Checked after every iteration; returning true writes a snapshot and carries on (SIGHUP).
    public var snapshotRequested: () -> Bool = { false }
    /// Writes a snapshot of the weights at an iteration; returns the file written.
    public var snapshotter: ((Trainer) throws -> URL)?
    /// The processes training this run with this one (nil: it trains alone).
    public let replicas: ReplicaGroup?
    let exchange: GradientExchange?
    /// The other replicas' generator states, as gathered for the last snapshot or restored.
    var replicaRandom: [[String: RandomGenerator]]?

    var smoothed: [Float] = []
    /// Skipped records already reported (each is reported once, not on every pass).
    private var reportedSkips: Set<String> = []
    private var best: [String: TrainingSummary.BestValue] = [:]
    private var lastTest: [String: Double] = [:]

    /// `options` choose what the compiler builds for both nets (engine, precision). With
    /// `replicas`, this process trains as one of a group: it reads its share of each batch,
    /// the group averages the gradients, and replica 0's weights and solver state are every
    /// replica's at the start of `run`.
    public init(spec: NetSpec, plan: SolverPlan, seed: UInt64, recipeName: String = "",
                options: CompileOptions = CompileOptions(), replicas: ReplicaGroup? = nil,
                observer: TrainingObserver?) throws {
        self.spec = spec
        self.replicas = replicas
        self.plan = plan
        self.seed = seed
        self.recipeName = recipeName.isEmpty ? spec.name.lowercased() : recipeName
        self.observer = observer
        try LearningRate.validate(plan)
        store = ParameterStore(seed: seed)
        // Replica 0 draws what one process would; the others draw their own dropout masks and
        // crops, as they see other images (the weights' fillers are replica 0's for all).
        let salt = (replicas.map { UInt64($0.rank) } ?? 0) &* 0x9E37_79B9_7F4A_7C15
        // Both nets are built before anything is logged, so that a recipe or data error is the
        // last thing a user sees rather than a line after the solver's settings.
        trainGraph = try Compiler.compile(spec, for: .train, store: store, seed: (seed &+ 1) ^ salt, options: options)
        let tests = plan.testIterations > 0 && spec.layers(in: .test).contains(where: { $0.kind.isSource })
        if tests {
            testGraph = try Compiler.compile(spec, for: .test, store: store, seed: (seed &+ 2) ^ salt, options: options)
            // Solver steps happen between test passes, never during one (`test()` says so).
            testGraph?.parametersFixed = true
        } else {
            testGraph = nil
        }
        solver = try Solver(plan: plan, parameters: store.parameters)
        if let replicas {
            for case let data as DataLayer in trainGraph.layers {
                data.follow(.interleaved(rank: replicas.rank, replicas: replicas.size))
            }
            for case let data as DataLayer in testGraph?.layers ?? [] {
                data.follow(.dealt(rank: replicas.rank, replicas: replicas.size, perPass: plan.testIterations))
            }
            exchange = GradientExchange(group: replicas, graph: trainGraph, store: store)
        } else {
            exchange = nil
        }
        observer?.log("Initializing solver from parameters:\n\(plan.caffeText)", source: "solver.cpp:45")
        observer?.log("Creating training net from recipe \(spec.name)", source: "solver.cpp:102")
        if tests {
            observer?.log("Creating test net (#0) specified by recipe \(spec.name)", source: "solver.cpp:190")
        }
        observer?.log("Solver scaffolding done.", source: "solver.cpp:57")
    }

    /// Images in one training batch (the first dimension of the TRAIN net's input).
    public var trainBatchSize: Int { trainGraph.batchSize }

    /// Images in one update across the replicas (`trainBatchSize` times their number).
    public var globalBatchSize: Int { trainBatchSize * (replicas?.size ?? 1) }

    /// Trains from the current iteration to the plan's last, testing and snapshotting on the
    /// way, and always testing and snapshotting at the end.
    public func run() throws -> TrainingSummary {
        // Before anything counts from the iteration: a resume reaches the replicas here.
        try synchronizeReplicas()
        observer?.log("Solving \(spec.name)", source: "solver.cpp:289")
        observer?.log("Learning Rate Policy: \(plan.lrPolicy.rawValue)", source: "solver.cpp:290")
        if let warmup = plan.warmup, warmup.iterations > 0 {
            observer?.log(String(format: "Learning rate warm-up: from %g x to 1 x the policy's rate, linearly over the first %d iterations",
                                 warmup.start, warmup.iterations), source: "solver.cpp:290")
        }
        let start = Date()
        let startIteration = iteration
        var weights: URL?
        var lastLoss: Float?
        var firstLoss: Float?
        var lastTested = -1
        var windowStart = Date()
        var windowIteration = iteration
        // Replicas stop and snapshot together, when any of them was asked to.
        var agreedStop = false
        var agreedSnapshot = false

        while iteration < plan.iterations {
            if plan.testEvery > 0, iteration % plan.testEvery == 0, iteration > 0 || plan.testAtStart {
                try test()
                lastTested = iteration
            }
            if replicas == nil ? shouldStop() : agreedStop { break }

            solver.zeroGradients()
            var loss: Float = 0
            for pass in 0..<plan.iterSize {
                loss += try trainGraph.forward()
                reportSkippedRecords(in: trainGraph)
                if let exchange, pass == plan.iterSize - 1 {
                    trainGraph.backward(afterLayer: exchange.layerDone)
                } else {
                    trainGraph.backward()
                }
            }
            loss /= Float(plan.iterSize)
            if let exchange, let replicas {
                try exchange.finish()
                let agreed = try replicas.sum([Double(loss), shouldStop() ? 1 : 0, snapshotRequested() ? 1 : 0])
                loss = Float(agreed[0] / Double(replicas.size))
                agreedStop = agreed[1] > 0
                agreedSnapshot = agreed[2] > 0
            }
            guard loss.isFinite else { throw TrainingError.nonFinite(iteration: iteration, detail: firstNonFinite()) }
            let average = smooth(loss)
            lastLoss = average
            if firstLoss == nil { firstLoss = loss }

            if plan.display > 0, iteration % plan.display == 0 {
                let now = Date()
                let elapsed = now.timeIntervalSince(windowStart)
                let done = iteration - windowIteration
                let rate = done > 0 && elapsed > 0 ? Double(done) / elapsed : 0
                let perK = rate > 0 ? Double(plan.display) / rate : 0
                observer?.log(String(format: "Iteration %d (%g iter/s, %.3fs/%d iters), loss = %g",
                                     iteration, rate, perK, plan.display, average), source: "solver.cpp:218")
                observer?.metric(iteration: iteration, phase: .train, name: "loss", value: Double(average))
                let shown = try replicaAverages(trainGraph.outputs.map { out in (0..<out.tensor.count).map { out.tensor.data[$0] } })
                for (k, out) in trainGraph.outputs.enumerated() {
                    for (j, v) in shown[k].enumerated() {
                        let lossText = out.lossWeight != 0 ? String(format: " (* %g = %g loss)", out.lossWeight, out.lossWeight * v) : ""
                        observer?.log("    Train net output #\(k + j): \(out.name) = \(format(v))\(lossText)", source: "solver.cpp:237")
                    }
                }
                windowStart = now
                windowIteration = iteration
            }
            let rate = solver.learningRate(at: iteration)
            if plan.display > 0, iteration % plan.display == 0 {
                observer?.log("Iteration \(iteration), lr = \(format(rate))", source: "sgd_solver.cpp:138")
                observer?.metric(iteration: iteration, phase: .train, name: "lr", value: Double(rate))
            }
            solver.step(iteration: iteration)
            iteration += 1

            let elapsed = Date().timeIntervalSince(start)
            let images = Double((iteration - startIteration) * globalBatchSize * plan.iterSize)
            observer?.progress(iteration: iteration, of: plan.iterations, loss: average,
                               imagesPerSecond: elapsed > 0 ? images / elapsed : 0)

            if plan.snapshotEvery > 0, iteration % plan.snapshotEvery == 0, iteration < plan.iterations {
                weights = try snapshot()
            } else if replicas == nil ? snapshotRequested() : agreedSnapshot, iteration < plan.iterations {
                weights = try snapshot()
            }
        }

        // Caffe's run ends with a snapshot and a test pass; ours does whatever the intervals.
        weights = try snapshot() ?? weights
        if lastTested != iteration, testGraph != nil { try test() }
        let seconds = Date().timeIntervalSince(start)
        if (replicas == nil ? shouldStop() : agreedStop) && iteration < plan.iterations {
            observer?.log("Optimization stopped early at iteration \(iteration).", source: "solver.cpp:327")
        } else {
            observer?.log("Optimization Done.", source: "caffe.cpp:259")
        }
        let images = Double((iteration - startIteration) * globalBatchSize * plan.iterSize)
        var summary = TrainingSummary(iterations: iteration, seconds: seconds,
                                      imagesPerSecond: seconds > 0 ? images / seconds : 0,
                                      finalLoss: lastLoss, firstLoss: firstLoss, finalTest: lastTest, bestTest: best,
                                      weights: weights?.path)
        if let exchange, let replicas {
            summary.communication = exchange.report(replicas: replicas.size, iterations: iteration - startIteration)
            if let c = summary.communication {
                observer?.log(String(format: "Gradient allreduce over %d replicas: %.2f ms per iteration, %.0f%% of it hidden behind the backward pass",
                                     c.replicas, c.sumMillisecondsPerIteration, c.hiddenFraction * 100), source: "parallel.cpp:1")
            }
        }
        return summary
    }

    /// Caffe's Solver::Test: `testIterations` batches through the TEST graph, each output averaged.
    @discardableResult
    public func test() throws -> [String: Double] {
        guard let testGraph else { return [:] }
        try averageStatistics()
        // The weights changed since the last pass (solver steps, a snapshot restored).
        testGraph.parametersChanged()
        observer?.log("Iteration \(iteration), Testing net (#0)", source: "solver.cpp:347")
        var sums: [[Double]] = testGraph.outputs.map { Array(repeating: 0, count: $0.tensor.count) }
        // Replicas split the pass's batches between them and add up their scores.
        let batches = replicas.map { BatchSchedule.share(rank: $0.rank, replicas: $0.size, perPass: plan.testIterations) }
            ?? plan.testIterations
        for _ in 0..<batches {
            try testGraph.forward()
            reportSkippedRecords(in: testGraph)
            for (k, out) in testGraph.outputs.enumerated() {
                for j in 0..<out.tensor.count { sums[k][j] += Double(out.tensor.data[j]) }
            }
        }
        sums = try replicaSums(sums)
        var results: [String: Double] = [:]
        var index = 0
        for (k, out) in testGraph.outputs.enumerated() {
            for j in 0..<out.tensor.count {
                let mean = sums[k][j] / Double(max(plan.testIterations, 1))
                let lossText = out.lossWeight != 0
                    ? String(format: " (* %g = %g loss)", out.lossWeight, Double(out.lossWeight) * mean) : ""
                observer?.log("    Test net output #\(index): \(out.name) = \(format(Float(mean)))\(lossText)", source: "solver.cpp:414")
                let name = out.tensor.count > 1 ? "\(out.name)[\(j)]" : out.name
                results[name] = mean
                observer?.metric(iteration: iteration, phase: .test, name: name, value: mean)
                let better: Bool
                if let b = best[name] {
                    better = out.lossWeight != 0 || name.contains("loss") ? mean < b.value : mean > b.value
                } else {
                    better = true
                }
                if better { best[name] = .init(value: mean, iteration: iteration) }
                index += 1
            }
        }
        lastTest = results
        return results
    }

    /// Everything beyond weights and solver history that the next iteration depends on.
    public func captureState() -> ResumeState {
        var batches: [String: Int] = [:]
        var random: [String: RandomGenerator] = [:]
        for graph in [trainGraph, testGraph].compactMap({ $0 }) {
            for layer in graph.layers {
                let key = "\(graph.phase.rawValue)/\(layer.spec.name)"
                if let data = layer as? DataLayer { batches[key] = data.batchesServed }
                if let drawing = layer as? DrawsRandomNumbers { random[key] = drawing.random }
            }
        }
        return ResumeState(recipe: recipeName, net: spec.name, seed: seed, dataBatches: batches,
                           random: random, parameters: store.parameters.map(\.key),
                           recentLosses: smoothed, replicas: replicas?.size, replicaRandom: replicaRandom)
    }

    /// Puts the run back where a snapshot left it: iteration, solver history, weights (already
    /// loaded by the caller), data positions and random states.
    public func restore(iteration: Int, history: [CaffeBlob], state: ResumeState) throws {
        guard state.recipe == recipeName, state.net == spec.name else {
            throw TrainingError.wrongSnapshot("it was written by recipe '\(state.recipe)' (net \(state.net)), not '\(recipeName)' (net \(spec.name))")
        }
        guard state.parameters == store.parameters.map(\.key) else {
            throw TrainingError.wrongSnapshot("its parameters (\(state.parameters.count)) are not this net's (\(store.parameters.count)); the recipe changed since the snapshot")
        }
        guard iteration <= plan.iterations else {
            throw TrainingError.wrongSnapshot("it is at iteration \(iteration), past this run's last (\(plan.iterations)); raise --iterations")
        }
        // A Crema snapshot records where each replica was in its share of the data; one
        // without data positions (Caffe's) starts every replica's share afresh.
        if let written = state.replicas ?? (state.dataBatches.isEmpty ? nil : 1), written != replicas?.size ?? 1 {
            let now = replicas?.size ?? 1
            throw TrainingError.wrongSnapshot("it was written by \(written == 1 ? "one process" : "\(written) processes training together") and this run has \(now == 1 ? "one" : "\(now)"); each process read its own share of the data, so resume it with \(written == 1 ? "one process (without mpirun)" : "mpirun -np \(written)")")
        }
        replicaRandom = state.replicaRandom
        try solver.restoreHistory(history)
        for graph in [trainGraph, testGraph].compactMap({ $0 }) {
            for layer in graph.layers {
                let key = "\(graph.phase.rawValue)/\(layer.spec.name)"
                if let data = layer as? DataLayer, let n = state.dataBatches[key] { data.seek(toBatch: n) }
                if let drawing = layer as? DrawsRandomNumbers, let r = state.random[key] { drawing.random = r }
            }
        }
        smoothed = state.recentLosses
        self.iteration = iteration
    }

    private func snapshot() throws -> URL? {
        try averageStatistics()
        try gatherReplicaRandom()
        guard let snapshotter, replicas?.rank ?? 0 == 0 else { return nil }
        let url = try snapshotter(self)
        observer?.log("Snapshotting to binary proto file \(url.path)", source: "sgd_solver.cpp:284")
        return url
    }

    /// Logs the records the graph's Data layers skipped (`on_error: skip`), each once.
    private func reportSkippedRecords(in graph: Graph) {
        for case let data as DataLayer in graph.layers {
            for record in data.takeSkippedRecords() where reportedSkips.insert(record.description).inserted {
                observer?.log("Skipped \(record) (\(graph.phase.rawValue) data on_error=skip; reported once, skipped on every pass)",
                              source: "data_layer.cpp:1")
            }
        }
    }

    private func smooth(_ loss: Float) -> Float {
        let window = max(plan.averageLoss, 1)
        smoothed.append(loss)
        if smoothed.count > window { smoothed.removeFirst(smoothed.count - window) }
        return smoothed.reduce(0, +) / Float(smoothed.count)
    }

    /// The first layer whose output holds a NaN or infinity, for the error message.
    private func firstNonFinite() -> String {
        for (i, layer) in trainGraph.layers.enumerated() {
            for t in trainGraph.io(ofLayer: i).tops {
                for j in 0..<t.count where !t.data[j].isFinite {
                    return "first non-finite output: \(layer.spec.label), blob \(t) at index \(j)"
                }
            }
        }
        return "the loss is non-finite but every layer output is finite"
    }

    private func format(_ v: Float) -> String { String(format: "%g", v) }
}

/// Why training could not go on.
public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(iteration: Int, detail: String)
    case wrongSnapshot(String)

    public var description: String {
        switch self {
        case .nonFinite(let iteration, let detail):
            "the loss became NaN or infinite at iteration \(iteration) (\(detail)); lower solver.base_lr or check the data"
        case .wrongSnapshot(let why):
            "cannot resume from this snapshot: \(why)"
        }
    }
}

import Foundation

/// What replica 0 sends the others at the start of `run`, beside the weights and history.
private struct ReplicaStart: Codable {
    var iteration: Int
    var state: ResumeState
}

/// A net's parameters as the replicas compare them before exchanging any.
private struct ReplicaNet: Codable, Equatable {
    var keys: [String]
    var shapes: [[Int]]
    var history: [[Int]]
}

extension Trainer {
    /// Gives every replica replica 0's weights, solver history, iteration, data positions and
    /// displayed losses (a resume happens on replica 0), and each its own generator states.
    func synchronizeReplicas() throws {
        guard let replicas else { return }
        // First, that every replica built the same net: otherwise the exchanges below would pair
        // up blobs of different sizes.
        let net = ReplicaNet(keys: store.parameters.map(\.key), shapes: store.parameters.map(\.tensor.shape),
                             history: solver.history.map(\.shape))
        let lead = try replicas.broadcast([UInt8](try JSONEncoder().encode(net)))
        let same = (try? JSONDecoder().decode(ReplicaNet.self, from: Data(lead))) == net
        let differing = try replicas.sum([same ? 0 : 1])[0]
        guard differing == 0 else {
            throw ReplicaError(replicas.rank == 0
                ? "\(Int(differing)) of the other replicas built a net with other parameters than this one's (\(net.keys.count) blobs); start every replica with the same recipe, settings and build"
                : "replica \(replicas.rank) built a net with other parameters than replica 0's; start every replica with the same recipe, settings and build")
        }
        for parameter in store.parameters {
            try replicas.broadcast(parameter.tensor.data, count: parameter.tensor.count)
        }
        for blob in solver.history {
            try replicas.broadcast(blob.data, count: blob.count)
        }
        let mine = replicas.rank == 0 ? try JSONEncoder().encode(ReplicaStart(iteration: iteration, state: captureState())) : Data()
        let bytes = try replicas.broadcast([UInt8](mine))
        trainGraph.parametersChanged()
        guard replicas.rank != 0 else { return }
        let start: ReplicaStart
        do {
            start = try JSONDecoder().decode(ReplicaStart.self, from: Data(bytes))
        } catch {
            throw ReplicaError("replica \(replicas.rank) could not read the start replica 0 sent (\(error)); are all replicas the same build of Crema?")
        }
        let state = start.state
        for graph in [trainGraph, testGraph].compactMap({ $0 }) {
            for layer in graph.layers {
                let key = "\(graph.phase.rawValue)/\(layer.spec.name)"
                if let data = layer as? DataLayer, let first = state.dataBatches[key] {
                    let n = data.schedule.batchesServed(matching: first)
                    if n != data.batchesServed { data.seek(toBatch: n) }
                }
                if let drawing = layer as? DrawsRandomNumbers, let saved = state.replicaRandom,
                   replicas.rank - 1 < saved.count, let r = saved[replicas.rank - 1][key] {
                    drawing.random = r
                }
            }
        }
        replicaRandom = state.replicaRandom
        smoothed = state.recentLosses
        iteration = start.iteration
    }

    /// The values summed over the replicas (as they are, training alone).
    func replicaSums(_ values: [[Double]]) throws -> [[Double]] {
        guard let replicas else { return values }
        var flat = try replicas.sum(values.flatMap { $0 })[...]
        return values.map { row in
            defer { flat = flat.dropFirst(row.count) }
            return Array(flat.prefix(row.count))
        }
    }

    /// The values averaged over the replicas (as they are, training alone).
    func replicaAverages(_ values: [[Float]]) throws -> [[Float]] {
        guard let replicas else { return values }
        let size = Double(replicas.size)
        return try replicaSums(values.map { $0.map(Double.init) }).map { $0.map { Float($0 / size) } }
    }

    /// Averages the statistics layers keep (BatchNorm's means and variances) over the replicas,
    /// as Intel Caffe's multinode mode does before testing and snapshotting, so that a test or a
    /// snapshot does not depend on which replica ran it.
    func averageStatistics() throws {
        guard let replicas else { return }
        try Self.averageStatistics(in: store, across: replicas)
    }

    static func averageStatistics(in store: ParameterStore, across replicas: ReplicaGroup) throws {
        let statistics = store.parameters.filter { !$0.learned }
        guard !statistics.isEmpty else { return }
        replicas.startSum(statistics.map { ($0.tensor.data, $0.tensor.count) }, scale: 1 / Float(replicas.size))
        try replicas.finishSums()
        _ = replicas.takeSumSeconds()
    }

    /// Brings the other replicas' generator states to replica 0 for the snapshot.
    func gatherReplicaRandom() throws {
        guard let replicas else { return }
        let mine = try JSONEncoder().encode(captureState().random)
        let all = try replicas.gather([UInt8](mine))
        guard replicas.rank == 0 else { return }
        var others: [[String: RandomGenerator]] = []
        for (rank, bytes) in all.enumerated().dropFirst() {
            do {
                others.append(try JSONDecoder().decode([String: RandomGenerator].self, from: Data(bytes)))
            } catch {
                throw ReplicaError("replica 0 could not read replica \(rank)'s generator states (\(error)); are all replicas the same build of Crema?")
            }
        }
        replicaRandom = others
    }
}

/// How much the replicas talked, and how much of it the backward pass hid.
public struct CommunicationSummary: Codable, Sendable, Equatable {
    public var replicas: Int
    /// Milliseconds per iteration spent summing gradients.
    public var sumMillisecondsPerIteration: Double
    /// Milliseconds per iteration the trainer waited for the sums after its backward pass.
    public var waitMillisecondsPerIteration: Double
    /// The share of the summing done while the backward pass ran (1: all of it).
    public var hiddenFraction: Double
}

extension GradientExchange {
    func report(replicas: Int, iterations: Int) -> CommunicationSummary? {
        guard iterations > 0 else { return nil }
        let n = Double(iterations)
        let hidden = summedSeconds > 0 ? max(0, min(1, 1 - waitedSeconds / summedSeconds)) : 1
        return CommunicationSummary(replicas: replicas, sumMillisecondsPerIteration: summedSeconds / n * 1000,
                                    waitMillisecondsPerIteration: waitedSeconds / n * 1000, hiddenFraction: hidden)
    }
}

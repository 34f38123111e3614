import Foundation
import Testing
@testable import NetDSL
@testable import Runtime

/// Replicas in one process, one thread each, exchanging through memory: the trainer's side of
/// data-parallel training without MPI.
final class LoopbackHub: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var slots: [[UInt8]?]
    private var arrived = 0
    private var round = 0
    private var result: [[UInt8]] = []

    init(size: Int) {
        self.size = size
        slots = Array(repeating: nil, count: size)
    }

    /// Every replica's bytes, once all have given theirs.
    func exchange(rank: Int, _ bytes: [UInt8]) -> [[UInt8]] {
        condition.lock()
        defer { condition.unlock() }
        let mine = round
        slots[rank] = bytes
        arrived += 1
        if arrived == size {
            result = slots.map { $0 ?? [] }
            slots = Array(repeating: nil, count: size)
            arrived = 0
            round += 1
            condition.broadcast()
        } else {
            while round == mine { condition.wait() }
        }
        return result
    }
}

final class LoopbackReplica: ReplicaGroup, @unchecked Sendable {
    let rank: Int
    let hub: LoopbackHub
    var size: Int { hub.size }
    /// Sums started, and how many of them before `finishSums` was first called.
    private(set) var sumsStarted = 0

    init(rank: Int, hub: LoopbackHub) {
        self.rank = rank
        self.hub = hub
    }

    private static func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
    private static func values<T>(_ bytes: [UInt8], as: T.Type) -> [T] {
        bytes.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
    }

    func startSum(_ segments: [(pointer: UnsafeMutablePointer<Float>, count: Int)], scale: Float) {
        sumsStarted += 1
        let mine = segments.flatMap { Array(UnsafeBufferPointer(start: $0.pointer, count: $0.count)) }
        let all = hub.exchange(rank: rank, Self.bytes(mine)).map { Self.values($0, as: Float.self) }
        var offset = 0
        for segment in segments {
            for i in 0..<segment.count {
                segment.pointer[i] = all.reduce(0) { $0 + $1[offset + i] } * scale
            }
            offset += segment.count
        }
    }

    func finishSums() throws {}
    func takeSumSeconds() -> Double { 0 }

    func sum(_ values: [Double]) throws -> [Double] {
        let all = hub.exchange(rank: rank, Self.bytes(values)).map { Self.values($0, as: Double.self) }
        return values.indices.map { i in all.reduce(0) { $0 + $1[i] } }
    }

    func broadcast(_ pointer: UnsafeMutablePointer<Float>, count: Int) throws {
        let first = Self.values(hub.exchange(rank: rank, Self.bytes(Array(UnsafeBufferPointer(start: pointer, count: count))))[0], as: Float.self)
        pointer.update(from: first, count: count)
    }

    func broadcast(_ bytes: [UInt8]) throws -> [UInt8] { hub.exchange(rank: rank, bytes)[0] }
    func gather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        let all = hub.exchange(rank: rank, bytes)
        return rank == 0 ? all : []
    }
}

@Suite struct ReplicaGroupTests {
    static func net() -> NetSpec {
        Net("replicas") {
            Input("data", shape: [2, 3, 6, 6])
            Convolution("conv1", outputs: 4, kernel: 3).weights(.gaussian(std: 0.3))
            BatchNorm("bn1")
            Scale("sc1", bias: true)
            InnerProduct("ip", outputs: 5).weights(.gaussian(std: 0.3))
        }.spec
    }

    /// Runs `body(rank)` on one thread per replica and waits for all.
    static func together(_ size: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        let failures = NSLock()
        nonisolated(unsafe) var errors: [Error] = []
        DispatchQueue.concurrentPerform(iterations: size) { rank in
            do { try body(rank) } catch { failures.withLock { errors.append(error) } }
        }
        if let error = errors.first { throw error }
    }

    /// Each replica's gradients become the replicas' average, bucket by bucket as the layers
    /// finish; BatchNorm's statistics get no gradient sum.
    @Test func gradientsAreAveragedInBucketsAsLayersFinish() throws {
        let hub = LoopbackHub(size: 2)
        let stores = [ParameterStore(seed: 1), ParameterStore(seed: 1)]
        let graphs = try stores.map { try Compiler.compile(Self.net(), for: .train, store: $0) }
        let replicas = (0..<2).map { LoopbackReplica(rank: $0, hub: hub) }
        for (rank, store) in stores.enumerated() {
            for (k, p) in store.parameters.enumerated() {
                for i in 0..<p.tensor.count { p.tensor.diff[i] = Float(rank + 1) * Float(k * 100 + i) }
            }
        }
        let learned = stores[0].parameters.filter(\.learned).count
        #expect(learned == 6, "conv1 (2), sc1 (2), ip (2)")
        // Both replicas' threads write it (ThreadSanitizer found them racing on the array).
        let startedLock = NSLock()
        nonisolated(unsafe) var startedBeforeFinish = [0, 0]
        try Self.together(2) { rank in
            // Buckets of 20 floats: several sums start before the last layer is done.
            let exchange = GradientExchange(group: replicas[rank], graph: graphs[rank], store: stores[rank], bucketFloats: 20)
            for i in graphs[rank].layers.indices.reversed() { exchange.layerDone(i) }
            let started = replicas[rank].sumsStarted
            startedLock.withLock { startedBeforeFinish[rank] = started }
            try exchange.finish()
        }
        #expect(startedBeforeFinish[0] >= 2, "sums started during backward: \(startedBeforeFinish)")
        for store in stores {
            for (k, p) in store.parameters.enumerated() where p.learned {
                for i in 0..<p.tensor.count {
                    #expect(p.tensor.diff[i] == 1.5 * Float(k * 100 + i), "\(p.key)[\(i)]")
                }
            }
        }
    }

    /// BatchNorm's statistics are averaged before tests and snapshots; learned values stay.
    @Test func statisticsAreAveragedAndWeightsLeftAlone() throws {
        let hub = LoopbackHub(size: 2)
        let stores = [ParameterStore(seed: 1), ParameterStore(seed: 1)]
        _ = try stores.map { try Compiler.compile(Self.net(), for: .train, store: $0) }
        for (rank, store) in stores.enumerated() {
            for p in store.parameters {
                for i in 0..<p.tensor.count { p.tensor.data[i] = p.learned ? Float(i) : Float(rank * 10 + i) }
            }
        }
        try Self.together(2) { rank in
            try Trainer.averageStatistics(in: stores[rank], across: LoopbackReplica(rank: rank, hub: hub))
        }
        for store in stores {
            let statistics = store.parameters.filter { !$0.learned }
            #expect(statistics.count == 3, "BatchNorm's mean, variance and factor")
            for p in store.parameters {
                for i in 0..<p.tensor.count {
                    #expect(p.tensor.data[i] == (p.learned ? Float(i) : Float(5 + i)), "\(p.key)[\(i)]")
                }
            }
        }
    }
}

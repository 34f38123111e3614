import ArgumentParser
import Foundation
import MPIReplicas
import Runtime

/// The gradient allreduce as training runs it (buckets summed on the MPI thread), timed under
/// `mpirun` on the user's own machines: the bandwidth to put into `scaling-model`.
struct AllreduceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Under mpirun: time averaging a gradient of N floats across the ranks, in training's buckets; prints bus bandwidth.",
        discussion: "mpirun -np K --hostfile HOSTS .build/release/benchmarks allreduce --parameters 61M (CaffeNet's gradient)")

    @Option(help: "Floats in the gradient (suffixes K and M; CaffeNet: 61M, LeNet: 431K).") var parameters = "61M"
    @Option(help: "Floats per bucket (training's: 1M).") var bucket = "1M"
    @Option(help: "Timed rounds (after one untimed).") var rounds = 10

    func run() throws {
        guard let launch = MPILaunch.reading(environment: ProcessInfo.processInfo.environment), launch.size > 1 else {
            throw ValidationError("run it under mpirun with two or more processes: mpirun -np 2 .build/release/benchmarks allreduce")
        }
        let count = try Self.count(parameters), perBucket = try Self.count(bucket)
        guard rounds > 0 else { throw ValidationError("--rounds must be at least 1") }
        let group = try MPIReplicaGroup(library: launch.library)
        do {
            try measure(group, count: count, perBucket: perBucket)
        } catch {
            // The other ranks would wait for this one for ever.
            FileHandle.standardError.write(Data("Error: rank \(group.rank): \(error)\n".utf8))
            group.abort(code: 1)
        }
        try group.finish()
    }

    private func measure(_ group: MPIReplicaGroup, count: Int, perBucket: Int) throws {
        let gradient = Tensor(shape: [count])
        for i in 0..<count { gradient.diff[i] = Float(i % 7) }
        var times: [Double] = []
        for round in 0...rounds {
            _ = try group.sum([0])
            let took = try seconds {
                var offset = 0
                while offset < count {
                    let n = min(perBucket, count - offset)
                    group.startSum([(gradient.diff + offset, n)], scale: 1 / Float(group.size))
                    offset += n
                }
                try group.finishSums()
            }
            if round > 0 { times.append(took) }
        }
        // Each round starts together (the sum before it) and ends when the last bucket is summed
        // everywhere, so rank 0's times are the job's.
        let median = median(times)
        let bytes = Double(count) * 4
        let k = Double(group.size)
        if group.rank == 0 {
            print(String(format: "allreduce of %d floats (%.1f MB) in buckets of %d over %d ranks on %d host(s): median %.2f ms over %d rounds",
                         count, bytes / 1e6, perBucket, group.size, Set(group.hosts).count, median * 1000, rounds))
            let bus = 2 * (k - 1) / k * bytes / median
            print(String(format: "algorithm bandwidth %.2f GB/s; bus bandwidth (2(K-1)/K x bytes / time) %.2f GB/s = %.1f Gb/s, for `benchmarks scaling-model --bandwidth %.1f`",
                         bytes / median / 1e9, bus / 1e9, bus * 8 / 1e9, bus * 8 / 1e9))
        }
    }

    static func count(_ text: String) throws -> Int {
        let upper = text.uppercased()
        let scale = upper.hasSuffix("M") ? 1_000_000 : upper.hasSuffix("K") ? 1_000 : 1
        guard let n = Double(upper.trimmingCharacters(in: CharacterSet(charactersIn: "MK"))), n > 0, n * Double(scale) < 1e10 else {
            throw ValidationError("'\(text)' is not a positive count (e.g. 61M, 431K, 1000)")
        }
        return Int(n * Double(scale))
    }
}

/// What data-parallel training would do on a cluster: from one node's measured compute time
/// per batch and the gradient's size, the ring-allreduce cost model.
struct ScalingModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling-model",
        abstract: "Predict images/s and efficiency on K nodes from the measured step time and the ring-allreduce cost 2(K-1)/K x bytes / bandwidth.",
        discussion: """
            An iteration takes the step time, plus whatever part of the allreduce the backward pass
            does not hide: the sum of the first bucket can start once the last layer's backward is
            done, so up to the backward time is hidden. The allreduce costs 2(K-1)/K x bytes /
            bandwidth plus, per bucket, 2(K-1) message latencies.
            """)

    @Option(help: "Milliseconds of one training step on one node at --batch (experiments time RECIPE --step).") var stepMs: Double
    @Option(help: "Milliseconds of that step's backward pass (the time that can hide communication).") var backwardMs: Double
    @Option(help: "Images per node per iteration.") var batch = 256
    @Option(help: "Floats in the gradient (CaffeNet: 61M).") var parameters = "61M"
    @Option(help: "Floats per bucket.") var bucket = "1M"
    @Option(help: "Link speeds in Gb/s, comma-separated.") var bandwidth = "10,100"
    @Option(help: "Latency of one message in microseconds.") var latencyUs = 50.0
    @Option(help: "Node counts, comma-separated.") var nodes = "1,2,8,32,128"

    func run() throws {
        let floats = try AllreduceBenchmark.count(parameters), perBucket = try AllreduceBenchmark.count(bucket)
        let links = bandwidth.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        let counts = nodes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !links.isEmpty, !counts.isEmpty, counts.allSatisfy({ $0 > 0 }), links.allSatisfy({ $0 > 0 }), stepMs > 0, backwardMs >= 0 else {
            throw ValidationError("give positive --step-ms, --bandwidth and --nodes")
        }
        let bytes = Double(floats) * 4
        let buckets = Double((floats + perBucket - 1) / perBucket)
        print(String(format: "step %.0f ms (backward %.0f ms) at batch %d per node; gradient %.0f MB in %.0f buckets; latency %.0f us",
                     stepMs, backwardMs, batch, bytes / 1e6, buckets, latencyUs))
        print("| nodes | link | allreduce ms | exposed ms | images/s | efficiency |")
        print("|---|---|---|---|---|---|")
        for link in links {
            for k in counts {
                let kk = Double(k)
                let transfer = k > 1 ? 2 * (kk - 1) / kk * bytes / (link * 1e9 / 8) * 1000 : 0
                let latency = k > 1 ? buckets * 2 * (kk - 1) * latencyUs / 1000 : 0
                let allreduce = transfer + latency
                let exposed = max(0, allreduce - backwardMs)
                let iteration = stepMs + exposed
                print(String(format: "| %d | %.0f Gb/s | %.0f | %.0f | %.0f | %.0f%% |",
                             k, link, allreduce, exposed, kk * Double(batch) / iteration * 1000, stepMs / iteration * 100))
            }
        }
    }
}

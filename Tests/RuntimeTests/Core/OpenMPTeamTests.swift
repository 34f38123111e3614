import Dispatch
import Foundation
import Testing
@testable import Runtime

/// Crema's loops, oneDNN and OpenBLAS's OpenMP build share libgomp's team: every chunk runs
/// once, on the team's threads, including when loops nest or several threads start loops at
/// once (as the test runner does), and OpenBLAS computes right from there.
@Suite struct OpenMPTeamTests {
    /// Debian's libdnnl-dev brings libgomp, so where oneDNN loads the team is there too.
    @Test func loopsRunOnLibgompsTeamWhereItIsInstalled() {
        if OneDNNLibrary.shared != nil, BLASLibrary.requestedPool == .team {
            #expect(OpenMPTeam.installed, "\(OpenMPTeam.fallbackReason ?? "")")
        }
        if OpenMPTeam.installed, BLASLibrary.requestedLibrary == nil, let build = BLASLibrary.openMPBuild {
            #expect(BLAS.libraryPath == build)
        }
    }

    @Test func everyChunkRunsOnceOnDistinctThreads() throws {
        try #require(OpenMPTeam.installed, "libgomp is not installed here")
        let count = 1000
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
        let threads = UnsafeMutablePointer<UInt64>.allocate(capacity: 4)
        defer { hits.deallocate(); threads.deallocate() }
        hits.initialize(repeating: 0, count: count)
        threads.initialize(repeating: 0, count: 4)
        OpenMPTeam.run(4, threads: 4) { c in
            for i in c * 250..<(c + 1) * 250 { hits[i] += 1 }
            threads[c] = UInt64(pthread_self())
        }
        #expect((0..<count).allSatisfy { hits[$0] == 1 })
        #expect(Set((0..<4).map { threads[$0] }).count == 4, "the four chunks did not run on four threads")
        // Three chunks on a team of four: one thread finds no work.
        hits.update(repeating: 0, count: count)
        OpenMPTeam.run(3, threads: 4) { c in
            for i in c * 250..<(c + 1) * 250 { hits[i] += 1 }
        }
        #expect((0..<750).allSatisfy { hits[$0] == 1 } && (750..<count).allSatisfy { hits[$0] == 0 })
    }

    /// A loop inside a loop's body runs on the calling team thread (libgomp does not nest teams).
    @Test func nestedLoopsCoverEveryIndex() {
        let outer = 6, inner = 5000
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: outer * inner)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: outer * inner)
        Parallel.forEach(outer, work: 1 << 20) { o in
            Parallel.forEachChunk(inner, grain: 16) { range in
                for i in range { sums[o * inner + i] += o + i }
            }
        }
        #expect((0..<outer * inner).allSatisfy { sums[$0] == $0 / inner + $0 % inner })
    }

    /// Several threads start loops and matrix products at once: each gets its own results.
    @Test func concurrentCallersGetTheirOwnResults() {
        let callers = 4, n = 96
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: callers)
        defer { failures.deallocate() }
        failures.initialize(repeating: 0, count: callers)
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            var rng = RandomGenerator(seed: UInt64(caller + 1))
            let a = (0..<n * n).map { _ in rng.uniform(-1, 1) }
            let b = (0..<n * n).map { _ in rng.uniform(-1, 1) }
            var expected = [Float](repeating: 0, count: n * n)
            for i in 0..<n {
                for k in 0..<n {
                    let aik = a[i * n + k]
                    for j in 0..<n { expected[i * n + j] += aik * b[k * n + j] }
                }
            }
            for _ in 0..<20 {
                var c = [Float](repeating: 0, count: n * n)
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            BLAS.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: pa.baseAddress!,
                                      b: pb.baseAddress!, beta: 0, c: pc.baseAddress!)
                        }
                    }
                }
                var scaled = [Float](repeating: 0, count: n * n)
                scaled.withUnsafeMutableBufferPointer { out in
                    let out = out.baseAddress!
                    c.withUnsafeBufferPointer { pc in
                        let pc = pc.baseAddress!
                        Parallel.forEachChunk(n * n, grain: 64) { range in
                            for i in range { out[i] = pc[i] * Float(caller + 1) }
                        }
                    }
                }
                let wrong = zip(scaled, expected).filter { abs($0 - $1 * Float(caller + 1)) > 1e-3 * Float(caller + 1) }.count
                failures[caller] += wrong
            }
        }
        for caller in 0..<callers {
            #expect(failures[caller] == 0, "caller \(caller): \(failures[caller]) wrong values")
        }
    }

    /// Matrix products from inside a loop's body (several images' convolutions at once) run
    /// single-threaded on each team thread and come out right.
    @Test func productsInsideALoopAreRight() {
        let n = 64, jobs = 4
        var rng = RandomGenerator(seed: 11)
        let a = (0..<n * n).map { _ in rng.uniform(-1, 1) }
        let b = (0..<jobs * n * n).map { _ in rng.uniform(-1, 1) }
        var c = [Float](repeating: 0, count: jobs * n * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let (pa, pb, pc) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    Parallel.forEach(jobs, work: 1 << 20) { j in
                        BLAS.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: pa,
                                  b: pb + j * n * n, beta: 0, c: pc + j * n * n)
                    }
                }
            }
        }
        var worst: Float = 0
        for j in 0..<jobs {
            for i in 0..<n {
                for col in 0..<n {
                    var sum: Float = 0
                    for k in 0..<n { sum += a[i * n + k] * b[j * n * n + k * n + col] }
                    worst = max(worst, abs(sum - c[j * n * n + i * n + col]))
                }
            }
        }
        #expect(worst <= 1e-4, "largest error \(worst)")
    }
}

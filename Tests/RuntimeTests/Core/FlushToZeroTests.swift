import Dispatch
import Foundation
import Testing
@testable import Runtime

/// Denormals are flushed on every thread that computes: products below Float's normal range
/// come out as 0 rather than as slow denormals.
@Suite struct FlushToZeroTests {
    /// 1e-20 * 1e-20 = 1e-40 is a denormal unless flush-to-zero is on. The factors live in
    /// mutable storage so the compiler can neither fold the product nor compute it before the
    /// call that sets the floating-point environment (which it does not see as a dependency).
    nonisolated(unsafe) private static var factors: [Float] = [1e-20, 1e-20]

    private static func tinyProduct() -> Float { factors[0] * factors[1] }

    @Test func parallelWorkersFlushDenormals() {
        let results = UnsafeMutablePointer<Float>.allocate(capacity: 4)
        let flags = UnsafeMutablePointer<Bool>.allocate(capacity: 4)
        defer { results.deallocate(); flags.deallocate() }
        results.initialize(repeating: 1, count: 4)
        flags.initialize(repeating: false, count: 4)
        let saved = Parallel.threads
        Parallel.threads = 4
        defer { Parallel.threads = saved }
        Parallel.forEachChunk(4, grain: 1) { range in
            for i in range {
                results[i] = FlushToZeroTests.tinyProduct()
                flags[i] = Parallel.flushesDenormals
            }
        }
        for i in 0..<4 {
            #expect(results[i] == 0, "chunk \(i): 1e-20 * 1e-20 gave \(results[i])")
            #expect(flags[i], "chunk \(i) ran without flush-to-zero")
        }
    }

    /// The setting is scoped: on inside a graph pass or solver step, and the calling thread's
    /// own setting afterwards, so parsing and printing outside the kernels keep IEEE semantics.
    @Test func callingThreadFlushesOnlyWhileRuntimeComputes() {
        let before = Parallel.flushesDenormals
        let inside = Parallel.flushingDenormals { (Parallel.flushesDenormals, FlushToZeroTests.tinyProduct()) }
        #expect(inside.0)
        #expect(inside.1 == 0)
        Parallel.forEach(1, work: 1) { _ in }
        #expect(Parallel.flushesDenormals == before)
        #expect(!before, "the test thread had flush-to-zero set before Runtime computed")
        #expect(FlushToZeroTests.tinyProduct() != 0, "flush-to-zero leaked out of Runtime onto the calling thread")
    }

    /// OpenBLAS's threads flush too (the pthread build's inherit the setting from the thread
    /// that loaded it; the OpenMP build's are libgomp's team, set by Crema): a product large
    /// enough to be split over its threads gives exact zeros for denormal results, and denormal
    /// inputs count as zeros.
    @Test func blasThreadsFlushDenormals() {
        #expect(Self.denormalProductEntries() == 0)
    }

    /// libgomp gives each thread that starts parallel work a team of its own, whose workers keep
    /// the floating-point environment they were created with: a team first used outside a
    /// graph pass must still flush when a pass later computes on it.
    @Test func blasThreadsFlushDenormalsOnATeamFirstUsedOutsideAPass() {
        final class Count: @unchecked Sendable { var value = -1 }
        let nonzero = Count()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let n = 256
            let a = [Float](repeating: 1, count: n * n), b = [Float](repeating: 1, count: n * n)
            var c = [Float](repeating: 0, count: n * n)
            let saved = BLAS.threads
            BLAS.threads = max(2, saved)
            // Outside any pass: the team this thread gets is made with IEEE settings.
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: pa.baseAddress!,
                                  b: pb.baseAddress!, beta: 0, c: pc.baseAddress!)
                    }
                }
            }
            BLAS.threads = saved
            nonzero.value = Self.denormalProductEntries()
            done.signal()
        }
        thread.start()
        done.wait()
        #expect(nonzero.value == 0, "\(nonzero.value) entries kept denormal values")
    }

    /// Entries of a product of tiny values that come out nonzero (denormal) from a product
    /// computed as inside a graph pass.
    private static func denormalProductEntries() -> Int {
        let n = 256
        let a = [Float](repeating: 1e-20, count: n * n)
        var b = [Float](repeating: 1e-21, count: n * n)
        b[0] = Float(bitPattern: 0x000A_E398)  // a denormal input (about 1e-39): read as 0
        var c = [Float](repeating: 1, count: n * n)
        let saved = BLAS.threads
        BLAS.threads = max(2, saved)
        defer { BLAS.threads = saved }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    // As inside a graph pass: the calling thread computes its share flushed too.
                    Parallel.flushingDenormals {
                        BLAS.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: pa.baseAddress!,
                                  b: pb.baseAddress!, beta: 0, c: pc.baseAddress!)
                    }
                }
            }
        }
        // Each entry is 256 * 1e-41 (denormal), flushed to 0 in whichever thread computed it.
        return c.filter { $0 != 0 }.count
    }
}

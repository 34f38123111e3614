import Foundation
import Testing
@testable import Runtime

@Suite struct BLASTests {
    /// The kernels Crema picks (AVX-512 ones on such processors) must compute what a plain
    /// double-precision product does, on shapes that exercise the kernels' edges.
    @Test(arguments: [(133, 519, 257), (1, 1000, 4096), (96, 3025, 363), (7, 5, 3)])
    func gemmMatchesADoublePrecisionReference(m: Int, n: Int, k: Int) {
        var rng = RandomGenerator(seed: UInt64(m * 31 + n))
        for (transA, transB) in [(false, false), (true, false), (false, true)] {
            let a = (0..<(m * k)).map { _ in rng.uniform(-1, 1) }
            let b = (0..<(k * n)).map { _ in rng.uniform(-1, 1) }
            var c = [Float](repeating: 0.5, count: m * n)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5,
                                  a: pa.baseAddress!, b: pb.baseAddress!, beta: 2, c: pc.baseAddress!)
                    }
                }
            }
            var worst: Double = 0
            for i in stride(from: 0, to: m, by: max(1, m / 17)) {
                for j in stride(from: 0, to: n, by: max(1, n / 13)) {
                    var sum: Double = 0
                    for p in 0..<k {
                        let x = Double(transA ? a[p * m + i] : a[i * k + p])
                        let y = Double(transB ? b[j * k + p] : b[p * n + j])
                        sum += x * y
                    }
                    let expected = 1.5 * sum + 2 * 0.5
                    worst = max(worst, abs(expected - Double(c[i * n + j])) / max(1, abs(expected)))
                }
            }
            #expect(worst < 1e-4, "\(m)x\(n)x\(k) transA \(transA) transB \(transB): relative error \(worst) on \(BLAS.coreName)")
        }
    }

    @Test func chosenKernelsAreTheOnesRunning() {
        if let chosen = BLAS.chosenCoreType {
            #expect(BLAS.coreName.lowercased() == chosen.lowercased(), "asked for \(chosen), OpenBLAS runs \(BLAS.coreName)")
        } else {
            // The user or the machine chose; Crema must have left the variable alone.
            #expect(BLAS.coreName.isEmpty == false)
        }
    }
}

import Testing
@testable import Runtime

/// The weight-streaming product for fully connected layers at small batches, in each variant
/// the processor runs, against a plain double-precision product.
@Suite(.serialized) struct SmallBatchProductTests {
    /// Shapes hit the 16-wide steps and their masked tails, row blocks of 4 and 2 and their
    /// remainders, and a split over threads.
    @Test(arguments: [(1, 7, 3), (1, 4099, 37), (2, 33, 130), (3, 17, 4096), (4, 1001, 300), (5, 9, 31),
                      (8, 70, 513), (6, 2048, 100)])
    func matchesADoublePrecisionReference(m: Int, outputs: Int, k: Int) {
        var rng = RandomGenerator(seed: UInt64(m * 1000 + outputs + k))
        let w = (0..<(outputs * k)).map { _ in rng.uniform(-1, 1) }
        let x = (0..<(m * k)).map { _ in rng.uniform(-1, 1) }
        let bias = (0..<outputs).map { _ in rng.uniform(-1, 1) }
        let saved = KernelVariant.current
        defer { KernelVariant.current = saved }
        for variant in KernelVariant.supported {
            KernelVariant.current = variant
            for withBias in [false, true] {
                var y = [Float](repeating: .nan, count: m * outputs)
                w.withUnsafeBufferPointer { pw in
                    x.withUnsafeBufferPointer { px in
                        bias.withUnsafeBufferPointer { pb in
                            y.withUnsafeMutableBufferPointer { py in
                                BLAS.smallBatchProduct(m: m, outputs: outputs, k: k, weights: pw.baseAddress!,
                                                       x: px.baseAddress!, bias: withBias ? pb.baseAddress! : nil,
                                                       y: py.baseAddress!)
                            }
                        }
                    }
                }
                var worst: Double = 0
                for j in 0..<m {
                    for i in 0..<outputs {
                        var sum: Double = withBias ? Double(bias[i]) : 0
                        for t in 0..<k { sum += Double(w[i * k + t]) * Double(x[j * k + t]) }
                        worst = max(worst, abs(sum - Double(y[j * outputs + i])) / max(1, abs(sum)))
                    }
                }
                #expect(worst < 1e-5, "\(variant) m \(m) outputs \(outputs) k \(k) bias \(withBias): error \(worst)")
            }
        }
    }
}

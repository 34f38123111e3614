import CKernels
import NetDSL
import Testing
@testable import Runtime

/// Caffe's max pooling written out plainly: scan each window in order, keep the first strict
/// maximum. Returns the outputs and each output's index in its plane.
private func referenceMaxPool(_ x: Tensor, kernel: Int, stride: Int, pad: Int, pooled: (Int, Int)) -> ([Float], [Int]) {
    let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    var values: [Float] = [], indices: [Int] = []
    for p in 0..<planes {
        for ph in 0..<pooled.0 {
            for pw in 0..<pooled.1 {
                let hs = ph * stride - pad, ws = pw * stride - pad
                var best = -Float.greatestFiniteMagnitude, index = -1
                for hh in max(hs, 0)..<min(hs + kernel, h) {
                    for ww in max(ws, 0)..<min(ws + kernel, w) where x.data[p * h * w + hh * w + ww] > best {
                        best = x.data[p * h * w + hh * w + ww]
                        index = hh * w + ww
                    }
                }
                values.append(best)
                indices.append(index)
            }
        }
    }
    return (values, indices)
}

/// The vectorised max pooling (crema_max_pool_plane) in every variant the processor runs,
/// against the plain scan: equal outputs, and gradients sent to the same inputs, on inputs full
/// of ties (as after a ReLU) where the choice of index matters.
@Suite(.serialized) struct PoolingKernelTests {
    /// (height, width, kernel, stride, pad) of a 2 x 3-channel input.
    @Test(arguments: [
        (55, 55, 3, 2, 0),  // CaffeNet pool1
        (13, 13, 3, 2, 0),  // pool5
        (24, 24, 2, 2, 0),  // LeNet
        (10, 37, 3, 2, 1),
        (9, 9, 3, 1, 1),
        (17, 40, 4, 3, 2),  // gathered columns
        (7, 7, 7, 1, 0),
        (6, 70, 2, 1, 1),
    ])
    func matchesCaffesScan(height: Int, width: Int, kernel: Int, stride: Int, pad: Int) throws {
        let c = (height: height, width: width, kernel: kernel, stride: stride, pad: pad)
        let label = "\(height)x\(width) k\(kernel) s\(stride) p\(pad)"
        var rng = RandomGenerator(seed: UInt64(c.height * 100 + c.width))
        // Enough planes that both threads take many.
        let x = Tensor(shape: [4, 24, c.height, c.width])
        // Half zeros and a few repeated values: ties within and across rows and columns.
        for i in 0..<x.count { x.data[i] = rng.uniform() < 0.5 ? 0 : Float(rng.below(4)) }
        x.data[5] = -.infinity
        let saved = KernelVariant.current
        defer { KernelVariant.current = saved }
        for variant in KernelVariant.supported {
            KernelVariant.current = variant
            var p = PoolingParams(method: .max, kernelH: c.kernel, kernelW: c.kernel)
            (p.strideH, p.strideW, p.padH, p.padW) = (c.stride, c.stride, c.pad, c.pad)
            let layer = PoolingLayer(spec: LayerSpec(name: "pool", kind: .pooling(p)), params: p, method: p.method == .max ? .max : .average)
            let y = Tensor()
            try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
            try layer.reshape(bottoms: [x], tops: [y])
            // The first backward pass finds the indices itself; later forward passes record them.
            for pass in 0..<2 {
                try layer.forward(bottoms: [x], tops: [y])
                let (values, indices) = referenceMaxPool(x, kernel: c.kernel, stride: c.stride, pad: c.pad,
                                                         pooled: (y.shape[2], y.shape[3]))
                #expect(y.values == values, "\(variant) \(label) pass \(pass): outputs differ")

                for i in 0..<y.count { y.diff[i] = Float(i % 7) + 1 }
                x.diff.update(repeating: .nan, count: x.count)
                layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
                var expected = [Float](repeating: 0, count: x.count)
                let (inPlane, outPlane) = (c.height * c.width, y.shape[2] * y.shape[3])
                for i in 0..<y.count where indices[i] >= 0 {
                    expected[(i / outPlane) * inPlane + indices[i]] += y.diff[i]
                }
                #expect(x.gradients == expected, "\(variant) \(label) pass \(pass): gradients go elsewhere")
            }
        }
    }

    /// The kernel stays inside the working memory it asks for (a stack allocation in the layer),
    /// for widths around each 16-lane boundary.
    @Test func scratchIsLargeEnough() {
        for pooled in [1, 15, 16, 17, 27, 31, 32, 33, 64] {
            for (kernel, stride) in [(3, 2), (2, 2), (3, 1), (4, 3), (1, 1)] {
                let width = (pooled - 1) * stride + kernel
                let x = (0..<(3 * width)).map { Float($0 % 13) }
                let need = Int(crema_max_pool_scratch(Int64(pooled), Int64(kernel), Int64(stride)))
                var scratch = [Float](repeating: 12345, count: need + 64)
                var y = [Float](repeating: 0, count: pooled), mask = [Int32](repeating: 0, count: pooled)
                for variant in KernelVariant.supported {
                    KernelVariant.current = variant
                    crema_max_pool_plane(x, 3, Int64(width), 1, Int64(pooled), 3, Int64(kernel), 1, Int64(stride), 0, 0,
                                         &y, &mask, &scratch)
                    #expect(scratch[need...].allSatisfy { $0 == 12345 },
                            "\(variant) pooled \(pooled) k\(kernel) s\(stride): wrote past \(need) scratch floats")
                    // Values only (no indices), as inference runs it: the same outputs.
                    var values = [Float](repeating: 0, count: pooled)
                    crema_max_pool_plane(x, 3, Int64(width), 1, Int64(pooled), 3, Int64(kernel), 1, Int64(stride), 0, 0,
                                         &values, nil, &scratch)
                    #expect(values == y, "\(variant) pooled \(pooled) k\(kernel) s\(stride): values-only pass differs")
                }
                KernelVariant.current = .best
            }
        }
    }
}

import Testing
@testable import Runtime

/// Every entry of the column matrix in order (c, ki, kj, oh, ow): its index, and the index of
/// the input value it reads, nil in the padding.
private func forEachEntry(_ g: ConvGeometry, _ body: (Int, Int?) -> Void) {
    for c in 0..<g.channels {
        for ki in 0..<g.kernelH {
            for kj in 0..<g.kernelW {
                let row = (c * g.kernelH + ki) * g.kernelW + kj
                for oh in 0..<g.outH {
                    for ow in 0..<g.outW {
                        let ih = oh * g.strideH - g.padH + ki, iw = ow * g.strideW - g.padW + kj
                        let inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width
                        body(row * g.outSpatial + oh * g.outW + ow, inside ? (c * g.height + ih) * g.width + iw : nil)
                    }
                }
            }
        }
    }
}

/// Caffe's im2col written out plainly: 0 in the padding.
private func referenceIm2col(_ x: [Float], _ g: ConvGeometry) -> [Float] {
    var col = [Float](repeating: .nan, count: g.columnCount)
    forEachEntry(g) { entry, input in col[entry] = input.map { x[$0] } ?? 0 }
    return col
}

/// Each input position's sum of the column entries that read it, in (ki, kj) order.
private func referenceCol2im(_ col: [Float], _ g: ConvGeometry) -> [Float] {
    var x = [Float](repeating: 0, count: g.imageCount)
    forEachEntry(g) { entry, input in if let input { x[input] += col[entry] } }
    return x
}

/// im2col and col2im (crema_im2col / crema_col2im) in every variant the processor runs, against
/// the plain definitions, alone and with the columns of several images side by side.
@Suite(.serialized) struct Im2ColTests {
    /// (channels, height, width, kernel, stride, pad)
    static let shapes: [(Int, Int, Int, (Int, Int), (Int, Int), (Int, Int))] = [
        (2, 12, 12, (5, 5), (1, 1), (0, 0)),    // LeNet conv2
        (1, 28, 28, (5, 5), (1, 1), (0, 0)),    // LeNet conv1
        (3, 13, 13, (3, 3), (1, 1), (1, 1)),    // CaffeNet conv3-5
        (2, 27, 27, (5, 5), (1, 1), (2, 2)),    // CaffeNet conv2: rows of 27, two 16-lane steps
        (2, 23, 19, (11, 11), (4, 4), (0, 0)),  // conv1's stride: the plain loops
        (2, 9, 40, (3, 4), (2, 1), (2, 3)),     // uneven strides and pads, wide rows
        (1, 5, 5, (5, 5), (1, 1), (4, 4)),      // padding wider than half the kernel
    ]

    private func geometry(_ s: (Int, Int, Int, (Int, Int), (Int, Int), (Int, Int))) -> ConvGeometry {
        ConvGeometry(channels: s.0, height: s.1, width: s.2, kernelH: s.3.0, kernelW: s.3.1,
                     padH: s.5.0, padW: s.5.1, strideH: s.4.0, strideW: s.4.1)
    }

    private func values(_ count: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { _ in rng.uniform(-1, 1) }
    }

    /// Image `image`'s columns out of a matrix of `rows` rows of `width` values.
    private static func block(_ m: [Float], rows: Int, width: Int, image: Int, spatial: Int) -> [Float] {
        var out: [Float] = []
        for r in 0..<rows {
            let start = r * width + image * spatial
            out += m[start..<(start + spatial)]
        }
        return out
    }

    /// Runs `body(variant, index, shape, geometry)` for every kernel variant and test shape.
    private func forEachCase(_ body: (KernelVariant, Int, (Int, Int, Int, (Int, Int), (Int, Int), (Int, Int)), ConvGeometry) -> Void) {
        let saved = KernelVariant.current
        defer { KernelVariant.current = saved }
        for variant in KernelVariant.supported {
            KernelVariant.current = variant
            for (i, shape) in Self.shapes.enumerated() { body(variant, i, shape, geometry(shape)) }
        }
    }

    @Test func oneImageMatchesTheDefinition() {
        forEachCase { variant, i, shape, g in
            let x = values(g.imageCount, seed: UInt64(i))
            var col = [Float](repeating: .nan, count: g.columnCount)
            x.withUnsafeBufferPointer { xp in
                col.withUnsafeMutableBufferPointer { g.im2col(xp.baseAddress!, $0.baseAddress!) }
            }
            #expect(col == referenceIm2col(x, g), "im2col \(variant) \(shape)")

            let dy = values(g.columnCount, seed: UInt64(100 + i))
            var dx = [Float](repeating: .nan, count: g.imageCount)
            dy.withUnsafeBufferPointer { dp in
                dx.withUnsafeMutableBufferPointer { g.col2im(dp.baseAddress!, $0.baseAddress!) }
            }
            #expect(dx == referenceCol2im(dy, g), "col2im \(variant) \(shape)")
        }
    }

    /// Three images' columns side by side (row stride 3 * outSpatial): each image's block is
    /// its own column matrix, and col2im gives each image its own block's sums.
    @Test func imagesSideBySide() {
        forEachCase { variant, i, shape, g in
            let images = 3, width = images * g.outSpatial
            let xs = (0..<images).map { values(g.imageCount, seed: UInt64(10 * i + $0)) }
            let batch = xs.flatMap { $0 }
            var wide = [Float](repeating: .nan, count: g.columnRows * width)
            batch.withUnsafeBufferPointer { bp in
                wide.withUnsafeMutableBufferPointer { g.im2col(images: bp.baseAddress!, count: images, into: $0.baseAddress!) }
            }
            for (n, x) in xs.enumerated() {
                let block = Self.block(wide, rows: g.columnRows, width: width, image: n, spatial: g.outSpatial)
                #expect(block == referenceIm2col(x, g), "im2col \(variant) \(shape) image \(n)")
            }

            let dys = values(g.columnRows * width, seed: UInt64(200 + i))
            var dx = [Float](repeating: .nan, count: images * g.imageCount)
            dys.withUnsafeBufferPointer { dp in
                dx.withUnsafeMutableBufferPointer { g.col2im(sideBySide: dp.baseAddress!, count: images, into: $0.baseAddress!) }
            }
            for n in 0..<images {
                let block = Self.block(dys, rows: g.columnRows, width: width, image: n, spatial: g.outSpatial)
                let image = Array(dx[(n * g.imageCount)..<((n + 1) * g.imageCount)])
                #expect(image == referenceCol2im(block, g), "col2im \(variant) \(shape) image \(n)")
            }
        }
    }
}

import NetDSL
import Testing
@testable import Runtime

private func makeConv(_ p: ConvolutionParams) -> ConvolutionLayer {
    ConvolutionLayer(spec: LayerSpec(name: "conv", kind: .convolution(p)), params: p)
}

private func params(outputs: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1), pad: (Int, Int) = (0, 0),
                    dilation: (Int, Int) = (1, 1), group: Int = 1, bias: Bool = true) -> ConvolutionParams {
    var p = ConvolutionParams(numOutput: outputs, kernelH: kernel.0, kernelW: kernel.1)
    (p.strideH, p.strideW) = stride
    (p.padH, p.padW) = pad
    (p.dilationH, p.dilationW) = dilation
    p.group = group
    p.biasTerm = bias
    p.weightFiller = .gaussian(mean: 0, std: 0.5)
    p.biasFiller = .uniform(min: -0.5, max: 0.5)
    return p
}

/// Direct seven-loop convolution (cross-correlation, as Caffe) for comparison.
private func referenceConv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ p: ConvolutionParams) -> [Float] {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let oh = (h + 2 * p.padH - (p.dilationH * (p.kernelH - 1) + 1)) / p.strideH + 1
    let ow = (wd + 2 * p.padW - (p.dilationW * (p.kernelW - 1) + 1)) / p.strideW + 1
    let cg = c / p.group, og = p.numOutput / p.group
    var out = [Float](repeating: 0, count: n * p.numOutput * oh * ow)
    for img in 0..<n {
        for o in 0..<p.numOutput {
            let g = o / og
            for y in 0..<oh {
                for xx in 0..<ow {
                    var sum: Double = b.map { Double($0.data[o]) } ?? 0
                    for ci in 0..<cg {
                        for ki in 0..<p.kernelH {
                            for kj in 0..<p.kernelW {
                                let iy = y * p.strideH - p.padH + ki * p.dilationH
                                let ix = xx * p.strideW - p.padW + kj * p.dilationW
                                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                let xv = x.data[((img * c + g * cg + ci) * h + iy) * wd + ix]
                                let wv = w.data[((o * cg + ci) * p.kernelH + ki) * p.kernelW + kj]
                                sum += Double(xv) * Double(wv)
                            }
                        }
                    }
                    out[((img * p.numOutput + o) * oh + y) * ow + xx] = Float(sum)
                }
            }
        }
    }
    return out
}

@Suite struct ConvolutionLayerTests {
    @Test func knownWeightsOnThreeByThree() throws {
        var p = ConvolutionParams(numOutput: 2, kernelH: 3, kernelW: 3)
        p.padH = 1
        p.padW = 1
        let layer = makeConv(p)
        let x = Tensor(1, 1, 3, 3, values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let y = Tensor()
        try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try layer.reshape(bottoms: [x], tops: [y])
        #expect(y.shape == [1, 2, 3, 3])
        // Output 0 reads the right-hand neighbour (weight at kernel row 1, column 2): this pins the
        // orientation (Caffe correlates, it does not flip). Output 1 sums the 3x3 neighbourhood.
        let w = layer.parameters[0]
        w.zeroData()
        w.data[5] = 1
        for i in 9..<18 { w.data[i] = 1 }
        layer.parameters[1].copy(from: [0.5, -1])
        try layer.forward(bottoms: [x], tops: [y])
        let shifted: [Float] = [2, 3, 0, 5, 6, 0, 8, 9, 0].map { $0 + 0.5 }
        let sums: [Float] = [12, 21, 16, 27, 45, 33, 24, 39, 28].map { $0 - 1 }
        #expect(y.values == shifted + sums)
    }

    @Test func strideTwoWithoutPadding() throws {
        var p = ConvolutionParams(numOutput: 1, kernelH: 2, kernelW: 2)
        p.strideH = 2
        p.strideW = 2
        p.biasTerm = false
        p.weightFiller = .constant(1)
        let layer = makeConv(p)
        let x = Tensor(1, 1, 5, 5, values: (1...25).map(Float.init))
        let y = Tensor()
        try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try layer.reshape(bottoms: [x], tops: [y])
        try layer.forward(bottoms: [x], tops: [y])
        // Floor rounding: the last row and column are never read.
        #expect(y.shape == [1, 1, 2, 2])
        let expected: [Float] = [16, 24, 56, 64]  // 1+2+6+7, 3+4+8+9, 11+12+16+17, 13+14+18+19
        #expect(y.values == expected)
    }

    @Test(arguments: [
        params(outputs: 3, kernel: (3, 3)),
        params(outputs: 4, kernel: (3, 3), stride: (2, 2), pad: (1, 1), group: 2),
        params(outputs: 2, kernel: (3, 3), stride: (3, 3), pad: (2, 2), bias: false),
        params(outputs: 4, kernel: (3, 2), stride: (2, 1), pad: (1, 0), group: 2),
        params(outputs: 6, kernel: (1, 1), group: 2),
        params(outputs: 2, kernel: (2, 4), stride: (1, 3), pad: (0, 2)),
        params(outputs: 3, kernel: (3, 3), dilation: (2, 2)),
        params(outputs: 4, kernel: (3, 2), stride: (2, 1), pad: (2, 1), dilation: (2, 3), group: 2),
        params(outputs: 2, kernel: (2, 2), pad: (3, 3), dilation: (3, 1), bias: false),
        // Depthwise (one input channel per group), as MobileNet: the direct kernel.
        params(outputs: 4, kernel: (3, 3), pad: (1, 1), group: 4),
        params(outputs: 8, kernel: (3, 3), stride: (2, 2), pad: (1, 1), group: 4),
        params(outputs: 4, kernel: (3, 2), stride: (1, 3), pad: (2, 1), dilation: (2, 1), group: 4, bias: false),
    ])
    func forwardMatchesDirectConvolution(_ p: ConvolutionParams) throws {
        let layer = makeConv(p)
        let x = randomTensor([2, 4, 7, 6], seed: 11)
        let y = Tensor()
        try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore(seed: 5))
        try layer.reshape(bottoms: [x], tops: [y])
        try layer.forward(bottoms: [x], tops: [y])
        let expected = referenceConv(x, layer.parameters[0], p.biasTerm ? layer.parameters[1] : nil, p)
        #expect(y.count == expected.count)
        for (a, e) in zip(y.values, expected) { #expect(abs(a - e) <= 1e-5 * max(1, abs(e))) }
    }

    @Test func caffeNetConv1Shape() throws {
        var p = ConvolutionParams(numOutput: 96, kernelH: 11, kernelW: 11)
        p.strideH = 4
        p.strideW = 4
        let layer = makeConv(p)
        let x = Tensor(shape: [1, 3, 227, 227])
        let y = Tensor()
        try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try layer.reshape(bottoms: [x], tops: [y])
        #expect(y.shape == [1, 96, 55, 55])
        #expect(layer.parameters[0].shape == [96, 3, 11, 11])
        #expect(layer.parameters[1].shape == [96])
    }

    @Test func groupedWeightsShape() throws {
        let layer = makeConv(params(outputs: 256, kernel: (5, 5), pad: (2, 2), group: 2))
        let x = Tensor(shape: [1, 96, 27, 27]), y = Tensor()
        try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try layer.reshape(bottoms: [x], tops: [y])
        #expect(layer.parameters[0].shape == [256, 48, 5, 5])
        #expect(y.shape == [1, 256, 27, 27])
    }

    @Test func kernelLargerThanInputThrows() throws {
        let layer = makeConv(params(outputs: 2, kernel: (5, 5)))
        let x = Tensor(shape: [1, 1, 3, 3]), y = Tensor()
        try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        #expect(throws: LayerError.self) { try layer.reshape(bottoms: [x], tops: [y]) }
        // With enough padding the same kernel fits.
        let padded = makeConv(params(outputs: 2, kernel: (5, 5), pad: (1, 1)))
        try padded.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try padded.reshape(bottoms: [x], tops: [y])
        #expect(y.shape == [1, 2, 1, 1])
    }

    @Test func invalidSettingsThrow() {
        let x4 = Tensor(shape: [1, 3, 8, 8]), y = Tensor()
        let cases: [(ConvolutionParams, Tensor)] = [
            (params(outputs: 2, kernel: (3, 3)), Tensor(shape: [3, 8, 8])),
            (params(outputs: 4, kernel: (3, 3), group: 2), x4),
            (params(outputs: 4, kernel: (3, 3), group: 3), Tensor(shape: [1, 6, 8, 8])),
            (params(outputs: 2, kernel: (3, 3), stride: (0, 1)), x4),
            (params(outputs: 2, kernel: (0, 3)), x4),
            (params(outputs: 0, kernel: (3, 3)), x4),
        ]
        for (p, x) in cases {
            let layer = makeConv(p)
            #expect(throws: LayerError.self) {
                try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
                try layer.reshape(bottoms: [x], tops: [y])
            }
        }
    }

    @Test func channelsMustMatchTheWeights() throws {
        let layer = makeConv(params(outputs: 2, kernel: (3, 3)))
        let y = Tensor()
        try layer.setUp(bottoms: [Tensor(shape: [1, 3, 8, 8])], tops: [y], store: ParameterStore())
        #expect(throws: LayerError.self) { try layer.reshape(bottoms: [Tensor(shape: [1, 4, 8, 8])], tops: [y]) }
    }

    @Test(arguments: [
        params(outputs: 3, kernel: (3, 3)),
        params(outputs: 4, kernel: (3, 3), stride: (2, 2), pad: (1, 1), group: 2),
        params(outputs: 2, kernel: (3, 3), stride: (3, 3), pad: (2, 2), bias: false),
        params(outputs: 4, kernel: (3, 2), stride: (2, 1), pad: (1, 0), group: 2),
        params(outputs: 2, kernel: (2, 3), stride: (1, 3), pad: (2, 1), bias: false),
        params(outputs: 4, kernel: (1, 1), group: 2),
        params(outputs: 3, kernel: (3, 3), pad: (1, 1), dilation: (2, 2)),
        params(outputs: 4, kernel: (2, 3), stride: (2, 1), pad: (2, 0), dilation: (3, 2), group: 2),
        params(outputs: 4, kernel: (3, 3), stride: (2, 2), pad: (1, 1), group: 4),
        params(outputs: 8, kernel: (3, 3), pad: (2, 1), dilation: (2, 1), group: 4, bias: false),
    ])
    func gradients(_ p: ConvolutionParams) throws {
        let x = randomTensor([2, 4, 6, 5], seed: 3)
        let compared = try GradientChecker().check(layer: makeConv(p), bottoms: [x], tops: [Tensor()])
        #expect(compared > x.count)
    }

    @Test func parameterGradientsWithoutPropagatingToTheInput() throws {
        let r = try parameterGradientsOnly(makeConv(params(outputs: 3, kernel: (3, 3), pad: (1, 1))),
                                           on: randomTensor([2, 2, 5, 5], seed: 9))
        #expect(r.compared == 3 * 2 * 3 * 3 + 3)
        #expect(r.input.allSatisfy { $0 == 7 })
    }

    @Test func backwardAccumulatesParametersAndOverwritesInput() throws {
        let layer = makeConv(params(outputs: 3, kernel: (3, 3), stride: (2, 2), pad: (1, 1)))
        let r = try backwardTwice(layer, on: randomTensor([2, 2, 6, 6], seed: 4), storeSeed: 2, gradientSeed: 8)
        // Twice the first pass, up to the rounding of adding per-image terms in another order.
        for (twice, once) in zip(r.paramsTwice, r.params) {
            for (a, b) in zip(twice, once) { #expect(abs(a - 2 * b) <= 1e-6 * max(1, abs(a))) }
        }
        #expect(r.inputTwice == r.input)
    }

    /// The image-parallel path (per-worker columns and gradient partials) against the sequential one.
    @Test(arguments: [false, true])
    func parallelMatchesSequential(pointwise: Bool) throws {
        let p = pointwise ? params(outputs: 4, kernel: (1, 1), group: 2)
                          : params(outputs: 4, kernel: (3, 3), stride: (2, 1), pad: (1, 1), group: 2)
        let x = randomTensor([5, 4, 7, 6], seed: 21)
        let serial = makeConv(p), parallel = makeConv(p)
        parallel.minimumParallelWork = 0
        try expectSameResults(serial, parallel, on: x, storeSeed: 6, gradientSeed: 13)
    }

    /// Several images per product (columns side by side) against one product per image, in
    /// order and over the cores, with a last block smaller than the others.
    @Test(arguments: [false, true])
    func blocksOfImagesMatchOneImageAtATime(parallel: Bool) throws {
        let p = params(outputs: 6, kernel: (3, 2), stride: (2, 1), pad: (1, 0), group: 2)
        let x = randomTensor([7, 4, 6, 5], seed: 31)
        let single = makeConv(p), blocked = makeConv(p)
        single.columnBudget = 0
        // Columns of one image: 4 * 3 * 2 rows by 3 * 4 positions; three images per block.
        blocked.columnBudget = 3 * 24 * 12
        for layer in [single, blocked] where parallel { layer.minimumParallelWork = 0 }
        let outputs = try expectSameResults(single, blocked, on: x, storeSeed: 3, gradientSeed: 17)
        #expect(outputs == 7 * 6 * 3 * 4)
    }

    /// Runs both layers forward and backward on `x` with the same parameters and output
    /// gradients, and expects the same outputs and gradients; returns the number of outputs.
    @discardableResult
    private func expectSameResults(_ first: ConvolutionLayer, _ second: ConvolutionLayer, on x: Tensor,
                                   storeSeed: UInt64, gradientSeed: UInt64) throws -> Int {
        var results: [([Float], [[Float]], [Float])] = []
        for layer in [first, second] {
            let y = try forwardWithSeededGradient(layer, on: x, storeSeed: storeSeed, gradientSeed: gradientSeed)
            for t in layer.parameters { t.zeroDiff() }
            layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
            results.append((y.values, layer.parameters.map(\.gradients), x.gradients))
        }
        let (a, b) = (results[0], results[1])
        func close(_ u: [Float], _ v: [Float]) -> Bool {
            u.count == v.count && zip(u, v).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) }
        }
        #expect(close(a.0, b.0))
        #expect(a.1.count == b.1.count && zip(a.1, b.1).allSatisfy { close($0, $1) })
        #expect(close(a.2, b.2))
        return a.0.count
    }

    /// Finite differences through the blocked path, a block of two then one image.
    @Test func gradientsWithBlocksOfImages() throws {
        let layer = makeConv(params(outputs: 3, kernel: (3, 3), stride: (1, 2), pad: (1, 1)))
        layer.columnBudget = 2 * (2 * 9) * (5 * 3)
        let x = randomTensor([3, 2, 5, 5], seed: 12), y = Tensor()
        let compared = try GradientChecker().check(layer: layer, bottoms: [x], tops: [y])
        #expect(compared > 0)
    }

    /// The depthwise kernel against im2col with one product per group, forward and backward,
    /// with the parameter gradients accumulating onto earlier ones.
    @Test(arguments: [
        params(outputs: 4, kernel: (3, 3), pad: (1, 1), group: 4),
        params(outputs: 8, kernel: (3, 3), stride: (2, 2), pad: (1, 1), group: 4),
        params(outputs: 12, kernel: (5, 3), stride: (3, 1), pad: (2, 0), dilation: (1, 2), group: 4, bias: false),
    ])
    func depthwiseKernelMatchesIm2col(_ p: ConvolutionParams) throws {
        try expectDepthwiseMatchesIm2col(p, input: [3, 4, 9, 8])
    }

    /// MobileNet's 3x3 kernels, which run through a padded copy of each plane, on planes wider
    /// than a vector, of odd and even sizes, at every padding up to 2 and both strides.
    @Test(arguments: [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)])
    func depthwise3x3MatchesIm2col(stride: Int, pad: Int) throws {
        let p = params(outputs: 6, kernel: (3, 3), stride: (stride, stride), pad: (pad, pad), group: 3)
        try expectDepthwiseMatchesIm2col(p, input: [2, 3, 23, 37])
        try expectDepthwiseMatchesIm2col(p, input: [1, 3, 4, 3])
    }

    private func expectDepthwiseMatchesIm2col(_ p: ConvolutionParams, input shape: [Int]) throws {
        let x = randomTensor(shape, seed: 21)
        let direct = makeConv(p), reference = makeConv(p)
        reference.usesDepthwiseKernel = false
        var results: [[[Float]]] = []
        for layer in [direct, reference] {
            let input = Tensor(shape: x.shape)
            input.copy(from: x.values)
            let y = Tensor()
            try layer.setUp(bottoms: [input], tops: [y], store: ParameterStore(seed: 8))
            try layer.reshape(bottoms: [input], tops: [y])
            try layer.forward(bottoms: [input], tops: [y])
            var random = RandomGenerator(seed: 4)
            for i in 0..<y.count { y.diff[i] = random.gaussian(mean: 0, std: 1) }
            for t in layer.parameters { for i in 0..<t.count { t.diff[i] = 0.25 } }
            input.diff.update(repeating: 7, count: input.count)
            layer.backward(tops: [y], propagateDown: [true], bottoms: [input])
            results.append([y.values, Array(UnsafeBufferPointer(start: input.diff, count: input.count))]
                           + layer.parameters.map { Array(UnsafeBufferPointer(start: $0.diff, count: $0.count)) })
        }
        #expect(results[0].count == results[1].count)
        for (a, b) in zip(results[0], results[1]) {
            #expect(a.count == b.count)
            for (u, v) in zip(a, b) { #expect(abs(u - v) <= 1e-4 * max(1, abs(v)), "\(u) vs \(v)") }
        }
    }
}

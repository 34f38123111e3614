import NetDSL
import Testing
@testable import Runtime

/// One convolution case: input shape and settings.
struct OneDNNCase: CustomTestStringConvertible, Sendable {
    var input: [Int]
    var params: ConvolutionParams
    var testDescription: String {
        let p = params
        return "\(shapeText(input)) out \(p.numOutput) k\(p.kernelH)x\(p.kernelW) s\(p.strideH)x\(p.strideW) "
            + "p\(p.padH)x\(p.padW) d\(p.dilationH)x\(p.dilationW) g\(p.group)\(p.biasTerm ? "" : " no bias")"
    }

    init(_ input: [Int], outputs: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1), pad: (Int, Int) = (0, 0),
         dilation: (Int, Int) = (1, 1), group: Int = 1, bias: Bool = true) {
        self.input = input
        var p = ConvolutionParams(numOutput: outputs, kernelH: kernel.0, kernelW: kernel.1)
        (p.strideH, p.strideW) = stride
        (p.padH, p.padW) = pad
        (p.dilationH, p.dilationW) = dilation
        p.group = group
        p.biasTerm = bias
        p.weightFiller = .gaussian(mean: 0, std: 0.5)
        p.biasFiller = .uniform(min: -0.5, max: 0.5)
        params = p
    }

    var spec: LayerSpec { LayerSpec(name: "conv", kind: .convolution(params)) }

    /// Terms summed for one forward output (plus the bias), one input gradient and one weight gradient.
    var forwardTerms: Int { input[1] / params.group * params.kernelH * params.kernelW + 1 }
    var dataTerms: Int { params.numOutput / params.group * params.kernelH * params.kernelW }
    func weightTerms(outputSpatial: Int) -> Int { input[0] * outputSpatial }
}

/// What one forward and backward pass produced.
struct ConvPass {
    var y: [Float], dx: [Float], dw: [Float], db: [Float]
    var outputSpatial: Int
}

/// Runs forward then backward with a seeded top gradient. `absolute`: every input, weight,
/// bias and top gradient replaced by its magnitude, which gives the sums of |terms| that
/// bound rounding differences.
func convPass(_ layer: Layer, input: Tensor, seed: UInt64 = 5, absolute: Bool = false) throws -> ConvPass {
    let x = Tensor(shape: input.shape)
    for i in 0..<x.count { x.data[i] = absolute ? abs(input.data[i]) : input.data[i] }
    let y = Tensor()
    try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore(seed: seed))
    if absolute {
        for p in layer.parameters { for i in 0..<p.count { p.data[i] = abs(p.data[i]) } }
    }
    try layer.reshape(bottoms: [x], tops: [y])
    try layer.forward(bottoms: [x], tops: [y])
    let r = randomTensor(y.shape, seed: seed &+ 17)
    for i in 0..<y.count { y.diff[i] = absolute ? abs(r.data[i]) : r.data[i] }
    for p in layer.parameters { p.zeroDiff() }
    // Backward overwrites the input gradient: a stale value must not survive.
    for i in 0..<x.count { x.diff[i] = 1e6 }
    layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
    let ps = layer.parameters
    return ConvPass(y: y.values, dx: x.gradients, dw: ps[0].gradients, db: ps.count > 1 ? ps[1].gradients : [],
                    outputSpatial: y.shape[2] * y.shape[3])
}

/// Checks |a - b| <= factor * bound elementwise; returns the largest ratio seen.
@discardableResult
func expectWithin(_ a: [Float], _ b: [Float], bound: [Float], factor: Float, _ what: String,
                  sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Float {
    #expect(a.count == b.count, "\(what): \(a.count) values vs \(b.count)", sourceLocation: sourceLocation)
    var worst: Float = 0
    var failures = 0
    for i in 0..<min(a.count, b.count) {
        let allowed = factor * bound[i]
        let d = abs(a[i] - b[i])
        if allowed > 0 { worst = max(worst, d / allowed) }
        if d > allowed {
            failures += 1
            if failures <= 3 {
                Issue.record("\(what)[\(i)]: \(a[i]) vs \(b[i]), difference \(d) above \(allowed)", sourceLocation: sourceLocation)
            }
        }
    }
    #expect(failures == 0, "\(what): \(failures) values out of bounds", sourceLocation: sourceLocation)
    return worst
}

/// Unit roundoff of Float (round to nearest): each operation's relative error is at most this.
let floatRoundoff: Float = 0x1p-24

@Suite(.enabled(if: OneDNNLibrary.shared != nil, "needs oneDNN (apt-get install libdnnl-dev)"))
struct OneDNNConvolutionLayerTests {
    static let cases: [OneDNNCase] = [
        OneDNNCase([2, 4, 7, 6], outputs: 3, kernel: (3, 3)),
        OneDNNCase([2, 4, 7, 6], outputs: 4, kernel: (3, 3), stride: (2, 2), pad: (1, 1), group: 2),
        OneDNNCase([1, 4, 7, 6], outputs: 2, kernel: (3, 3), stride: (3, 3), pad: (2, 2), bias: false),
        OneDNNCase([3, 4, 7, 6], outputs: 4, kernel: (3, 2), stride: (2, 1), pad: (1, 0), group: 2),
        OneDNNCase([2, 4, 7, 6], outputs: 6, kernel: (1, 1), group: 2),
        OneDNNCase([2, 4, 7, 6], outputs: 2, kernel: (2, 4), stride: (1, 3), pad: (0, 2)),
        // Three input channels (an RGB image): the data gradient takes the plain-layout path.
        OneDNNCase([2, 3, 19, 19], outputs: 8, kernel: (5, 5), stride: (2, 2)),
        // Channel counts that fill oneDNN's blocks of 16, and ones that do not.
        OneDNNCase([2, 32, 9, 9], outputs: 32, kernel: (3, 3), pad: (1, 1), group: 2),
        OneDNNCase([1, 20, 8, 8], outputs: 24, kernel: (3, 3), pad: (1, 1)),
        OneDNNCase([3, 48, 6, 6], outputs: 64, kernel: (3, 3), pad: (1, 1), group: 2, bias: false),
        // Dilated kernels, as DeepLab's atrous convolutions.
        OneDNNCase([2, 16, 11, 10], outputs: 16, kernel: (3, 3), pad: (2, 2), dilation: (2, 2)),
        OneDNNCase([2, 4, 9, 9], outputs: 4, kernel: (3, 2), stride: (2, 1), pad: (1, 3), dilation: (3, 2), group: 2),
    ]

    private func oneDNN(_ c: OneDNNCase, precision: OneDNNPrecision = .f32) throws -> OneDNNConvolutionLayer {
        let lib = try #require(OneDNNLibrary.shared)
        return OneDNNConvolutionLayer(spec: c.spec, params: c.params, library: lib, precision: precision, required: true)
    }

    private func im2col(_ c: OneDNNCase) -> ConvolutionLayer { ConvolutionLayer(spec: c.spec, params: c.params) }

    /// Both engines sum the same products in different orders. Summing K terms in Float is off
    /// by at most about K * u * sum(|terms|) (u the unit roundoff), so two such sums differ by
    /// at most 2 K u sum(|terms|); the sums of |terms| come from the im2col layer run on
    /// magnitudes. A wrong index or padding is off by whole terms, far above this.
    @Test(arguments: cases)
    func matchesIm2colForwardAndBackward(_ c: OneDNNCase) throws {
        let x = randomTensor(c.input, seed: 11)
        let layer = try oneDNN(c)
        let fast = try convPass(layer, input: x)
        #expect(layer.engineDescription.hasPrefix("onednn f32"), "\(layer.engineDescription)")
        let reference = try convPass(im2col(c), input: x)
        let magnitude = try convPass(im2col(c), input: x, absolute: true)
        let u = floatRoundoff
        expectWithin(fast.y, reference.y, bound: magnitude.y, factor: 2 * Float(c.forwardTerms) * u, "forward")
        expectWithin(fast.dx, reference.dx, bound: magnitude.dx, factor: 2 * Float(c.dataTerms) * u, "input gradient")
        let wt = Float(c.weightTerms(outputSpatial: fast.outputSpatial))
        expectWithin(fast.dw, reference.dw, bound: magnitude.dw, factor: 2 * wt * u, "weight gradient")
        expectWithin(fast.db, reference.db, bound: magnitude.db, factor: 2 * wt * u, "bias gradient")
    }

    @Test(arguments: [cases[0], cases[1], cases[2], cases[3], cases[4], cases[5], cases[11]])
    func gradients(_ c: OneDNNCase) throws {
        let x = randomTensor([2] + c.input.dropFirst(), seed: 3)
        let compared = try GradientChecker().check(layer: oneDNN(c), bottoms: [x], tops: [Tensor()])
        #expect(compared > x.count)
    }

    @Test func parametersAreTheIm2colLayersOwn() throws {
        let c = Self.cases[1]
        let x = Tensor(shape: c.input), y = Tensor()
        let fast = try oneDNN(c), plain = im2col(c)
        try fast.setUp(bottoms: [x], tops: [y], store: ParameterStore(seed: 9))
        try plain.setUp(bottoms: [x], tops: [y], store: ParameterStore(seed: 9))
        #expect(fast.parameters.map(\.shape) == [[4, 2, 3, 3], [4]])
        #expect(fast.parameters.map(\.shape) == plain.parameters.map(\.shape))
        #expect(fast.parameters.map(\.values) == plain.parameters.map(\.values))
    }

    @Test func backwardAccumulatesParametersAndOverwritesInput() throws {
        let c = OneDNNCase([2, 16, 6, 6], outputs: 16, kernel: (3, 3), stride: (2, 2), pad: (1, 1))
        let r = try backwardTwice(try oneDNN(c), on: randomTensor(c.input, seed: 4), storeSeed: 2, gradientSeed: 8)
        // The second pass computes the same values and adds them: exactly twice the first.
        for (twice, once) in zip(r.paramsTwice, r.params) { #expect(twice == once.map { 2 * $0 }) }
        #expect(r.inputTwice == r.input)
    }

    @Test func inputGradientUntouchedWithoutPropagateDown() throws {
        let c = Self.cases[1]
        let r = try parameterGradientsOnly(try oneDNN(c), on: randomTensor(c.input, seed: 9))
        #expect(r.compared == 4 * 2 * 3 * 3 + 4)
        #expect(r.input.allSatisfy { $0 == 7 })
    }

    /// Train and test batches alternate in one layer; each shape keeps its own primitives.
    @Test func reshapesBetweenBatchSizes() throws {
        let c = OneDNNCase([3, 16, 7, 7], outputs: 16, kernel: (3, 3), pad: (1, 1), group: 2)
        let fast = try oneDNN(c), plain = im2col(c)
        let x = Tensor(), y1 = Tensor(), y2 = Tensor()
        x.reshape(c.input)
        try fast.setUp(bottoms: [x], tops: [y1], store: ParameterStore(seed: 3))
        try plain.setUp(bottoms: [x], tops: [y2], store: ParameterStore(seed: 3))
        // Inputs lie in [-1, 1], so the |terms| of output channel o sum to at most
        // sum(|w_o|) + |b_o|; two Float sums of them differ by 2 K u times that at most.
        let w = fast.parameters[0], b = fast.parameters[1]
        let perOutput = w.count / c.params.numOutput
        let channelBound = (0..<c.params.numOutput).map { o in
            (0..<perOutput).reduce(abs(b.data[o])) { $0 + abs(w.data[o * perOutput + $1]) }
        }
        for (n, seed) in [(3, 1), (1, 2), (3, 3), (2, 4)] as [(Int, UInt64)] {
            x.reshape([n] + c.input.dropFirst())
            let v = randomTensor(x.shape, seed: seed)
            x.data.update(from: v.data, count: x.count)
            try fast.reshape(bottoms: [x], tops: [y1])
            try plain.reshape(bottoms: [x], tops: [y2])
            #expect(y1.shape == y2.shape)
            try fast.forward(bottoms: [x], tops: [y1])
            try plain.forward(bottoms: [x], tops: [y2])
            let spatial = y2.shape[2] * y2.shape[3]
            let bound = (0..<y2.count).map { channelBound[($0 / spatial) % c.params.numOutput] }
            expectWithin(y1.values, y2.values, bound: bound, factor: 2 * Float(c.forwardTerms) * floatRoundoff,
                         "batch \(n)")
        }
    }

    /// A batch split into chunks (two of two images and a rest of one) gives what one call
    /// gives: every chunk adds its share to the parameter gradients.
    @Test(arguments: [cases[1], cases[6]])
    func chunkedBatchMatchesIm2col(_ c: OneDNNCase) throws {
        let input = [5] + c.input.dropFirst()
        let x = randomTensor(input, seed: 12)
        let layer = try oneDNN(c)
        let imageBytes = (input.dropFirst().reduce(1, *) + 1) * MemoryLayout<Float>.stride
        layer.chunkBytes = 2 * imageBytes + (try outputImageBytes(c, input))
        let fast = try convPass(layer, input: x)
        #expect(layer.imagesPerChunk == 2)
        let reference = try convPass(im2col(c), input: x)
        let magnitude = try convPass(im2col(c), input: x, absolute: true)
        let u = floatRoundoff
        expectWithin(fast.y, reference.y, bound: magnitude.y, factor: 2 * Float(c.forwardTerms) * u, "forward")
        expectWithin(fast.dx, reference.dx, bound: magnitude.dx, factor: 2 * Float(c.dataTerms) * u, "input gradient")
        let wt = Float(5 * fast.outputSpatial)
        expectWithin(fast.dw, reference.dw, bound: magnitude.dw, factor: 2 * wt * u, "weight gradient")
        expectWithin(fast.db, reference.db, bound: magnitude.db, factor: 2 * wt * u, "bias gradient")
    }

    /// Bytes of two images' outputs, so a chunk budget holds exactly two images.
    private func outputImageBytes(_ c: OneDNNCase, _ input: [Int]) throws -> Int {
        let y = Tensor(), x = Tensor(shape: input)
        let layer = im2col(c)
        try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try layer.reshape(bottoms: [x], tops: [y])
        return 2 * y.count(from: 1) * MemoryLayout<Float>.stride
    }

    @Test func cannotRunInPlace() throws {
        let c = Self.cases[0]
        let layer = try oneDNN(c)
        let x = Tensor(shape: c.input)
        try layer.setUp(bottoms: [x], tops: [x], store: ParameterStore())
        #expect(throws: LayerError.self) { try layer.reshape(bottoms: [x], tops: [x]) }
    }

    /// bf16 rounds each input and weight to 8 significant bits (relative error u_b = 2^-8 at
    /// most), so a product is off by at most (2 u_b + u_b^2) |term|; the Float sums add the
    /// same 2 K u bound as above, and a bf16 result (where oneDNN offers no Float output) one
    /// more u_b |result| for outputs.
    @Test(.enabled(if: OneDNNLibrary.shared?.instructionSet.hasPrefix("avx512_core") == true, "bf16 needs AVX-512"),
          arguments: [cases[1], cases[6], cases[7], cases[9]])
    func bf16MatchesFloatWithinRounding(_ c: OneDNNCase) throws {
        let x = randomTensor(c.input, seed: 11)
        let layer = try oneDNN(c, precision: .bf16)
        let fast = try convPass(layer, input: x)
        #expect(layer.engineDescription.hasPrefix("onednn bf16"))
        let reference = try convPass(im2col(c), input: x)
        let magnitude = try convPass(im2col(c), input: x, absolute: true)
        let u = floatRoundoff, ub: Float = 0x1p-8
        let product = 2 * ub + ub * ub
        func bound(_ magnitude: [Float], terms: Int, result: [Float]) -> [Float] {
            zip(magnitude, result).map { (product + 2 * Float(terms) * u) * $0 + ub * abs($1) }
        }
        expectWithin(fast.y, reference.y, bound: bound(magnitude.y, terms: c.forwardTerms, result: reference.y),
                     factor: 1, "forward")
        expectWithin(fast.dx, reference.dx, bound: bound(magnitude.dx, terms: c.dataTerms, result: reference.dx),
                     factor: 1, "input gradient")
        let wt = Float(c.weightTerms(outputSpatial: fast.outputSpatial))
        expectWithin(fast.dw, reference.dw, bound: magnitude.dw, factor: product + 2 * wt * u, "weight gradient")
        // The bias gradient sums bf16-rounded top gradients.
        expectWithin(fast.db, reference.db, bound: magnitude.db, factor: ub + 2 * wt * u, "bias gradient")
    }
}

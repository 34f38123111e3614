import NetDSL

/// Caffe's Convolution computed by oneDNN: the same settings, checks, parameters (created
/// through the store with the same shapes and fillers, so snapshots and .caffemodel files are
/// the same as with the im2col layer) and NCHW tensors at its boundary, with oneDNN's blocked
/// layouts inside the layer only.
///
/// Settings, parameters and output shapes come from an im2col `ConvolutionLayer` it holds,
/// which also runs the shapes oneDNN turns down (unless oneDNN was demanded).
///
/// A large batch runs in chunks of images, so the blocked copies of inputs and outputs stay
/// small (they would otherwise add a few hundred MB at batch 256) and in cache.
final class OneDNNConvolutionLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: ConvolutionParams
    let precision: OneDNNPrecision
    /// Whether a shape oneDNN turns down is an error rather than a reason to use im2col.
    let required: Bool
    /// Bytes of blocked copies one chunk of images may take (inputs and outputs together).
    var chunkBytes = 24 << 20
    /// Multiply-adds per image below which the automatic choice keeps im2col: LeNet's
    /// convolutions (0.3M and 1.6M) ran as fast or faster there, CaffeNet's (75M to 450M)
    /// ran 1.2-1.9 times faster on oneDNN.
    var minimumWorkPerImage = 8_000_000
    /// Whether forward also applies the in-place ReLU that follows this layer (set by the
    /// compiler's fusion pass, which then reshapes the layer again to make the plans).
    var fusedReLU = false {
        didSet { if fusedReLU != oldValue { plans.removeAll() } }
    }
    /// Runs on each chunk's output values (`start`, `count`) as soon as forward has written
    /// them, while they are in cache (a folded residual sum, `ResidualSum`).
    var afterEachChunk: ((_ start: Int, _ count: Int) -> Void)?
    /// Whether the plans keep their converted weights between forward passes (set through
    /// `Graph.parametersFixed`).
    var keepsConvertedWeights = false {
        didSet { for plan in plans.values { plan.keepsWeights = keepsConvertedWeights } }
    }
    private let library: OneDNNLibrary
    private let im2col: ConvolutionLayer
    private var plans: [OneDNNConvolutionShape: OneDNNConvolution] = [:]
    /// The images of the current batch, chunk by chunk, with the plan for each chunk's size.
    private var chunks: [(images: Range<Int>, plan: OneDNNConvolution)] = []
    /// Why the current shape runs on im2col, when it does.
    private(set) var fallbackReason: String?
    /// A backward pass that failed half way; thrown by the next forward.
    private var backwardFailure: String?

    init(spec: LayerSpec, params: ConvolutionParams, library: OneDNNLibrary, precision: OneDNNPrecision = .f32,
         required: Bool = false) {
        self.spec = spec
        self.params = params
        self.library = library
        self.precision = precision
        self.required = required
        im2col = ConvolutionLayer(spec: spec, params: params)
    }

    var parameters: [Tensor] { im2col.parameters }

    /// The engine the current shape runs on: `onednn f32 (jit:avx512_core)`, or `im2col` with the reason.
    var engineDescription: String {
        if let plan = chunks.first?.plan {
            return "onednn \(precision.rawValue) (\(plan.implementations["forward"] ?? "unknown"))"
        }
        return "im2col" + (fallbackReason.map { " (\($0))" } ?? "")
    }

    /// oneDNN's kernel names for the current shape, by pass; empty on im2col.
    var implementations: [String: String] { chunks.first?.plan.implementations ?? [:] }

    /// Images per chunk for the current shape.
    var imagesPerChunk: Int { chunks.first?.images.count ?? 0 }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try im2col.setUp(bottoms: bottoms, tops: tops, store: store)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        try im2col.reshape(bottoms: bottoms, tops: tops)
        let x = bottoms[0], y = tops[0]
        let batch = x.shape[0]
        // Blocked copies of an image's input and output (and, backward, their gradients).
        let imageBytes = max(1, (x.count(from: 1) + y.count(from: 1)) * MemoryLayout<Float>.stride)
        let perChunk = max(1, min(batch, chunkBytes / imageBytes))
        if !required && DepthwiseConvolution.applies(channels: x.shape[1], group: params.group,
                                                     numOutput: params.numOutput) {
            chunks = []
            fallbackReason = "depthwise: Crema's direct kernel"
            return
        }
        let work = y.count(from: 1) * (x.shape[1] / params.group) * params.kernelH * params.kernelW
        if !required && work < minimumWorkPerImage {
            chunks = []
            fallbackReason = "\(work) multiply-adds per image: too small to gain from oneDNN"
            return
        }
        do {
            var made: [(Range<Int>, OneDNNConvolution)] = []
            var start = 0
            while start < batch {
                let end = min(batch, start + perChunk)
                made.append((start..<end, try plan(images: end - start, like: x)))
                start = end
            }
            chunks = made
            fallbackReason = nil
        } catch {
            if required {
                throw LayerError(spec, "oneDNN cannot run this convolution on \(shapeText(x.shape)): \(error); set CREMA_CONV_ENGINE=im2col to use the im2col engine")
            }
            chunks = []
            fallbackReason = "\(error)"
        }
    }

    /// The plan for `images` images of `x`'s shape, made once and kept.
    private func plan(images: Int, like x: Tensor) throws -> OneDNNConvolution {
        let p = params
        let shape = OneDNNConvolutionShape(batch: images, channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                                           numOutput: p.numOutput, group: p.group, kernelH: p.kernelH, kernelW: p.kernelW,
                                           strideH: p.strideH, strideW: p.strideW, padH: p.padH, padW: p.padW,
                                           dilationH: p.dilationH, dilationW: p.dilationW,
                                           bias: p.biasTerm, reluAfter: fusedReLU)
        if let cached = plans[shape] { return cached }
        let made = try OneDNNConvolution(library, shape: shape, precision: precision)
        made.keepsWeights = keepsConvertedWeights
        // A net alternates between a few batch sizes (train, test), each a chunk and a rest.
        if plans.count >= 8 { plans.removeAll() }
        plans[shape] = made
        return made
    }

    /// Makes the next forward convert the weights again (they changed).
    func dropConvertedWeights() {
        for plan in plans.values { plan.dropWeights() }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        if let failure = backwardFailure {
            throw LayerError(spec, "oneDNN's backward convolution failed: \(failure); set CREMA_CONV_ENGINE=im2col to use the im2col engine")
        }
        guard !chunks.isEmpty else {
            try im2col.forward(bottoms: bottoms, tops: tops)
            if fusedReLU {
                let y = tops[0].data
                Parallel.forEachChunk(tops[0].count) { r in
                    for i in r { y[i] = max(y[i], 0) }
                }
            }
            afterEachChunk?(0, tops[0].count)
            return
        }
        let x = bottoms[0], y = tops[0]
        let w = im2col.parameters
        do {
            try eachChunk(x, y) { plan, input, output, loadWeights in
                try plan.forward(x: x.data + input, w: w[0].data, b: params.biasTerm ? w[1].data : nil,
                                 y: y.data + output, loadWeights: loadWeights)
                afterEachChunk?(output, plan.shape.batch * y.count(from: 1))
            }
        } catch {
            throw LayerError(spec, "oneDNN convolution failed: \(error); set CREMA_CONV_ENGINE=im2col to use the im2col engine")
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        let propagate = propagateDown.first ?? false
        do {
            for (_, plan) in chunks { try plan.prepareBackward(withData: propagate) }
        } catch {
            // Nothing has run yet: the im2col pass stands in for shapes whose backward oneDNN
            // turns down (Layer.backward cannot throw; `required` reports it at the next forward).
            if required { backwardFailure = "\(error)" }
            fallbackReason = "backward: \(error)"
            chunks = []
        }
        guard !chunks.isEmpty else {
            im2col.backward(tops: tops, propagateDown: propagateDown, bottoms: bottoms)
            return
        }
        let x = bottoms[0], y = tops[0]
        let w = im2col.parameters
        do {
            // Each chunk adds its share to the parameter gradients.
            try eachChunk(x, y) { plan, input, output, loadWeights in
                try plan.backward(x: x.data + input, w: w[0].data, dy: y.diff + output, dw: w[0].diff,
                                  db: params.biasTerm ? w[1].diff : nil, dx: propagate ? x.diff + input : nil,
                                  loadWeights: loadWeights)
            }
        } catch {
            // Part of the gradients may be in place already, so no other engine can finish the
            // pass; the next forward reports it.
            backwardFailure = "\(error)"
        }
    }

    /// Calls `body(plan, input offset, output offset, loadWeights)` for each chunk of images;
    /// `loadWeights` is true the first time a plan comes up in the pass (chunks of one size
    /// share a plan, which converts the weights once).
    private func eachChunk(_ x: Tensor, _ y: Tensor,
                           _ body: (OneDNNConvolution, Int, Int, Bool) throws -> Void) throws {
        let inCount = x.count(from: 1), outCount = y.count(from: 1)
        var loaded = Set<ObjectIdentifier>()
        for (images, plan) in chunks {
            try body(plan, images.lowerBound * inCount, images.lowerBound * outCount,
                     loaded.insert(ObjectIdentifier(plan)).inserted)
        }
    }
}

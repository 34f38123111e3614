import CDNNL

/// Element type oneDNN computes convolutions in. Parameters, gradients and Crema's tensors stay
/// Float either way: bf16 copies are made for the products only (bf16 inputs and weights,
/// Float accumulation and results), which pays on processors with AMX.
public enum OneDNNPrecision: String, Sendable, CaseIterable {
    case f32, bf16
}

/// The settings of one 2-D convolution, Caffe's meaning, for one input shape.
struct OneDNNConvolutionShape: Hashable {
    var batch: Int, channels: Int, height: Int, width: Int
    var numOutput: Int, group: Int
    var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int
    var dilationH = 1, dilationW = 1
    var bias: Bool
    /// Whether the forward result goes through max(0, y) before it is stored (a ReLU fused in).
    var reluAfter = false

    var outH: Int { (height + 2 * padH - (dilationH * (kernelH - 1) + 1)) / strideH + 1 }
    var outW: Int { (width + 2 * padW - (dilationW * (kernelW - 1) + 1)) / strideW + 1 }
    var srcDims: [Int] { [batch, channels, height, width] }
    var dstDims: [Int] { [batch, numOutput, outH, outW] }
    /// Crema's `numOutput x C/group x kh x kw` weights are oneDNN's goihw with the group split off.
    var weightDims: [Int] {
        group > 1 ? [group, numOutput / group, channels / group, kernelH, kernelW]
                  : [numOutput, channels, kernelH, kernelW]
    }
    var weightTag: dnnl_format_tag_t { group > 1 ? dnnl_goihw : dnnl_oihw }
}

/// oneDNN's convolution for one input shape: forward, backward-data and backward-weights
/// primitives in the layouts oneDNN prefers, with the reorders from and to Crema's NCHW
/// tensors and OIHW parameters. Backward primitives are made on first use.
final class OneDNNConvolution {
    let shape: OneDNNConvolutionShape
    let precision: OneDNNPrecision
    private let lib: OneDNNLibrary
    private let stream: DNNLStream
    private let plainSrc: DNNLDesc, plainDst: DNNLDesc, plainWeights: DNNLDesc, plainBias: DNNLDesc

    private let forwardPrimitive: DNNLPrimitive
    private let src: OneDNNPort, weights: OneDNNPort, dst: OneDNNPort
    private let bias: DNNLMemory?
    private var backwardPass: Backward?
    /// Whether the forward pass may reuse the weights it converted last, until `dropWeights()`:
    /// set while the parameters are held fixed (inference), where converting CaffeNet's
    /// weights took its batch-1 convolutions from about 6 to 9 ms.
    var keepsWeights = false {
        didSet { if !keepsWeights { weightsHeld = false } }
    }
    /// Whether the forward weights copy holds the current parameters (only while `keepsWeights`).
    private var weightsHeld = false

    /// Forgets the converted weights: the next forward converts them again.
    func dropWeights() { weightsHeld = false }

    /// oneDNN's names for the kernels, for reports.
    var implementations: [String: String] {
        var names = ["forward": forwardPrimitive.implementation]
        if let b = backwardPass {
            names["backward-weights"] = b.weightsPrimitive.implementation
            if let d = b.dataPrimitive { names["backward-data"] = d.implementation }
        }
        return names
    }

    init(_ lib: OneDNNLibrary, shape: OneDNNConvolutionShape, precision: OneDNNPrecision) throws {
        self.lib = lib
        self.shape = shape
        self.precision = precision
        stream = try DNNLStream(lib)
        lib.useCremaThreads()
        plainSrc = try DNNLDesc(lib, dims: shape.srcDims, type: dnnl_f32, tag: dnnl_nchw)
        plainDst = try DNNLDesc(lib, dims: shape.dstDims, type: dnnl_f32, tag: dnnl_nchw)
        plainWeights = try DNNLDesc(lib, dims: shape.weightDims, type: dnnl_f32, tag: shape.weightTag)
        plainBias = try DNNLDesc(lib, dims: [shape.numOutput], type: dnnl_f32, tag: dnnl_x)

        // bf16 products write Float results where oneDNN offers that (one rounding fewer).
        var made: DNNLPrimitive?
        var failure: Error?
        for dstType in precision == .bf16 ? [dnnl_f32, dnnl_bf16] : [dnnl_f32] {
            do {
                made = try Self.makeForward(lib, shape, compute: precision.dataType, dstType: dstType,
                                            withBias: shape.bias)
                break
            } catch {
                failure = error
            }
        }
        guard let made else { throw failure ?? OneDNNError("no forward convolution") }
        forwardPrimitive = made
        src = try OneDNNPort(lib, plain: plainSrc, wanted: made.desc(dnnl_query_src_md), .input, transient: true)
        weights = try OneDNNPort(lib, plain: plainWeights, wanted: made.desc(dnnl_query_weights_md), .input, transient: false)
        dst = try OneDNNPort(lib, plain: plainDst, wanted: made.desc(dnnl_query_dst_md), .output, transient: true)
        bias = shape.bias ? try DNNLMemory(lib, plainBias) : nil
    }

    private static func makeForward(_ lib: OneDNNLibrary, _ s: OneDNNConvolutionShape, compute: dnnl_data_type_t,
                                    dstType: dnnl_data_type_t, withBias: Bool) throws -> DNNLPrimitive {
        let any = dnnl_format_tag_any
        var srcD = try DNNLDesc(lib, dims: s.srcDims, type: compute, tag: any).raw
        var weightD = try DNNLDesc(lib, dims: s.weightDims, type: compute, tag: any).raw
        let biasD = try DNNLDesc(lib, dims: [s.numOutput], type: dnnl_f32, tag: dnnl_x).raw
        var dstD = try DNNLDesc(lib, dims: s.dstDims, type: dstType, tag: any).raw
        var op = dnnl_convolution_desc_t()
        try withGeometry(s) { strides, dilates, pads, padsRight in
            try withUnsafePointer(to: biasD) { biasPointer in
                try lib.check(lib.convolutionForwardDescInit(&op, dnnl_forward_training, dnnl_convolution_direct, &srcD,
                                                             &weightD, withBias ? biasPointer : nil, &dstD, strides, dilates,
                                                             pads, padsRight),
                              "describing the forward convolution")
            }
        }
        guard s.reluAfter else { return try DNNLPrimitive(lib, operation: &op, what: "forward convolution") }
        // The ReLU applied to each output block while it is still in cache: a separate pass
        // over CaffeNet's conv1 output reads and writes 74 MB at batch 64.
        var ops: OpaquePointer?, attributes: OpaquePointer?
        try lib.check(lib.postOpsCreate(&ops), "creating post-ops")
        defer { _ = lib.postOpsDestroy(ops) }
        try lib.check(lib.postOpsAppendEltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "adding a ReLU post-op")
        try lib.check(lib.attrCreate(&attributes), "creating attributes")
        defer { _ = lib.attrDestroy(attributes) }
        try lib.check(lib.attrSetPostOps(attributes, ops), "setting post-ops")
        return try DNNLPrimitive(lib, operation: &op, attributes: attributes, what: "forward convolution with ReLU")
    }

    /// Strides, dilations and paddings as oneDNN's dims. Caffe pads both sides alike and rounds
    /// the output size down, which is what oneDNN computes from the same left and right padding;
    /// oneDNN counts dilation from 0 (Caffe's 1, a plain convolution, is its 0).
    private static func withGeometry(_ s: OneDNNConvolutionShape,
                                     _ body: (UnsafePointer<Int64>, UnsafePointer<Int64>, UnsafePointer<Int64>,
                                              UnsafePointer<Int64>) throws -> Void) throws {
        let rest = Array(repeating: Int64(0), count: 10)
        let strides = [Int64(s.strideH), Int64(s.strideW)] + rest
        let dilates = [Int64(s.dilationH - 1), Int64(s.dilationW - 1)] + rest
        let pads = [Int64(s.padH), Int64(s.padW)] + rest
        try strides.withUnsafeBufferPointer { st in
            try dilates.withUnsafeBufferPointer { d in
                try pads.withUnsafeBufferPointer { p in
                    // Every baseAddress exists: the arrays are not empty.
                    guard let st = st.baseAddress, let d = d.baseAddress, let p = p.baseAddress else { return }
                    try body(st, d, p, p)
                }
            }
        }
    }

    // MARK: - Forward

    /// y = conv(x, w) + b, all plain Float; `b` is ignored without a bias. `loadWeights` false
    /// reuses the weights this plan converted last (for the later chunks of one batch).
    func forward(x: UnsafeMutablePointer<Float>, w: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>?,
                 y: UnsafeMutablePointer<Float>, loadWeights: Bool = true) throws {
        lib.useCremaThreads()
        try src.bind(x)
        try weights.bind(w)
        try dst.bind(y)
        var args: [(Int32, DNNLMemory)] = [(Int32(CREMA_DNNL_ARG_SRC), src.memory),
                                           (Int32(CREMA_DNNL_ARG_WEIGHTS), weights.memory),
                                           (Int32(CREMA_DNNL_ARG_DST), dst.memory)]
        if let bias, let b {
            try bias.bind(UnsafeMutableRawPointer(b))
            args.append((Int32(CREMA_DNNL_ARG_BIAS), bias))
        }
        try OneDNNScratch.shared.with([src.scratchBytes, dst.scratchBytes]) { region in
            try src.bindCopy(region[0])
            try dst.bindCopy(region[1])
            try src.load(stream)
            // Weights change with every solver step, so they are reordered every pass unless
            // they are held fixed.
            if loadWeights && !weightsHeld {
                try weights.load(stream)
                weightsHeld = keepsWeights
            }
            try forwardPrimitive.execute(stream, args)
            try dst.store(stream)
            try stream.wait()
        }
    }

    // MARK: - Backward

    private final class Backward {
        let weightsPrimitive: DNNLPrimitive
        let dataPrimitive: DNNLPrimitive?
        let weightsSrc: OneDNNPort
        let weightsTopDiff: OneDNNPort
        let weightDiff: OneDNNPort
        let biasDiff: OneDNNPort?
        let dataTopDiff: OneDNNPort?
        /// The data pass reads the same top-gradient copy as the weights pass when their layouts agree.
        let sharesTopDiff: Bool
        let dataWeights: OneDNNPort?
        let bottomDiff: OneDNNPort?

        init(weightsPrimitive: DNNLPrimitive, dataPrimitive: DNNLPrimitive?, weightsSrc: OneDNNPort,
             weightsTopDiff: OneDNNPort, weightDiff: OneDNNPort, biasDiff: OneDNNPort?, dataTopDiff: OneDNNPort?,
             sharesTopDiff: Bool, dataWeights: OneDNNPort?, bottomDiff: OneDNNPort?) {
            self.weightsPrimitive = weightsPrimitive
            self.dataPrimitive = dataPrimitive
            self.weightsSrc = weightsSrc
            self.weightsTopDiff = weightsTopDiff
            self.weightDiff = weightDiff
            self.biasDiff = biasDiff
            self.dataTopDiff = dataTopDiff
            self.sharesTopDiff = sharesTopDiff
            self.dataWeights = dataWeights
            self.bottomDiff = bottomDiff
        }
    }

    private func makeBackward(withData: Bool) throws -> Backward {
        let s = shape
        let compute = precision.dataType
        let any = dnnl_format_tag_any

        var srcD = try DNNLDesc(lib, dims: s.srcDims, type: compute, tag: any).raw
        var weightDiffD = try DNNLDesc(lib, dims: s.weightDims, type: dnnl_f32, tag: any).raw
        var topDiffD = try DNNLDesc(lib, dims: s.dstDims, type: compute, tag: any).raw
        var weightsOp = dnnl_convolution_desc_t()
        try Self.withGeometry(s) { strides, dilates, pads, padsRight in
            try withUnsafePointer(to: plainBias.raw) { biasPointer in
                try lib.check(lib.convolutionBackwardWeightsDescInit(&weightsOp, dnnl_convolution_direct, &srcD, &weightDiffD,
                                                                     s.bias ? biasPointer : nil, &topDiffD, strides, dilates,
                                                                     pads, padsRight),
                              "describing the backward-weights convolution")
            }
        }
        let wp = try DNNLPrimitive(lib, operation: &weightsOp, hint: forwardPrimitive, what: "backward-weights convolution")
        let weightsSrc = try OneDNNPort(lib, plain: plainSrc, wanted: wp.desc(dnnl_query_src_md), .input, transient: true)
        let weightsTopDiff = try OneDNNPort(lib, plain: plainDst, wanted: wp.desc(dnnl_query_diff_dst_md), .input,
                                            transient: true)
        let weightDiff = try OneDNNPort(lib, plain: plainWeights, wanted: wp.desc(dnnl_query_diff_weights_md), .output,
                                        accumulate: true, transient: false)
        let biasDiff = s.bias ? try OneDNNPort(lib, plain: plainBias, wanted: plainBias, .output, accumulate: true,
                                               transient: false) : nil

        var dp: DNNLPrimitive?
        var dataTopDiff: OneDNNPort?, dataWeights: OneDNNPort?, bottomDiff: OneDNNPort?
        var shares = false
        if withData {
            let made = try makeBackwardData()
            dp = made
            let topDiffWanted = try made.desc(dnnl_query_diff_dst_md)
            shares = topDiffWanted.equals(weightsTopDiff.memory.desc, lib)
            dataTopDiff = shares ? weightsTopDiff
                                 : try OneDNNPort(lib, plain: plainDst, wanted: topDiffWanted, .input, transient: true)
            dataWeights = try OneDNNPort(lib, plain: plainWeights, wanted: made.desc(dnnl_query_weights_md), .input,
                                         transient: false)
            bottomDiff = try OneDNNPort(lib, plain: plainSrc, wanted: made.desc(dnnl_query_diff_src_md), .output,
                                        transient: true)
        }
        return Backward(weightsPrimitive: wp, dataPrimitive: dp, weightsSrc: weightsSrc, weightsTopDiff: weightsTopDiff,
                        weightDiff: weightDiff, biasDiff: biasDiff, dataTopDiff: dataTopDiff, sharesTopDiff: shares,
                        dataWeights: dataWeights, bottomDiff: bottomDiff)
    }

    /// With few input channels per group (an RGB image) oneDNN's blocked layouts pad the
    /// channels to 16 and its data gradient runs slowly; a plain NCHW gradient picks its GEMM
    /// kernel instead. Float gradients first for bf16, bf16 where that is all there is.
    private func makeBackwardData() throws -> DNNLPrimitive {
        let s = shape
        let compute = precision.dataType
        let tags = s.channels / s.group < 8 ? [dnnl_nchw, dnnl_format_tag_any] : [dnnl_format_tag_any]
        let types = precision == .bf16 ? [dnnl_f32, dnnl_bf16] : [dnnl_f32]
        var failure: Error?
        for tag in tags {
            for type in types {
                do {
                    var bottomDiffD = try DNNLDesc(lib, dims: s.srcDims, type: type, tag: tag).raw
                    var weightD = try DNNLDesc(lib, dims: s.weightDims, type: compute, tag: dnnl_format_tag_any).raw
                    var topDiffD = try DNNLDesc(lib, dims: s.dstDims, type: compute, tag: dnnl_format_tag_any).raw
                    var op = dnnl_convolution_desc_t()
                    try Self.withGeometry(s) { strides, dilates, pads, padsRight in
                        try lib.check(lib.convolutionBackwardDataDescInit(&op, dnnl_convolution_direct, &bottomDiffD, &weightD,
                                                                          &topDiffD, strides, dilates, pads, padsRight),
                                      "describing the backward-data convolution")
                    }
                    return try DNNLPrimitive(lib, operation: &op, hint: forwardPrimitive, what: "backward-data convolution")
                } catch {
                    failure = error
                }
            }
        }
        throw failure ?? OneDNNError("no backward-data convolution")
    }

    /// Makes the backward primitives (the data pass only when asked for); nothing runs, so a
    /// failure here leaves every gradient as it was.
    func prepareBackward(withData: Bool) throws {
        guard backwardPass == nil || (withData && backwardPass?.dataPrimitive == nil) else { return }
        lib.useCremaThreads()
        backwardPass = try makeBackward(withData: withData)
    }

    /// Adds the weight and bias gradients into `dw` and `db` and, when `dx` is given, writes
    /// the input gradient there. `x` and `w` are the forward pass's input and weights;
    /// `loadWeights` as for `forward`.
    func backward(x: UnsafeMutablePointer<Float>, w: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>,
                  dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                  dx: UnsafeMutablePointer<Float>?, loadWeights: Bool = true) throws {
        lib.useCremaThreads()
        let wantData = dx != nil
        try prepareBackward(withData: wantData)
        guard let b = backwardPass else { return }
        try b.weightsSrc.bind(x)
        try b.weightsTopDiff.bind(dy)
        try b.weightDiff.bind(dw)
        if let biasDiff = b.biasDiff, let db { try biasDiff.bind(db) }
        var weightArgs: [(Int32, DNNLMemory)] = [(Int32(CREMA_DNNL_ARG_SRC), b.weightsSrc.memory),
                                                 (Int32(CREMA_DNNL_ARG_DIFF_DST), b.weightsTopDiff.memory),
                                                 (Int32(CREMA_DNNL_ARG_DIFF_WEIGHTS), b.weightDiff.memory)]
        if let biasDiff = b.biasDiff { weightArgs.append((Int32(CREMA_DNNL_ARG_DIFF_BIAS), biasDiff.memory)) }

        // The data pass's ports, when it runs.
        var data: (primitive: DNNLPrimitive, topDiff: OneDNNPort, weights: OneDNNPort, bottomDiff: OneDNNPort)?
        if let dx, let dp = b.dataPrimitive, let t = b.dataTopDiff, let wd = b.dataWeights, let bd = b.bottomDiff {
            if !b.sharesTopDiff { try t.bind(dy) }
            try wd.bind(w)
            try bd.bind(dx)
            data = (dp, t, wd, bd)
        }
        let sizes = [b.weightsSrc.scratchBytes, b.weightsTopDiff.scratchBytes,
                     data != nil && !b.sharesTopDiff ? data?.topDiff.scratchBytes ?? 0 : 0,
                     data?.bottomDiff.scratchBytes ?? 0]
        try OneDNNScratch.shared.with(sizes) { region in
            try b.weightsSrc.bindCopy(region[0])
            try b.weightsTopDiff.bindCopy(region[1])
            try b.weightsSrc.load(stream)
            try b.weightsTopDiff.load(stream)
            try b.weightsPrimitive.execute(stream, weightArgs)
            try b.weightDiff.store(stream)
            try b.biasDiff?.store(stream)
            if let data {
                if !b.sharesTopDiff {
                    try data.topDiff.bindCopy(region[2])
                    try data.topDiff.load(stream)
                }
                try data.bottomDiff.bindCopy(region[3])
                if loadWeights { try data.weights.load(stream) }
                try data.primitive.execute(stream, [(Int32(CREMA_DNNL_ARG_DIFF_DST), data.topDiff.memory),
                                                    (Int32(CREMA_DNNL_ARG_WEIGHTS), data.weights.memory),
                                                    (Int32(CREMA_DNNL_ARG_DIFF_SRC), data.bottomDiff.memory)])
                try data.bottomDiff.store(stream)
            }
            try stream.wait()
        }
    }
}

extension OneDNNPrecision {
    var dataType: dnnl_data_type_t { self == .bf16 ? dnnl_bf16 : dnnl_f32 }
}

import NetDSL

/// Convolution, InnerProduct and Pooling settings, and fillers, with Caffe's rules for
/// kernel/stride/pad (one value for both axes, one per axis, or the `_h`/`_w` pair; not both).
enum ConvolutionConversion {
    static func convolution(_ p: Caffe_ConvolutionParameter, _ f: MessageFields) -> LayerKind? {
        guard let cf = f.message("convolution_param") else {
            f.problem(nil, "has no convolution_param; add convolution_param { num_output: ... kernel_size: ... }")
            return nil
        }
        cf.use("num_output", "bias_term", "group", "axis", "force_nd_im2col", "kernel_h", "kernel_w",
               "stride_h", "stride_w", "pad_h", "pad_w")
        guard p.numOutput > 0 else {
            cf.problem(cf.node("num_output"), "convolution_param needs num_output greater than 0")
            return nil
        }
        let kernel = pair(cf, "kernel_size", p.kernelSize, h: p.hasKernelH ? p.kernelH : nil,
                          w: p.hasKernelW ? p.kernelW : nil, default: nil)
        let stride = pair(cf, "stride", p.stride, h: p.hasStrideH ? p.strideH : nil,
                          w: p.hasStrideW ? p.strideW : nil, default: 1)
        let pad = pair(cf, "pad", p.pad, h: p.hasPadH ? p.padH : nil, w: p.hasPadW ? p.padW : nil, default: 0)
        for (value, node) in zip(p.dilation, cf.all("dilation")) where value != 1 {
            cf.unsupported(node, "Crema's convolution has no dilation; remove it or use dilation: 1")
        }
        if p.axis != 1 {
            cf.unsupported(cf.node("axis"), "Crema convolves NCHW blobs over axis 1 only")
        }
        if p.hasForceNdIm2Col, p.forceNdIm2Col {
            cf.note(cf.node("force_nd_im2col"), "ignored: Crema has one im2col")
        }
        LayerKindConversion.engine(p.engine == .cudnn, cf)
        let weights = filler(p.weightFiller, cf.message("weight_filler"))
        let bias = filler(p.biasFiller, cf.message("bias_filler"))
        guard let kernel, let stride, let pad, let weights, let bias else { return nil }
        guard kernel.0 > 0 && kernel.1 > 0 else {
            cf.problem(cf.node("kernel_size") ?? cf.node("kernel_h"), "kernel sizes must be positive")
            return nil
        }
        guard stride.0 > 0 && stride.1 > 0 else {
            cf.problem(cf.node("stride") ?? cf.node("stride_h"), "strides must be positive")
            return nil
        }
        var params = ConvolutionParams(numOutput: Int(p.numOutput), kernelH: kernel.0, kernelW: kernel.1)
        (params.strideH, params.strideW) = stride
        (params.padH, params.padW) = pad
        params.group = Int(p.group)
        params.biasTerm = p.biasTerm
        params.weightFiller = weights
        params.biasFiller = bias
        return .convolution(params)
    }

    static func innerProduct(_ p: Caffe_InnerProductParameter, _ f: MessageFields) -> LayerKind? {
        guard let pf = f.message("inner_product_param") else {
            f.problem(nil, "has no inner_product_param; add inner_product_param { num_output: ... }")
            return nil
        }
        pf.use("num_output", "bias_term", "axis", "transpose")
        guard p.numOutput > 0 else {
            pf.problem(pf.node("num_output"), "inner_product_param needs num_output greater than 0")
            return nil
        }
        if p.transpose {
            pf.unsupported(pf.node("transpose"), "Crema stores InnerProduct weights as outputs x inputs only; remove it")
        }
        guard let weights = filler(p.weightFiller, pf.message("weight_filler")),
              let bias = filler(p.biasFiller, pf.message("bias_filler")) else { return nil }
        var params = InnerProductParams(numOutput: Int(p.numOutput))
        params.biasTerm = p.biasTerm
        params.axis = Int(p.axis)
        params.weightFiller = weights
        params.biasFiller = bias
        return .innerProduct(params)
    }

    static func pooling(_ p: Caffe_PoolingParameter, _ f: MessageFields) -> LayerKind? {
        guard let pf = f.message("pooling_param") else {
            f.problem(nil, "has no pooling_param; add pooling_param { pool: MAX kernel_size: ... stride: ... }")
            return nil
        }
        pf.use("pool", "global_pooling", "round_mode", "kernel_size", "kernel_h", "kernel_w",
               "stride", "stride_h", "stride_w", "pad", "pad_h", "pad_w")
        let method: PoolMethod
        switch p.pool {
        case .max: method = .max
        case .ave: method = .average
        case .stochastic:
            pf.unsupported(pf.node("pool"), "Crema pools with MAX or AVE only")
            return nil
        }
        if p.roundMode == .floor {
            pf.unsupported(pf.node("round_mode"), "Crema rounds pooled sizes up as Caffe's default CEIL does; remove it")
        }
        LayerKindConversion.engine(p.engine == .cudnn, pf)
        let kernelNode = pf.node("kernel_size") ?? pf.node("kernel_h") ?? pf.node("kernel_w")
        let kernel: (Int, Int)?
        if p.globalPooling {
            if let kernelNode {
                pf.problem(kernelNode, "gives a kernel size with global_pooling: true; Caffe rejects that, so remove the kernel size")
            }
            kernel = (1, 1)
        } else {
            kernel = pair(pf, "kernel_size", p.hasKernelSize ? [p.kernelSize] : [],
                          h: p.hasKernelH ? p.kernelH : nil, w: p.hasKernelW ? p.kernelW : nil, default: nil)
        }
        let stride = pair(pf, "stride", p.hasStride ? [p.stride] : [], h: p.hasStrideH ? p.strideH : nil,
                          w: p.hasStrideW ? p.strideW : nil, default: 1)
        let pad = pair(pf, "pad", p.hasPad ? [p.pad] : [], h: p.hasPadH ? p.padH : nil,
                       w: p.hasPadW ? p.padW : nil, default: 0)
        guard let kernel, let stride, let pad else { return nil }
        if p.globalPooling && (stride != (1, 1) || pad != (0, 0)) {
            pf.problem(pf.node("stride") ?? pf.node("pad") ?? pf.node("stride_h") ?? pf.node("pad_h"),
                       "global_pooling: true takes only stride 1 and pad 0 in Caffe; remove them")
            return nil
        }
        guard kernel.0 > 0 && kernel.1 > 0 else {
            pf.problem(kernelNode, "kernel sizes must be positive")
            return nil
        }
        var params = PoolingParams(method: method, kernelH: kernel.0, kernelW: kernel.1)
        (params.strideH, params.strideW) = stride
        (params.padH, params.padW) = pad
        params.globalPooling = p.globalPooling
        return .pooling(params)
    }

    /// (height, width) from `name` (once for both, or once per axis) or `name_h` with
    /// `name_w`; `name` without `_size` gives the pair's stem ("kernel_size" -> "kernel_h").
    private static func pair(_ f: MessageFields, _ name: String, _ values: [UInt32], h: UInt32?, w: UInt32?,
                             default fallback: Int?) -> (Int, Int)? {
        let stem = name.hasSuffix("_size") ? String(name.dropLast(5)) : name
        let nodes = f.all(name)
        if h != nil || w != nil {
            guard values.isEmpty else {
                f.problem(nodes.first, "gives both \(name) and \(stem)_h/\(stem)_w; Caffe takes one or the other, so keep one")
                return nil
            }
            guard let h, let w else {
                f.problem(f.node("\(stem)_h") ?? f.node("\(stem)_w"), "gives only one of \(stem)_h and \(stem)_w; give both")
                return nil
            }
            return (Int(h), Int(w))
        }
        switch values.count {
        case 0:
            guard let fallback else {
                f.problem(nil, "\(f.path.isEmpty ? "" : "\(f.path.dropLast()) ")has no \(name); add \(name): ... (or \(stem)_h and \(stem)_w)")
                return nil
            }
            return (fallback, fallback)
        case 1: return (Int(values[0]), Int(values[0]))
        case 2: return (Int(values[0]), Int(values[1]))
        default:
            f.problem(nodes[2], "gives \(name) \(values.count) times; Crema's 2-D layers take one value, or one for height and one for width")
            return nil
        }
    }

    /// Caffe's FillerParameter: absent means constant 0.
    static func filler(_ p: Caffe_FillerParameter, _ f: MessageFields?) -> Filler? {
        guard let f else { return .constant(0) }
        f.use("type", "value", "min", "max", "mean", "std", "sparse", "variance_norm")
        let norm: Filler.VarianceNorm
        switch p.varianceNorm {
        case .fanIn: norm = .fanIn
        case .fanOut: norm = .fanOut
        case .average: norm = .average
        }
        let filler: Filler
        let reads: [String]
        switch p.type {
        case "constant": (filler, reads) = (.constant(p.value), ["value"])
        case "gaussian": (filler, reads) = (.gaussian(mean: p.mean, std: p.std), ["mean", "std", "sparse"])
        case "uniform": (filler, reads) = (.uniform(min: p.min, max: p.max), ["min", "max"])
        case "xavier": (filler, reads) = (.xavier(norm), ["variance_norm"])
        case "msra": (filler, reads) = (.msra(norm), ["variance_norm"])
        default:
            f.unsupported(f.node("type"), "Crema's fillers are constant, gaussian, uniform, xavier and msra")
            return nil
        }
        if p.hasSparse && p.sparse >= 0 && p.type == "gaussian" {
            f.unsupported(f.node("sparse"), "Crema's gaussian filler is dense; remove it")
            return nil
        }
        for name in ["value", "min", "max", "mean", "std", "sparse", "variance_norm"] where !reads.contains(name) {
            if let node = f.node(name) { f.note(node, "ignored: Caffe's \(p.type) filler does not read it either") }
        }
        return filler
    }
}

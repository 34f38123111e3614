public struct ConvolutionParams: Codable, Equatable, Sendable {
    public var numOutput: Int
    public var kernelH: Int
    public var kernelW: Int
    public var strideH = 1
    public var strideW = 1
    public var padH = 0
    public var padW = 0
    /// Distance between the kernel's taps (Caffe's `dilation`; 1 is a plain convolution).
    public var dilationH = 1
    public var dilationW = 1
    public var group = 1
    public var biasTerm = true
    public var weightFiller: Filler = .constant(0)
    public var biasFiller: Filler = .constant(0)
    public init(numOutput: Int, kernelH: Int, kernelW: Int) {
        self.numOutput = numOutput
        self.kernelH = kernelH
        self.kernelW = kernelW
    }

    /// The extent the kernel covers on the input: `dilation x (kernel - 1) + 1`.
    public var effectiveKernelH: Int { dilationH * (kernelH - 1) + 1 }
    public var effectiveKernelW: Int { dilationW * (kernelW - 1) + 1 }

    private enum CodingKeys: String, CodingKey {
        case numOutput, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, group, biasTerm
        case weightFiller, biasFiller
    }

    /// Run records written before dilation was a setting have none: 1.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        numOutput = try c.decode(Int.self, forKey: .numOutput)
        kernelH = try c.decode(Int.self, forKey: .kernelH)
        kernelW = try c.decode(Int.self, forKey: .kernelW)
        strideH = try c.decode(Int.self, forKey: .strideH)
        strideW = try c.decode(Int.self, forKey: .strideW)
        padH = try c.decode(Int.self, forKey: .padH)
        padW = try c.decode(Int.self, forKey: .padW)
        dilationH = try c.decodeIfPresent(Int.self, forKey: .dilationH) ?? 1
        dilationW = try c.decodeIfPresent(Int.self, forKey: .dilationW) ?? 1
        group = try c.decode(Int.self, forKey: .group)
        biasTerm = try c.decode(Bool.self, forKey: .biasTerm)
        weightFiller = try c.decode(Filler.self, forKey: .weightFiller)
        biasFiller = try c.decode(Filler.self, forKey: .biasFiller)
    }
}

/// 2-D convolution over NCHW blobs, with groups, padding, strides and rectangular kernels.
public struct Convolution: NetLayer {
    public var base: LayerSpec
    public var params: ConvolutionParams
    public var kind: LayerKind { .convolution(params) }

    public init(_ name: String = "", outputs: Int, kernel: Int, stride: Int = 1, pad: Int = 0,
                dilation: Int = 1, group: Int = 1, bias: Bool = true, fileID: String = #fileID, line: Int = #line) {
        self.init(name, outputs: outputs, kernel: (kernel, kernel), stride: (stride, stride),
                  pad: (pad, pad), dilation: (dilation, dilation), group: group, bias: bias, fileID: fileID, line: line)
    }

    /// Rectangular kernels, strides, padding and dilation as (height, width).
    public init(_ name: String = "", outputs: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                pad: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), group: Int = 1, bias: Bool = true,
                fileID: String = #fileID, line: Int = #line) {
        var p = ConvolutionParams(numOutput: outputs, kernelH: kernel.0, kernelW: kernel.1)
        (p.strideH, p.strideW) = stride
        (p.padH, p.padW) = pad
        (p.dilationH, p.dilationW) = dilation
        p.group = group
        p.biasTerm = bias
        params = p
        base = baseSpec(name, .convolution(p), fileID, line)
    }

    public func weights(_ filler: Filler) -> Self { with { $0.params.weightFiller = filler } }
    public func bias(_ filler: Filler) -> Self { with { $0.params.biasFiller = filler } }
}

extension ConvolutionParams: LayerKindDeclaration {
    public static let typeName = "Convolution"
    public static let settingsKey = "convolution_param"
    public static let nameStem = "conv"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .convolution(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { biasTerm ? [.weights, .bias] : [.weights] }

    public static func read(caffe layer: CaffeFields) -> ConvolutionParams? {
        guard let cf = layer.message("convolution_param") else {
            layer.problem(nil, "has no convolution_param; add convolution_param { num_output: ... kernel_size: ... }")
            return nil
        }
        let numOutput = cf.count("num_output") ?? 0
        guard numOutput > 0 else {
            cf.problem("num_output", "convolution_param needs num_output greater than 0")
            return nil
        }
        let m = "convolution_param"
        let kernel = CaffeSpatial.pair(cf, message: m, "kernel_size", repeated: true, default: nil)
        let stride = CaffeSpatial.pair(cf, message: m, "stride", repeated: true, default: 1)
        let pad = CaffeSpatial.pair(cf, message: m, "pad", repeated: true, default: 0)
        let dilation = CaffeSpatial.pair(cf, message: m, "dilation", repeated: true, default: 1)
        if (cf.int("axis") ?? 1) != 1 { cf.unsupported("axis", "Crema convolves NCHW blobs over axis 1 only") }
        if cf.bool("force_nd_im2col") == true { cf.note("force_nd_im2col", "ignored: Crema has one im2col") }
        cf.ignoresEngine()
        let weights = Filler.read(caffe: cf.message("weight_filler"))
        let bias = Filler.read(caffe: cf.message("bias_filler"))
        let group = cf.count("group") ?? 1, biasTerm = cf.bool("bias_term") ?? true
        guard let kernel, let stride, let pad, let dilation, let weights, let bias else { return nil }
        guard kernel.0 > 0 && kernel.1 > 0 else {
            cf.problem(cf.has("kernel_size") ? "kernel_size" : "kernel_h", "kernel sizes must be positive")
            return nil
        }
        guard stride.0 > 0 && stride.1 > 0 else {
            cf.problem(cf.has("stride") ? "stride" : "stride_h", "strides must be positive")
            return nil
        }
        guard dilation.0 > 0 && dilation.1 > 0 else {
            cf.problem("dilation", "dilations must be positive (1 is a plain convolution)")
            return nil
        }
        var p = ConvolutionParams(numOutput: numOutput, kernelH: kernel.0, kernelW: kernel.1)
        (p.strideH, p.strideW) = stride
        (p.padH, p.padW) = pad
        (p.dilationH, p.dilationW) = dilation
        p.group = group
        p.biasTerm = biasTerm
        p.weightFiller = weights
        p.biasFiller = bias
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("convolution_param") { c in
            c.int("num_output", numOutput)
            c.bool("bias_term", biasTerm, unless: true)
            CaffeSpatial.write(&c, "pad", (padH, padW), unless: 0)
            CaffeSpatial.write(&c, "kernel_size", (kernelH, kernelW), unless: nil)
            CaffeSpatial.write(&c, "stride", (strideH, strideW), unless: 1)
            c.int("group", group, unless: 1)
            // Caffe's dilation has no _h/_w form: two values, height then width.
            if (dilationH, dilationW) != (1, 1) {
                c.int("dilation", dilationH)
                if dilationW != dilationH { c.int("dilation", dilationW) }
            }
            if weightFiller != .constant(0) { c.message("weight_filler", weightFiller.write(caffe:)) }
            if biasFiller != .constant(0) { c.message("bias_filler", biasFiller.write(caffe:)) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let i: (Int) -> String = { SwiftLiteral.int($0) }
        var args = name + ["outputs: \(i(numOutput))"]
        if kernelH == kernelW && strideH == strideW && padH == padW {
            args.append("kernel: \(i(kernelH))")
            if strideH != 1 { args.append("stride: \(i(strideH))") }
            if padH != 0 { args.append("pad: \(i(padH))") }
        } else {
            args.append("kernel: (\(i(kernelH)), \(i(kernelW)))")
            if (strideH, strideW) != (1, 1) { args.append("stride: (\(i(strideH)), \(i(strideW)))") }
            if (padH, padW) != (0, 0) { args.append("pad: (\(i(padH)), \(i(padW)))") }
        }
        if dilationH == dilationW {
            if dilationH != 1 { args.append("dilation: \(i(dilationH))") }
        } else {
            args.append("dilation: (\(i(dilationH)), \(i(dilationW)))")
        }
        if group != 1 { args.append("group: \(i(group))") }
        if !biasTerm { args.append("bias: false") }
        return LayerSource(head: "Convolution", arguments: args,
                           modifiers: RecipeSource.fillers(weightFiller, biasFiller))
    }
}

/// Caffe's Deconvolution reads the same `convolution_param` as Convolution.
public struct DeconvolutionParams: Codable, Equatable, Sendable {
    public var convolution: ConvolutionParams
    public init(_ convolution: ConvolutionParams) { self.convolution = convolution }

    public init(from decoder: Decoder) throws { convolution = try ConvolutionParams(from: decoder) }
    public func encode(to encoder: Encoder) throws { try convolution.encode(to: encoder) }
}

/// Caffe's Deconvolution (a transposed convolution, FCN's learned upsampling): each input value
/// spreads a kernel-sized patch over the output, which is stride x (input - 1) + kernel - 2 pad.
public struct Deconvolution: NetLayer {
    public var base: LayerSpec
    public var params: DeconvolutionParams
    public var kind: LayerKind { .deconvolution(params) }

    public init(_ name: String = "", outputs: Int, kernel: Int, stride: Int = 1, pad: Int = 0,
                dilation: Int = 1, group: Int = 1, bias: Bool = true, fileID: String = #fileID, line: Int = #line) {
        let c = Convolution(name, outputs: outputs, kernel: kernel, stride: stride, pad: pad, dilation: dilation,
                            group: group, bias: bias)
        params = DeconvolutionParams(c.params)
        base = baseSpec(name, .deconvolution(params), fileID, line)
    }

    /// Rectangular kernels, strides, padding and dilation as (height, width).
    public init(_ name: String = "", outputs: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                pad: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), group: Int = 1, bias: Bool = true,
                fileID: String = #fileID, line: Int = #line) {
        let c = Convolution(name, outputs: outputs, kernel: kernel, stride: stride, pad: pad, dilation: dilation,
                            group: group, bias: bias)
        params = DeconvolutionParams(c.params)
        base = baseSpec(name, .deconvolution(params), fileID, line)
    }

    public func weights(_ filler: Filler) -> Self { with { $0.params.convolution.weightFiller = filler } }
    public func bias(_ filler: Filler) -> Self { with { $0.params.convolution.biasFiller = filler } }
}

extension DeconvolutionParams: LayerKindDeclaration {
    public static let typeName = "Deconvolution"
    public static let settingsKey = "convolution_param"
    public static let nameStem = "deconv"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .deconvolution(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { convolution.parameterBlobs(inputs: inputs) }

    public static func read(caffe layer: CaffeFields) -> DeconvolutionParams? {
        ConvolutionParams.read(caffe: layer).map(DeconvolutionParams.init)
    }

    public func write(caffe w: inout CaffeMessageWriter) { convolution.write(caffe: &w) }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        var code = convolution.source(layer, name: name)
        code.head = "Deconvolution"
        return code
    }
}

/// 2-D convolution over NCHW blobs, with groups, padding, strides and rectangular kernels.
public struct Convolution: NetLayer {
    public var base: LayerSpec
    public var params: ConvolutionParams
    public var kind: LayerKind { .convolution(params) }

    public init(_ name: String = "", outputs: Int, kernel: Int, stride: Int = 1, pad: Int = 0,
                group: Int = 1, bias: Bool = true, fileID: String = #fileID, line: Int = #line) {
        self.init(name, outputs: outputs, kernel: (kernel, kernel), stride: (stride, stride),
                  pad: (pad, pad), group: group, bias: bias, fileID: fileID, line: line)
    }

    /// Rectangular kernels, strides and padding as (height, width).
    public init(_ name: String = "", outputs: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                pad: (Int, Int) = (0, 0), group: Int = 1, bias: Bool = true,
                fileID: String = #fileID, line: Int = #line) {
        var p = ConvolutionParams(numOutput: outputs, kernelH: kernel.0, kernelW: kernel.1)
        (p.strideH, p.strideW) = stride
        (p.padH, p.padW) = pad
        p.group = group
        p.biasTerm = bias
        params = p
        base = baseSpec(name, .convolution(p), fileID, line)
    }

    public func weights(_ filler: Filler) -> Self { with { $0.params.weightFiller = filler } }
    public func bias(_ filler: Filler) -> Self { with { $0.params.biasFiller = filler } }
}

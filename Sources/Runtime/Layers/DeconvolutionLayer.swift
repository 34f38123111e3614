import NetDSL

/// Caffe's Deconvolution: the adjoint of a convolution from the output's shape to the input's.
/// Forward is that convolution's backward pass for data (weights^T x input, then col2im onto
/// the output), backward its forward pass (im2col of the output gradient, then the products).
/// Weights are input channels x (num_output / group) x kernel, as Caffe stores them.
final class DeconvolutionLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: ConvolutionParams
    private(set) var parameters: [Tensor] = []
    private var channels = 0
    /// The convolution whose adjoint this is: over the output (`num_output` channels, the
    /// output's size), whose own output size is this layer's input size.
    private var geometry: ConvGeometry?
    private let col = Buffer(capacity: 1)

    init(spec: LayerSpec, params: DeconvolutionParams) {
        self.spec = spec
        self.params = params.convolution
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        let p = params
        guard p.numOutput > 0, p.kernelH > 0, p.kernelW > 0, p.strideH > 0, p.strideW > 0, p.padH >= 0, p.padW >= 0,
              p.dilationH > 0, p.dilationW > 0, p.group > 0 else {
            throw LayerError(spec, "num_output, kernel, stride, dilation and group must be positive and pad not negative")
        }
        let shape = bottoms[0].shape
        guard shape.count == 4 else {
            throw LayerError(spec, "input is \(shapeText(shape)) but deconvolution needs 4 axes (num x channels x height x width)")
        }
        guard p.numOutput % p.group == 0, shape[1] % p.group == 0 else {
            throw LayerError(spec, "num_output \(p.numOutput) and the input's \(shape[1]) channels must both divide by group \(p.group)")
        }
        channels = shape[1]
        parameters = [try store.parameter(for: spec, index: 0, shape: [channels, p.numOutput / p.group, p.kernelH, p.kernelW],
                                          filler: p.weightFiller)]
        if p.biasTerm {
            parameters.append(try store.parameter(for: spec, index: 1, shape: [p.numOutput], filler: p.biasFiller))
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape, p = params
        guard tops[0] !== bottoms[0] else { throw LayerError(spec, "cannot run in place; give it its own output") }
        guard shape.count == 4, shape[1] == channels else {
            throw LayerError(spec, "input \(shapeText(shape)) must have the \(channels) channels the weights were made for")
        }
        let outH = p.strideH * (shape[2] - 1) + p.effectiveKernelH - 2 * p.padH
        let outW = p.strideW * (shape[3] - 1) + p.effectiveKernelW - 2 * p.padW
        guard outH > 0, outW > 0 else {
            throw LayerError(spec, "the output would be \(outH)x\(outW): pad \(p.padH)x\(p.padW) is too large for kernel \(p.kernelH)x\(p.kernelW)\(dilationText(p))")
        }
        let g = ConvGeometry(channels: p.numOutput, height: outH, width: outW, kernelH: p.kernelH, kernelW: p.kernelW,
                             padH: p.padH, padW: p.padW, strideH: p.strideH, strideW: p.strideW,
                             dilationH: p.dilationH, dilationW: p.dilationW)
        geometry = g
        tops[0].reshape([shape[0], p.numOutput, outH, outW])
        col.reserve(g.columnCount)
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        guard let g = geometry else { return }
        let x = bottoms[0].data, y = tops[0].data, w = parameters[0].data, c = col.pointer
        let groups = params.group, inPerGroup = channels / groups, kdim = g.columnRows / groups
        let spatial = g.outSpatial, outCount = g.imageCount
        for n in 0..<bottoms[0].num {
            let image = x + n * channels * spatial
            for group in 0..<groups {
                BLAS.gemm(transA: true, transB: false, m: kdim, n: spatial, k: inPerGroup, alpha: 1,
                          a: w + group * inPerGroup * kdim, b: image + group * inPerGroup * spatial, beta: 0,
                          c: c + group * kdim * spatial)
            }
            let out = y + n * outCount
            g.col2im(c, out)
            if params.biasTerm {
                let b = parameters[1].data, plane = g.height * g.width
                for k in 0..<params.numOutput {
                    let row = out + k * plane
                    for i in 0..<plane { row[i] += b[k] }
                }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard let g = geometry else { return }
        let x = bottoms[0].data, dy = tops[0].diff, w = parameters[0].data, dw = parameters[0].diff, c = col.pointer
        let groups = params.group, inPerGroup = channels / groups, kdim = g.columnRows / groups
        let spatial = g.outSpatial, outCount = g.imageCount, plane = g.height * g.width
        let learns = spec.param(0).lrMult != 0
        for n in 0..<tops[0].num {
            let gradOut = dy + n * outCount
            if params.biasTerm && spec.param(1).lrMult != 0 {
                let db = parameters[1].diff
                for k in 0..<params.numOutput {
                    let row = gradOut + k * plane
                    var sum: Float = 0
                    for i in 0..<plane { sum += row[i] }
                    db[k] += sum
                }
            }
            g.im2col(gradOut, c)
            for group in 0..<groups {
                let colGroup = c + group * kdim * spatial
                if learns {
                    BLAS.gemm(transA: false, transB: true, m: inPerGroup, n: kdim, k: spatial, alpha: 1,
                              a: x + (n * channels + group * inPerGroup) * spatial, b: colGroup, beta: 1,
                              c: dw + group * inPerGroup * kdim)
                }
                if propagateDown.first == true {
                    BLAS.gemm(transA: false, transB: false, m: inPerGroup, n: spatial, k: kdim, alpha: 1,
                              a: w + group * inPerGroup * kdim, b: colGroup, beta: 0,
                              c: bottoms[0].diff + (n * channels + group * inPerGroup) * spatial)
                }
            }
        }
    }
}

import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct DeconvolutionLayerTests {
    private func params(outputs: Int, kernel: Int, stride: Int, pad: Int, dilation: Int = 1, group: Int,
                        bias: Bool) -> ConvolutionParams {
        var p = ConvolutionParams(numOutput: outputs, kernelH: kernel, kernelW: kernel)
        (p.strideH, p.strideW, p.padH, p.padW, p.group, p.biasTerm) = (stride, stride, pad, pad, group, bias)
        (p.dilationH, p.dilationW) = (dilation, dilation)
        p.weightFiller = .gaussian(std: 0.5)
        p.biasFiller = .gaussian(std: 0.2)
        return p
    }

    private func deconvolution(_ p: ConvolutionParams) -> DeconvolutionLayer {
        DeconvolutionLayer(spec: LayerSpec(name: "deconv", kind: .deconvolution(DeconvolutionParams(p))),
                           params: DeconvolutionParams(p))
    }

    @Test func outputSizeIsCaffes() throws {
        let x = randomTensor([1, 2, 5, 4], seed: 1)
        let y = Tensor()
        let l = deconvolution(params(outputs: 3, kernel: 4, stride: 2, pad: 1, group: 1, bias: true))
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        #expect(y.shape == [1, 3, 10, 8], "stride x (in - 1) + kernel - 2 pad")
        #expect(l.parameters[0].shape == [2, 3, 4, 4], "input channels x outputs x kernel, as Caffe stores them")
        let dilated = deconvolution(params(outputs: 3, kernel: 3, stride: 2, pad: 1, dilation: 2, group: 1, bias: true))
        try dilated.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try dilated.reshape(bottoms: [x], tops: [y])
        #expect(y.shape == [1, 3, 11, 9], "stride x (in - 1) + dilation x (kernel - 1) + 1 - 2 pad")
    }

    /// A deconvolution is the adjoint of the convolution with the same weights:
    /// <deconv(x), y> = <x, conv(y)> (biases off).
    @Test(arguments: [(1, 1, 0, 1), (2, 2, 1, 1), (1, 3, 2, 1), (1, 1, 2, 2), (2, 2, 1, 3)])
    func isTheAdjointOfConvolution(group: Int, stride: Int, pad: Int, dilation: Int) throws {
        let p = params(outputs: 4, kernel: 3, stride: stride, pad: pad, dilation: dilation, group: group, bias: false)
        let x = randomTensor([2, 2 * group, 4, 3], seed: 2)
        let deconv = deconvolution(p)
        let up = Tensor()
        try deconv.setUp(bottoms: [x], tops: [up], store: ParameterStore(seed: 3))
        try deconv.reshape(bottoms: [x], tops: [up])
        try deconv.forward(bottoms: [x], tops: [up])
        let y = randomTensor(up.shape, seed: 4)

        var c = ConvolutionParams(numOutput: x.shape[1], kernelH: 3, kernelW: 3)
        (c.strideH, c.strideW, c.padH, c.padW, c.group, c.biasTerm) = (stride, stride, pad, pad, group, false)
        (c.dilationH, c.dilationW) = (dilation, dilation)
        let conv = ConvolutionLayer(spec: LayerSpec(name: "conv", kind: .convolution(c)), params: c)
        let down = Tensor()
        try conv.setUp(bottoms: [y], tops: [down], store: ParameterStore())
        try conv.reshape(bottoms: [y], tops: [down])
        #expect(down.shape == x.shape)
        conv.parameters[0].copy(from: deconv.parameters[0].values)
        try conv.forward(bottoms: [y], tops: [down])
        let left = zip(up.values, y.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let right = zip(x.values, down.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(left - right) <= 1e-4 * max(1, abs(left)), "\(left) vs \(right)")
    }

    @Test(arguments: [(1, 1, 0, 1, true), (2, 2, 1, 1, true), (1, 2, 0, 1, false), (1, 2, 1, 2, true)])
    func gradients(group: Int, stride: Int, pad: Int, dilation: Int, bias: Bool) throws {
        let x = randomTensor([2, 2 * group, 3, 4], seed: 5)
        let l = deconvolution(params(outputs: 2 * group, kernel: 3, stride: stride, pad: pad, dilation: dilation,
                                     group: group, bias: bias))
        let checked = try GradientChecker().check(layer: l, bottoms: [x], tops: [Tensor()])
        #expect(checked > x.count)
    }
}

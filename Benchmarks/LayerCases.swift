import Foundation
import NetDSL
import Runtime

/// One of CaffeNet's heavy layers, alone in a net behind an Input layer, with its reference.
struct LayerCase {
    var name: String
    var kind: LayerKind
    /// Input shape of one image (the batch axis is added).
    var imageShape: [Int]
    /// ReLU and Dropout run in place in CaffeNet.
    var inPlace = false
    /// Whether the net sends a gradient to the data input (conv1's input is data: no).
    var dataGradient = true
    /// Range of the generated inputs: LRN needs activations of CaffeNet's size to do anything.
    var inputRange: (Float, Float) = (-1, 1)

    var isLoss: Bool { if case .softmaxWithLoss = kind { true } else { false } }

    /// A net of an Input layer and this layer at `batch`, compiled for training.
    func build(batch: Int, seed: UInt64) throws -> (graph: Graph, layer: Layer, bottoms: [Tensor], tops: [Tensor]) {
        let shapes = isLoss ? [[batch] + imageShape, [batch]] : [[batch] + imageShape]
        let inputs = isLoss ? ["x", "label"] : ["x"]
        let input = LayerSpec(name: "input", kind: .input(InputParams(shapes: shapes)), tops: inputs)
        let layer = LayerSpec(name: name, kind: kind, bottoms: inputs, tops: inPlace ? ["x"] : ["y"])
        let graph = try Compiler.compile(NetSpec(name: "bench-\(name)", layers: [input, layer]), for: .train,
                                         store: ParameterStore(seed: seed), seed: seed,
                                         options: try CompileOptions.reading(environment: ProcessInfo.processInfo.environment))
        let index = graph.layers.count - 1
        let io = graph.io(ofLayer: index)
        return (graph, graph.layers[index], io.bottoms, io.tops)
    }

    /// CaffeNet's layers worth timing alone, in net order, as bvlc_reference_caffenet sets them.
    static let caffeNet: [LayerCase] = {
        func conv(_ outputs: Int, _ kernel: Int, stride: Int = 1, pad: Int = 0, group: Int = 1) -> LayerKind {
            var p = ConvolutionParams(numOutput: outputs, kernelH: kernel, kernelW: kernel)
            (p.strideH, p.strideW, p.padH, p.padW, p.group) = (stride, stride, pad, pad, group)
            p.weightFiller = .gaussian(std: 0.01)
            p.biasFiller = .constant(1)
            return .convolution(p)
        }
        func pool() -> LayerKind {
            var p = PoolingParams(method: .max, kernelH: 3, kernelW: 3)
            (p.strideH, p.strideW) = (2, 2)
            return .pooling(p)
        }
        func lrn() -> LayerKind {
            var p = LRNParams()
            (p.localSize, p.alpha, p.beta) = (5, 1e-4, 0.75)
            return .lrn(p)
        }
        func fc(_ outputs: Int) -> LayerKind {
            var p = InnerProductParams(numOutput: outputs)
            p.weightFiller = .gaussian(std: 0.005)
            p.biasFiller = .constant(1)
            return .innerProduct(p)
        }
        return [
            LayerCase(name: "conv1", kind: conv(96, 11, stride: 4), imageShape: [3, 227, 227], dataGradient: false),
            LayerCase(name: "relu1", kind: .relu(ReLUParams()), imageShape: [96, 55, 55], inPlace: true),
            LayerCase(name: "pool1", kind: pool(), imageShape: [96, 55, 55]),
            LayerCase(name: "norm1", kind: lrn(), imageShape: [96, 27, 27], inputRange: (0, 100)),
            LayerCase(name: "conv2", kind: conv(256, 5, pad: 2, group: 2), imageShape: [96, 27, 27]),
            LayerCase(name: "pool2", kind: pool(), imageShape: [256, 27, 27]),
            LayerCase(name: "norm2", kind: lrn(), imageShape: [256, 13, 13], inputRange: (0, 100)),
            LayerCase(name: "conv3", kind: conv(384, 3, pad: 1), imageShape: [256, 13, 13]),
            LayerCase(name: "conv4", kind: conv(384, 3, pad: 1, group: 2), imageShape: [384, 13, 13]),
            LayerCase(name: "conv5", kind: conv(256, 3, pad: 1, group: 2), imageShape: [384, 13, 13]),
            LayerCase(name: "pool5", kind: pool(), imageShape: [256, 13, 13]),
            LayerCase(name: "fc6", kind: fc(4096), imageShape: [256, 6, 6]),
            LayerCase(name: "relu6", kind: .relu(ReLUParams()), imageShape: [4096], inPlace: true),
            LayerCase(name: "drop6", kind: .dropout(DropoutParams(ratio: 0.5)), imageShape: [4096], inPlace: true),
            LayerCase(name: "fc7", kind: fc(4096), imageShape: [4096]),
            LayerCase(name: "fc8", kind: fc(1000), imageShape: [4096]),
            LayerCase(name: "loss", kind: .softmaxWithLoss(SoftmaxWithLossParams()), imageShape: [1000], inputRange: (-5, 5)),
        ]
    }()

    /// Runs the layer forward and backward on a small batch and compares every output and
    /// gradient with `Reference`. Returns the largest relative error seen.
    func check(batch: Int) throws -> Double {
        let (_, layer, bottoms, tops) = try build(batch: batch, seed: 11)
        var random = RandomGenerator(seed: 5)
        let xTensor = bottoms[0], top = tops[0]
        fillUniform(xTensor.data, xTensor.count, inputRange.0, inputRange.1, random: &random)
        if isLoss { for i in 0..<bottoms[1].count { bottoms[1].data[i] = Float(random.below(imageShape[0])) } }
        for (i, p) in layer.parameters.enumerated() {
            fillUniform(p.data, p.count, i == 0 ? -0.1 : -1, i == 0 ? 0.1 : 1, random: &random)
            p.zeroDiff()
        }
        let x = xTensor.values
        let params = layer.parameters.map(\.values)
        try layer.forward(bottoms: bottoms, tops: tops)
        let y = top.values
        if isLoss {
            top.diff[0] = 1
        } else {
            fillUniform(top.diff, top.count, -1, 1, random: &random)
        }
        let dy = top.gradients
        let down = isLoss ? [true, false] : [true]
        layer.backward(tops: tops, propagateDown: down, bottoms: bottoms)
        let dx = xTensor.diff

        let label = "\(name) at batch \(batch)"
        var worst = 0.0
        func expect(_ what: String, _ got: UnsafePointer<Float>, _ want: [Double], tolerance: Double = 1e-4) throws {
            worst = max(worst, try expectClose("\(label): \(what)", got, want, tolerance: tolerance))
        }
        // Outputs as the forward pass left them (backward must not matter to them).
        func expect(_ what: String, _ got: [Float], _ want: [Double], tolerance: Double = 1e-4) throws {
            try got.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress, buffer.count == want.count else {
                    throw BenchmarkError("\(label): \(what) has \(buffer.count) values, the reference \(want.count)")
                }
                try expect(what, base, want, tolerance: tolerance)
            }
        }
        let shape = Reference.Shape([batch] + imageShape)
        switch kind {
        case .convolution(let p):
            let ref = Reference.Convolution(p: p, input: shape)
            try expect("output", y, ref.forward(x: x, weight: params[0], bias: params[1]))
            let grads = ref.backward(x: x, weight: params[0], dy: dy)
            try expect("data gradient", dx, grads.dx)
            try expect("weight gradient", layer.parameters[0].diff, grads.dw)
            try expect("bias gradient", layer.parameters[1].diff, grads.db)
        case .innerProduct(let p):
            let inputs = xTensor.count / batch
            let ref = Reference.InnerProduct(rows: batch, inputs: inputs, outputs: p.numOutput)
            try expect("output", y, ref.forward(x: x, weight: params[0], bias: params[1]))
            let grads = ref.backward(x: x, weight: params[0], dy: dy)
            try expect("data gradient", dx, grads.dx)
            try expect("weight gradient", layer.parameters[0].diff, grads.dw)
            try expect("bias gradient", layer.parameters[1].diff, grads.db)
        case .pooling(let p):
            let ref = Reference.MaxPooling(p: p, input: shape)
            let (want, argmax) = ref.forward(x: x)
            try expect("output", y, want, tolerance: 0)
            try expect("data gradient", dx, ref.backward(dy: dy, argmax: argmax), tolerance: 1e-6)
        case .lrn(let p):
            let ref = Reference.LRN(p: p, input: shape)
            let (want, scale) = ref.forward(x: x)
            try expect("output", y, want)
            try expect("data gradient", dx, ref.backward(x: x, y: want, scale: scale, dy: dy))
        case .relu:
            try expect("output", y, x.map { Double(max($0, 0)) }, tolerance: 0)
            try expect("data gradient", dx, zip(x, dy).map { $0 > 0 ? Double($1) : 0 }, tolerance: 0)
        case .dropout(let p):
            try checkDropout(x: x, y: y, dy: dy, dx: dx, ratio: p.ratio, label: label)
        case .softmaxWithLoss:
            let ref = Reference.softmaxLoss(x: x, labels: bottoms[1].values, rows: batch, classes: imageShape[0])
            try expect("loss", y, [ref.loss], tolerance: 1e-5)
            try expect("data gradient", dx, ref.dx)
        default:
            throw BenchmarkError("\(label): no reference for \(kind.typeName)")
        }
        return worst
    }

    /// Dropout keeps each value scaled by 1 / (1 - ratio) or zeroes it, about `ratio` of them,
    /// and sends gradients back through the kept ones only.
    private func checkDropout(x: [Float], y: [Float], dy: [Float], dx: UnsafePointer<Float>, ratio: Float, label: String) throws {
        let scale = 1 / (1 - ratio)
        var kept = 0
        for i in x.indices where x[i] != 0 {
            let isKept = y[i] != 0
            if isKept { kept += 1 }
            let want: Float = isKept ? x[i] * scale : 0
            let wantGradient: Float = isKept ? dy[i] * scale : 0
            guard abs(y[i] - want) <= 1e-6 * abs(want), abs(dx[i] - wantGradient) <= 1e-6 * abs(wantGradient) else {
                throw BenchmarkError("\(label): value \(i) (\(x[i])) became \(y[i]) with gradient \(dx[i]); expected 0 or \(x[i] * scale) and a gradient to match")
            }
        }
        let fraction = Double(kept) / Double(x.count)
        guard abs(fraction - Double(1 - ratio)) < 0.05 else {
            throw BenchmarkError("\(label): kept \(kept) of \(x.count) values (\(fraction)); expected about \(1 - ratio)")
        }
    }
}

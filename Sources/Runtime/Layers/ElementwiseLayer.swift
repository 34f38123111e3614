import NetDSL

/// A function applied to each value on its own, with its derivative.
protocol ElementwiseFunction {
    /// Whether the derivative needs the input; in place, the layer then keeps a copy of it.
    var derivativeReadsInput: Bool { get }
    func value(_ x: Float) -> Float
    /// dL/dx from the input `x`, the output `y` and dL/dy.
    func gradient(x: Float, y: Float, dy: Float) -> Float
}

/// Caffe's neuron layers (ELU, AbsVal, BNLL, Power, Exp, Log, Threshold, Clip, Swish): one
/// function over every value, in place where the net says so.
final class ElementwiseLayer<F: ElementwiseFunction>: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let function: F
    /// The input of the last forward pass, kept only in place when the derivative reads it.
    private let savedInput = Buffer(capacity: 1)

    init(spec: LayerSpec, function: F) {
        self.spec = spec
        self.function = function
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        if tops[0] !== bottoms[0] { tops[0].reshape(like: bottoms[0]) }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let n = bottoms[0].count, f = function
        var x = bottoms[0].data
        let y = tops[0].data
        if x == y && f.derivativeReadsInput {
            savedInput.reserve(n)
            savedInput.pointer.update(from: x, count: n)
            x = savedInput.pointer
        }
        let input = x
        Parallel.forEachChunk(n, grain: 8_192) { r in
            for i in r { y[i] = f.value(input[i]) }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let n = tops[0].count, f = function
        let inPlace = tops[0] === bottoms[0]
        let x = inPlace && f.derivativeReadsInput ? savedInput.pointer : bottoms[0].data
        let y = tops[0].data, dy = tops[0].diff, dx = bottoms[0].diff
        Parallel.forEachChunk(n, grain: 8_192) { r in
            for i in r { dx[i] = f.gradient(x: x[i], y: y[i], dy: dy[i]) }
        }
    }
}

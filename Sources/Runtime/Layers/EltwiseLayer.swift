import NetDSL

/// Caffe's Eltwise: elementwise SUM (with optional per-input coefficients), PROD or MAX of two
/// or more inputs of the same shape.
///
/// MAX breaks ties as Caffe does: between inputs 0 and 1 the later one wins, and a later input
/// then replaces the running maximum only when strictly greater. The gradient goes to the
/// winner only. PROD's gradient is the product of the other inputs, so zeros are fine.
final class EltwiseLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: EltwiseParams
    private var coefficients: [Float] = []
    /// For MAX: which input gave each output value.
    private var winner: [Int32] = []

    init(spec: LayerSpec, params: EltwiseParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard bottoms.count >= 2, tops.count == 1 else {
            throw LayerError(spec, "takes two or more inputs and one output, not \(bottoms.count) and \(tops.count)")
        }
        try requireOwnOutput(bottoms, tops)
        guard params.coeff.isEmpty || params.coeff.count == bottoms.count else {
            throw LayerError(spec, "has \(params.coeff.count) coefficients for \(bottoms.count) inputs; give one per input or none")
        }
        guard params.coeff.isEmpty || params.operation != .product else {
            throw LayerError(spec, "takes coefficients only for SUM, not PROD")
        }
        coefficients = params.coeff.isEmpty ? [Float](repeating: 1, count: bottoms.count) : params.coeff
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        for (i, b) in bottoms.enumerated().dropFirst() where b.shape != shape {
            throw LayerError(spec, "input \(i) has shape \(shapeText(b.shape)) but input 0 has \(shapeText(shape)); all inputs must have the same shape")
        }
        tops[0].reshape(shape)
        if params.operation == .max && winner.count < bottoms[0].count {
            winner = [Int32](repeating: 0, count: bottoms[0].count)
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let y = tops[0].data, n = tops[0].count
        let xs = bottoms.map(\.data)
        switch params.operation {
        case .sum:
            let coeff = coefficients
            Parallel.forEachChunk(n) { r in
                let c0 = coeff[0], x0 = xs[0]
                for k in r { y[k] = c0 * x0[k] }
                for i in 1..<xs.count {
                    let c = coeff[i], x = xs[i]
                    for k in r { y[k] += c * x[k] }
                }
            }
        case .product:
            Parallel.forEachChunk(n) { r in
                let x0 = xs[0], x1 = xs[1]
                for k in r { y[k] = x0[k] * x1[k] }
                for i in 2..<xs.count {
                    let x = xs[i]
                    for k in r { y[k] *= x[k] }
                }
            }
        case .max:
            if winner.count < n { winner = [Int32](repeating: 0, count: n) }
            winner.withUnsafeMutableBufferPointer { buffer in
                let w = buffer.baseAddress!
                Parallel.forEachChunk(n) { r in
                    let a = xs[0], b = xs[1]
                    for k in r {
                        let first = a[k] > b[k]
                        y[k] = first ? a[k] : b[k]
                        w[k] = first ? 0 : 1
                    }
                    for i in 2..<xs.count {
                        let x = xs[i], index = Int32(i)
                        for k in r where x[k] > y[k] {
                            y[k] = x[k]
                            w[k] = index
                        }
                    }
                }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        let dy = tops[0].diff, n = tops[0].count
        let xs = bottoms.map(\.data)
        for (i, bottom) in bottoms.enumerated() where i < propagateDown.count && propagateDown[i] {
            let dx = bottom.diff
            switch params.operation {
            case .sum:
                let c = coefficients[i]
                if c == 1 {
                    dx.update(from: dy, count: n)
                } else {
                    Parallel.forEachChunk(n) { r in for k in r { dx[k] = c * dy[k] } }
                }
            case .product:
                let others = xs.enumerated().filter { $0.offset != i }.map(\.element)
                Parallel.forEachChunk(n) { r in
                    let o0 = others[0]
                    for k in r { dx[k] = o0[k] }
                    for x in others.dropFirst() {
                        for k in r { dx[k] *= x[k] }
                    }
                    for k in r { dx[k] *= dy[k] }
                }
            case .max:
                let index = Int32(i)
                winner.withUnsafeBufferPointer { buffer in
                    let w = buffer.baseAddress!
                    Parallel.forEachChunk(n) { r in
                        for k in r { dx[k] = w[k] == index ? dy[k] : 0 }
                    }
                }
            }
        }
    }
}

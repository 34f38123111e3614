import NetDSL

/// Caffe's Reduction: every axis from `axis` on folded into one value per leading index, by
/// sum, absolute sum, sum of squares or mean, times `coeff`.
final class ReductionLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: ReductionParams
    private var outer = 0, length = 0

    init(spec: LayerSpec, params: ReductionParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        try requireOwnOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        guard params.axis >= -shape.count, params.axis <= shape.count, !(shape.isEmpty && params.axis != 0) else {
            throw LayerError(spec, "axis \(params.axis) is outside an input of shape \(shapeText(shape))")
        }
        let a = params.axis < 0 ? params.axis + shape.count : params.axis
        (outer, length) = (shape[..<a].reduce(1, *), shape[a...].reduce(1, *))
        tops[0].reshape(Array(shape[..<a]))
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data, n = length
        for o in 0..<outer {
            let row = x + o * n
            var sum: Float = 0
            switch params.operation {
            case .sum, .mean: for i in 0..<n { sum += row[i] }
            case .absoluteSum: for i in 0..<n { sum += abs(row[i]) }
            case .sumOfSquares: for i in 0..<n { sum += row[i] * row[i] }
            }
            if params.operation == .mean && n > 0 { sum /= Float(n) }
            y[o] = params.coeff * sum
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let x = bottoms[0].data, dx = bottoms[0].diff, dy = tops[0].diff, n = length
        for o in 0..<outer {
            let g = dy[o] * params.coeff, row = x + o * n, out = dx + o * n
            switch params.operation {
            case .sum: for i in 0..<n { out[i] = g }
            case .mean: for i in 0..<n { out[i] = g / Float(n) }
            case .absoluteSum: for i in 0..<n { out[i] = row[i] > 0 ? g : (row[i] < 0 ? -g : 0) }
            case .sumOfSquares: for i in 0..<n { out[i] = 2 * row[i] * g }
            }
        }
    }
}

import NetDSL

/// Where a Scale or Bias blob sits in its input: the input is outer x dim x inner, with the
/// blob covering the `dim` axes from `axis` on (Caffe's shape rule for both layers).
struct AxisSpan: Equatable {
    var outer = 1, dim = 1, inner = 1

    /// The span of a blob of `shape` (or, from the settings, of the input's axes from `axis`,
    /// `numAxes` of them, -1 for all) inside `input`.
    static func of(_ input: [Int], axis: Int, numAxes: Int, blob given: [Int]?, _ spec: LayerSpec) throws -> (AxisSpan, [Int]) {
        let rank = input.count
        guard axis >= -rank, axis < max(rank, 1) else {
            throw LayerError(spec, "axis \(axis) is out of range for the \(rank)-axis input \(shapeText(input))")
        }
        let start = axis < 0 ? axis + rank : axis
        let shape: [Int]
        if let given {
            guard start + given.count <= rank, Array(input[start..<(start + given.count)]) == given else {
                throw LayerError(spec, "the second input \(shapeText(given)) must match the first input \(shapeText(input)) from axis \(start)")
            }
            shape = given
        } else {
            let end = numAxes == -1 ? rank : start + numAxes
            guard end <= rank else {
                throw LayerError(spec, "num_axes \(numAxes) from axis \(start) runs past the \(rank)-axis input \(shapeText(input))")
            }
            shape = Array(input[start..<end])
        }
        let span = AxisSpan(outer: input[..<start].reduce(1, *), dim: shape.reduce(1, *),
                            inner: input[(start + shape.count)...].reduce(1, *))
        return (span, shape)
    }
}

/// Caffe's Scale: y = x * s (+ b), s and b broadcast over the axes they do not cover; s is a
/// learned blob, or the second input. In place it keeps a copy of the input for backward.
final class ScaleLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: ScaleParams
    private(set) var parameters: [Tensor] = []
    private var span = AxisSpan()
    private var scaleShape: [Int] = []
    private let savedInput = Buffer(capacity: 1)

    init(spec: LayerSpec, params: ScaleParams) {
        self.spec = spec
        self.params = params
    }

    private func scale(_ bottoms: [Tensor]) -> Tensor { bottoms.count > 1 ? bottoms[1] : parameters[0] }
    private var bias: Tensor? { params.biasTerm ? parameters.last : nil }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard (1...2).contains(bottoms.count), tops.count == 1 else {
            throw LayerError(spec, "takes one input (and the scale as an optional second) and one output, not \(bottoms.count) and \(tops.count)")
        }
        (span, scaleShape) = try AxisSpan.of(bottoms[0].shape, axis: params.axis, numAxes: params.numAxes,
                                             blob: bottoms.count > 1 ? bottoms[1].shape : nil, spec)
        parameters = []
        if bottoms.count == 1 {
            parameters.append(try store.parameter(for: spec, index: 0, shape: scaleShape, filler: params.filler))
        }
        if params.biasTerm {
            parameters.append(try store.parameter(for: spec, index: parameters.count, shape: scaleShape, filler: params.biasFiller))
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let (newSpan, shape) = try AxisSpan.of(bottoms[0].shape, axis: params.axis, numAxes: params.numAxes,
                                               blob: bottoms.count > 1 ? bottoms[1].shape : nil, spec)
        guard shape == scaleShape else {
            throw LayerError(spec, "input \(shapeText(bottoms[0].shape)) needs a scale of \(shapeText(shape)), but it is \(shapeText(scaleShape))")
        }
        span = newSpan
        if tops[0] !== bottoms[0] { tops[0].reshape(like: bottoms[0]) }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let n = bottoms[0].count
        var x = bottoms[0].data
        if tops[0] === bottoms[0] {
            savedInput.reserve(n)
            savedInput.pointer.update(from: x, count: n)
            x = savedInput.pointer
        }
        let input = x, y = tops[0].data, s = scale(bottoms).data, b = bias?.data
        let (dim, inner) = (span.dim, span.inner)
        Parallel.forEachChunk(span.outer * dim, grain: max(1, 8_192 / max(inner, 1))) { rows in
            for row in rows {
                let k = row % dim, factor = s[k], shift = b?[k] ?? 0
                let src = input + row * inner, dst = y + row * inner
                for i in 0..<inner { dst[i] = src[i] * factor + shift }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        let x = tops[0] === bottoms[0] ? savedInput.pointer : bottoms[0].data
        let dy = tops[0].diff, scaleTensor = scale(bottoms)
        let (outer, dim, inner) = (span.outer, span.dim, span.inner)
        // Blob gradients before dx: in place, dx overwrites dy.
        let learnsScale = bottoms.count == 1 && spec.param(0).lrMult != 0
        let scaleGradient = bottoms.count > 1 ? (propagateDown.count > 1 && propagateDown[1]) : learnsScale
        if scaleGradient {
            let ds = scaleTensor.diff
            for k in 0..<dim {
                var sum: Float = 0
                for o in 0..<outer {
                    let base = (o * dim + k) * inner
                    for i in 0..<inner { sum += dy[base + i] * x[base + i] }
                }
                // A learned scale accumulates; an input's gradient is overwritten.
                ds[k] = bottoms.count > 1 ? sum : ds[k] + sum
            }
        }
        if let bias, spec.param(parameters.count - 1).lrMult != 0 {
            let db = bias.diff
            for k in 0..<dim {
                var sum: Float = 0
                for o in 0..<outer {
                    let base = (o * dim + k) * inner
                    for i in 0..<inner { sum += dy[base + i] }
                }
                db[k] += sum
            }
        }
        guard propagateDown.first == true else { return }
        let s = scaleTensor.data, dx = bottoms[0].diff
        Parallel.forEachChunk(outer * dim, grain: max(1, 8_192 / max(inner, 1))) { rows in
            for row in rows {
                let factor = s[row % dim], g = dy + row * inner, out = dx + row * inner
                for i in 0..<inner { out[i] = g[i] * factor }
            }
        }
    }
}

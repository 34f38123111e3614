import NetDSL

/// Caffe's Bias: y = x + b, b broadcast over the axes it does not cover; b is a learned blob,
/// or the second input.
final class BiasLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: BiasParams
    private(set) var parameters: [Tensor] = []
    private var span = AxisSpan()
    private var biasShape: [Int] = []

    init(spec: LayerSpec, params: BiasParams) {
        self.spec = spec
        self.params = params
    }

    private func bias(_ bottoms: [Tensor]) -> Tensor { bottoms.count > 1 ? bottoms[1] : parameters[0] }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard (1...2).contains(bottoms.count), tops.count == 1 else {
            throw LayerError(spec, "takes one input (and the bias as an optional second) and one output, not \(bottoms.count) and \(tops.count)")
        }
        (span, biasShape) = try AxisSpan.of(bottoms[0].shape, axis: params.axis, numAxes: params.numAxes,
                                            blob: bottoms.count > 1 ? bottoms[1].shape : nil, spec)
        parameters = bottoms.count > 1 ? [] : [try store.parameter(for: spec, index: 0, shape: biasShape, filler: params.filler)]
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let (newSpan, shape) = try AxisSpan.of(bottoms[0].shape, axis: params.axis, numAxes: params.numAxes,
                                               blob: bottoms.count > 1 ? bottoms[1].shape : nil, spec)
        guard shape == biasShape else {
            throw LayerError(spec, "input \(shapeText(bottoms[0].shape)) needs a bias of \(shapeText(shape)), but it is \(shapeText(biasShape))")
        }
        span = newSpan
        if tops[0] !== bottoms[0] { tops[0].reshape(like: bottoms[0]) }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data, b = bias(bottoms).data
        let (dim, inner) = (span.dim, span.inner)
        Parallel.forEachChunk(span.outer * dim, grain: max(1, 8_192 / max(inner, 1))) { rows in
            for row in rows {
                let shift = b[row % dim], src = x + row * inner, dst = y + row * inner
                for i in 0..<inner { dst[i] = src[i] + shift }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        let dy = tops[0].diff
        let (outer, dim, inner) = (span.outer, span.dim, span.inner)
        let learned = bottoms.count == 1 && spec.param(0).lrMult != 0
        let toInput = bottoms.count > 1 && propagateDown.count > 1 && propagateDown[1]
        if learned || toInput {
            let db = bias(bottoms).diff
            for k in 0..<dim {
                var sum: Float = 0
                for o in 0..<outer {
                    let base = (o * dim + k) * inner
                    for i in 0..<inner { sum += dy[base + i] }
                }
                db[k] = toInput ? sum : db[k] + sum
            }
        }
        guard propagateDown.first == true, tops[0] !== bottoms[0] else { return }
        bottoms[0].diff.update(from: dy, count: tops[0].count)
    }
}

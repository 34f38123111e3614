import NetDSL

/// Caffe's Slice: its input cut along `axis` at the slice points (or into equal parts, one per
/// output); backward writes each output's gradient back into its place.
final class SliceLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: SliceParams
    private var outer = 0, inner = 0, total = 0
    /// Each output's start and length along the axis.
    private var parts: [(start: Int, length: Int)] = []

    init(spec: LayerSpec, params: SliceParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard bottoms.count == 1, !tops.isEmpty else {
            throw LayerError(spec, "takes one input and one or more outputs, not \(bottoms.count) and \(tops.count)")
        }
        try requireOwnOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        let a = try canonicalAxis(params.axis, of: shape)
        (outer, total, inner) = (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
        var starts: [Int]
        if params.slicePoints.isEmpty {
            guard total % tops.count == 0 else {
                throw LayerError(spec, "axis \(a) of \(shapeText(shape)) has \(total) entries, which do not split evenly into \(tops.count) outputs; give slice points")
            }
            starts = (0..<tops.count).map { $0 * total / tops.count }
        } else {
            guard params.slicePoints.count == tops.count - 1, params.slicePoints.last.map({ $0 < total }) ?? true,
                  params.slicePoints.first.map({ $0 > 0 }) ?? true else {
                throw LayerError(spec, "slice points \(params.slicePoints) must be \(tops.count - 1) increasing positions inside axis \(a) (\(total) entries)")
            }
            starts = [0] + params.slicePoints
        }
        parts = starts.enumerated().map { i, s in (s, (i + 1 < starts.count ? starts[i + 1] : total) - s) }
        for (top, part) in zip(tops, parts) {
            var out = shape
            out[a] = part.length
            top.reshape(out)
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data
        for (top, part) in zip(tops, parts) {
            let y = top.data, n = part.length * inner
            for o in 0..<outer { (y + o * n).update(from: x + (o * total + part.start) * inner, count: n) }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let dx = bottoms[0].diff
        for (top, part) in zip(tops, parts) {
            let dy = top.diff, n = part.length * inner
            for o in 0..<outer { (dx + (o * total + part.start) * inner).update(from: dy + o * n, count: n) }
        }
    }
}

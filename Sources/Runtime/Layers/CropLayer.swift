import NetDSL

/// Caffe's Crop: the first input cut to the second's shape on every axis from `axis` on,
/// starting at the offsets; backward puts the gradient back in place, zero elsewhere. The
/// second input only gives the shape.
final class CropLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: CropParams
    private var offsets: [Int] = []
    private var inShape: [Int] = [], outShape: [Int] = []

    init(spec: LayerSpec, params: CropParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard bottoms.count == 2, tops.count == 1 else {
            throw LayerError(spec, "takes the blob to crop and one of the target shape, and one output; not \(bottoms.count) and \(tops.count)")
        }
        try requireOwnOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let a = bottoms[0].shape, b = bottoms[1].shape
        guard a.count == b.count else {
            throw LayerError(spec, "the inputs \(shapeText(a)) and \(shapeText(b)) must have the same number of axes")
        }
        let start = try canonicalAxis(params.axis, of: a)
        let cropped = a.count - start
        guard params.offset.count <= 1 || params.offset.count == cropped else {
            throw LayerError(spec, "gives \(params.offset.count) offsets for \(cropped) cropped axes; give one for all, or one per axis")
        }
        var out = a
        offsets = Array(repeating: 0, count: a.count)
        for i in start..<a.count {
            let offset = params.offset.isEmpty ? 0 : params.offset[params.offset.count == 1 ? 0 : i - start]
            guard offset + b[i] <= a[i] else {
                throw LayerError(spec, "axis \(i): offset \(offset) plus the target's \(b[i]) runs past the input's \(a[i])")
            }
            out[i] = b[i]
            offsets[i] = offset
        }
        (inShape, outShape) = (a, out)
        tops[0].reshape(out)
    }

    /// Calls `copy(inputIndex, outputIndex, count)` for each innermost run of the crop.
    private func forEachRun(_ copy: (Int, Int, Int) -> Void) {
        let rank = inShape.count
        guard rank > 0 else { copy(0, 0, 1); return }
        let run = outShape[rank - 1]
        let rows = outShape.dropLast().reduce(1, *)
        var inStrides = Array(repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * inShape[i + 1] }
        for row in 0..<rows {
            var rest = row, source = offsets[rank - 1]
            for i in stride(from: rank - 2, through: 0, by: -1) {
                let index = rest % outShape[i]
                rest /= outShape[i]
                source += (index + offsets[i]) * inStrides[i]
            }
            copy(source, row * run, run)
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data
        forEachRun { from, to, n in (y + to).update(from: x + from, count: n) }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        if propagateDown.count > 1 && propagateDown[1] { bottoms[1].zeroDiff() }
        guard propagateDown.first == true else { return }
        let dx = bottoms[0].diff, dy = tops[0].diff
        bottoms[0].zeroDiff()
        forEachRun { from, to, n in (dx + from).update(from: dy + to, count: n) }
    }
}

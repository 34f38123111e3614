import NetDSL

/// Caffe's Concat: joins any number of inputs along `axis`; every other axis must agree.
/// Backward hands each input its slice of the gradient.
final class ConcatLayer: Layer {
    /// One input shares the output's gradient; several are each written in full.
    func overwritesInputGradients(inputs: Int) -> Bool { inputs > 1 }
    let spec: LayerSpec
    let axis: Int
    /// Product of the axes before the concat axis, and of those after it.
    private var outer = 0
    private var inner = 0

    init(spec: LayerSpec, params: ConcatParams) {
        self.spec = spec
        axis = params.axis
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard !bottoms.isEmpty, tops.count == 1 else {
            throw LayerError(spec, "takes one or more inputs and one output, not \(bottoms.count) and \(tops.count)")
        }
        try requireOwnOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let first = bottoms[0].shape
        guard axis >= -first.count && axis < first.count else {
            throw LayerError(spec, "concat axis \(axis) is outside input 0 of shape \(shapeText(first)) (\(first.count) axes; negative axes count from the end)")
        }
        let a = axis < 0 ? axis + first.count : axis
        var shape = first
        for (i, b) in bottoms.enumerated().dropFirst() {
            let other = b.shape
            let agrees = other.count == first.count
                && zip(first, other).enumerated().allSatisfy { $0.offset == a || $0.element.0 == $0.element.1 }
            guard agrees else {
                throw LayerError(spec, "input \(i) has shape \(shapeText(other)) but input 0 has \(shapeText(first)); inputs must agree on every axis except the concat axis \(a)")
            }
            shape[a] += other[a]
        }
        outer = bottoms[0].count(from: 0, to: a)
        inner = bottoms[0].count(from: a + 1)
        tops[0].reshape(shape)
        if bottoms.count == 1 {
            tops[0].shareData(with: bottoms[0])
            tops[0].shareDiff(with: bottoms[0])
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        guard bottoms.count > 1 else { return }
        let y = tops[0].data
        let topBlock = tops[0].count / max(outer, 1)
        let inputs = blocks(bottoms)
        Parallel.forEach(outer, work: tops[0].count) { n in
            for (x, block, offset) in inputs {
                (y + n * topBlock + offset).update(from: x + n * block, count: block)
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard bottoms.count > 1 else { return }
        let dy = tops[0].diff
        let topBlock = tops[0].count / max(outer, 1)
        let inputs = blocks(bottoms, diff: true).enumerated().filter { propagateDown[$0.offset] }.map(\.element)
        Parallel.forEach(outer, work: tops[0].count) { n in
            for (dx, block, offset) in inputs {
                (dx + n * block).update(from: dy + n * topBlock + offset, count: block)
            }
        }
    }

    /// Each input's storage, the size of its slice per outer index, and where that slice starts
    /// within the output's.
    private func blocks(_ bottoms: [Tensor], diff: Bool = false)
        -> [(UnsafeMutablePointer<Float>, Int, Int)] {
        var offset = 0
        return bottoms.map { b in
            let block = b.count / max(outer, 1)
            defer { offset += block }
            return (diff ? b.diff : b.data, block, offset)
        }
    }
}

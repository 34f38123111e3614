import NetDSL

/// Caffe's Accuracy: the fraction of (not ignored) positions whose label is among the `topK`
/// highest scores. As in Caffe, a position counts as correct when fewer than `topK` other
/// classes score at least as high as the label, so ties count against it.
///
/// Inputs are [scores (N, C, ...), labels (N, ...)]; the output is a scalar, with an optional
/// second output of per-class accuracy (C values). No backward.
final class AccuracyLayer: Layer {
    /// Accuracy has no backward.
    func overwritesInputGradients(inputs: Int) -> Bool { false }
    let spec: LayerSpec
    let params: AccuracyParams
    private var outer = 0
    private var classes = 0
    private var inner = 0

    init(spec: LayerSpec, params: AccuracyParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard bottoms.count == 2, tops.count == 1 || tops.count == 2 else {
            throw LayerError(spec, "takes two inputs (scores, labels) and one output (optionally per-class accuracy second), not \(bottoms.count) and \(tops.count)")
        }
        guard params.topK >= 1 else {
            throw LayerError(spec, "top_k is \(params.topK); it must be at least 1")
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        guard params.axis >= -shape.count && params.axis < shape.count else {
            throw LayerError(spec, "axis \(params.axis) is outside scores of shape \(shapeText(shape)) (\(shape.count) axes; negative axes count from the end)")
        }
        let a = params.axis < 0 ? params.axis + shape.count : params.axis
        outer = bottoms[0].count(from: 0, to: a)
        classes = shape[a]
        inner = bottoms[0].count(from: a + 1)
        guard params.topK <= classes else {
            throw LayerError(spec, "top_k \(params.topK) is more than the \(classes) classes of scores shaped \(shapeText(shape))")
        }
        guard bottoms[1].count == outer * inner else {
            throw LayerError(spec, "has \(bottoms[1].count) labels (shape \(shapeText(bottoms[1].shape))) for scores of shape \(shapeText(shape)); it needs one label per position outside the class axis, \(outer * inner) in all")
        }
        tops[0].reshape([])
        if tops.count == 2 { tops[1].reshape([classes]) }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let scores = bottoms[0].data, labels = bottoms[1].data
        let classes = classes, inner = inner, dim = classes * inner, topK = params.topK
        var correct = 0, counted = 0
        var perClassCorrect = [Int](repeating: 0, count: classes)
        var perClassCount = [Int](repeating: 0, count: classes)
        for i in 0..<outer {
            for j in 0..<inner {
                let raw = labels[i * inner + j]
                let label = LabelCheck.index(raw)
                if let ignore = params.ignoreLabel, label == ignore { continue }
                guard let label, label >= 0 && label < classes else {
                    throw LayerError(spec, LabelCheck.outOfRange(raw, sample: i, position: j, inner: inner,
                                                                 classes: classes, ignoreLabel: params.ignoreLabel))
                }
                let row = scores + i * dim + j
                let target = row[label * inner]
                // The label's own score is counted too, hence the start at -1.
                var better = -1
                var k = 0
                while k < classes && better < topK {
                    if row[k * inner] >= target { better += 1 }
                    k += 1
                }
                perClassCount[label] += 1
                if better < topK {
                    correct += 1
                    perClassCorrect[label] += 1
                }
                counted += 1
            }
        }
        tops[0].data[0] = counted == 0 ? 0 : Float(correct) / Float(counted)
        if tops.count == 2 {
            let out = tops[1].data
            for c in 0..<classes {
                out[c] = perClassCount[c] == 0 ? 0 : Float(perClassCorrect[c]) / Float(perClassCount[c])
            }
        }
    }
}

import Foundation
import NetDSL

/// Caffe's SoftmaxWithLoss: softmax over `axis` of the scores, then the mean (by the chosen
/// normalisation) negative log probability of each position's label.
///
/// Inputs are [scores (N, C, ...), labels (N, ...)] with labels stored as Floats; the output is
/// the scalar loss. The loss weight arrives as the output's gradient, so backward scales by it.
final class SoftmaxWithLossLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: SoftmaxWithLossParams
    /// The softmax of the scores, kept for backward (and shared with an optional second output).
    let probabilities = Tensor()
    private let softmax: SoftmaxLayer
    /// Labels not ignored in the last forward pass.
    private var validCount = 0

    init(spec: LayerSpec, params: SoftmaxWithLossParams) {
        self.spec = spec
        self.params = params
        softmax = SoftmaxLayer(spec: spec, params: SoftmaxParams(axis: params.axis))
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard bottoms.count == 2, tops.count == 1 || tops.count == 2 else {
            throw LayerError(spec, "takes two inputs (scores, labels) and one output (the loss, optionally the probabilities second), not \(bottoms.count) and \(tops.count)")
        }
        try softmax.setUp(bottoms: [bottoms[0]], tops: [probabilities], store: store)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        try softmax.reshape(bottoms: [bottoms[0]], tops: [probabilities])
        let positions = softmax.outer * softmax.inner
        guard bottoms[1].count == positions else {
            throw LayerError(spec, "has \(bottoms[1].count) labels (shape \(shapeText(bottoms[1].shape))) for scores of shape \(shapeText(bottoms[0].shape)); it needs one label per position outside the class axis, \(positions) in all (e.g. N labels for N x C scores)")
        }
        tops[0].reshape([])
        if tops.count == 2 {
            tops[1].reshape(like: bottoms[0])
            tops[1].shareData(with: probabilities)
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        try softmax.forward(bottoms: [bottoms[0]], tops: [probabilities])
        let p = probabilities.data, labels = bottoms[1].data
        let outer = softmax.outer, inner = softmax.inner, classes = softmax.channels
        let dim = classes * inner
        var loss: Double = 0
        var valid = 0
        for i in 0..<outer {
            for j in 0..<inner {
                let raw = labels[i * inner + j]
                let label = LabelCheck.index(raw)
                if let ignore = params.ignoreLabel, label == ignore { continue }
                guard let label, label >= 0 && label < classes else {
                    throw LayerError(spec, LabelCheck.outOfRange(raw, sample: i, position: j, inner: inner, classes: classes,
                                                               ignoreLabel: params.ignoreLabel))
                }
                loss -= Double(logf(max(p[i * dim + label * inner + j], Float.leastNormalMagnitude)))
                valid += 1
            }
        }
        validCount = valid
        tops[0].data[0] = Float(loss / Double(normaliser(valid: valid)))
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        // Labels take no gradient; only the scores do.
        guard propagateDown.first == true else { return }
        let p = probabilities.data, labels = bottoms[1].data, dx = bottoms[0].diff
        let outer = softmax.outer, inner = softmax.inner, classes = softmax.channels
        let dim = classes * inner, n = probabilities.count
        dx.update(from: p, count: n)
        for i in 0..<outer {
            for j in 0..<inner {
                let label = LabelCheck.index(labels[i * inner + j])
                if let label, label >= 0 && label < classes && label != params.ignoreLabel {
                    dx[i * dim + label * inner + j] -= 1
                } else {
                    for c in 0..<classes { dx[i * dim + c * inner + j] = 0 }
                }
            }
        }
        BLAS.scal(n, tops[0].diff[0] / normaliser(valid: validCount), dx)
    }

    /// Caffe's LossParameter normalisation, never below 1.
    func normaliser(valid: Int) -> Float {
        let n: Int
        switch params.normalization {
        case .full: n = softmax.outer * softmax.inner
        case .valid: n = valid
        case .batchSize: n = softmax.outer
        case .none: n = 1
        }
        return max(1, Float(n))
    }
}

/// Reading class labels stored as Floats, shared by the loss and accuracy layers.
enum LabelCheck {
    /// The label as Caffe reads it (truncated toward zero), or nil when it is not a number that
    /// fits an index.
    static func index(_ value: Float) -> Int? {
        guard value.isFinite, abs(value) < 2_147_483_648 else { return nil }
        return Int(value)
    }

    /// Says which label is out of range, where, and what the range is.
    static func outOfRange(_ value: Float, sample: Int, position: Int, inner: Int, classes: Int,
                           ignoreLabel: Int?) -> String {
        let text = value.isFinite && value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        let place = inner > 1 ? "sample \(sample), position \(position)" : "sample \(sample)"
        let ignore = ignoreLabel.map { " (or the ignore label \($0))" } ?? ""
        return "label \(text) at \(place) is not a class: the net's output count is \(classes), so labels must be integers 0...\(classes - 1)\(ignore); check the data's labels against num_output of the layer that produces the scores"
    }
}

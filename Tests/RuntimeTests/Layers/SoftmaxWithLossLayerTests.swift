import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct SoftmaxWithLossLayerTests {
    private func layer(ignore: Int? = nil, normalization: LossNormalization = .valid) -> SoftmaxWithLossLayer {
        var p = SoftmaxWithLossParams()
        p.ignoreLabel = ignore
        p.normalization = normalization
        return SoftmaxWithLossLayer(spec: LayerSpec(name: "loss", kind: .softmaxWithLoss(p)), params: p)
    }

    private func forward(_ l: SoftmaxWithLossLayer, _ bottoms: [Tensor], _ top: Tensor) throws {
        try l.setUp(bottoms: bottoms, tops: [top], store: ParameterStore())
        try l.reshape(bottoms: bottoms, tops: [top])
        try l.forward(bottoms: bottoms, tops: [top])
    }

    @Test func knownTwoClassCase() throws {
        // Sample 0: p = (1/4, 3/4), label 1. Sample 1: p = (1/2, 1/2), label 0.
        let scores = Tensor(2, 2, values: [0, Float(log(3.0)), 0, 0])
        let labels = Tensor(2, values: [1, 0])
        let loss = Tensor()
        let l = layer()
        try forward(l, [scores, labels], loss)
        #expect(loss.shape == [] && loss.count == 1)
        let expected = (-log(0.75) - log(0.5)) / 2
        #expect(abs(Double(loss.data[0]) - expected) < 1e-6)
        for (a, b) in zip(l.probabilities.values, [Float(0.25), 0.75, 0.5, 0.5]) { #expect(abs(a - b) < 1e-6) }

        // Gradient (p - onehot) * weight / 2, with a loss weight of 2 in the top's gradient.
        loss.diff[0] = 2
        l.backward(tops: [loss], propagateDown: [true, false], bottoms: [scores, labels])
        for (a, b) in zip(scores.gradients, [Float(0.25), -0.25, -0.5, 0.5]) { #expect(abs(a - b) < 1e-6) }
        #expect(labels.gradients == [0, 0])
    }

    /// Scores 2x3x2x2 (2 samples, 3 classes, 4 positions each) with two positions ignored.
    private func spatialCase() -> (Tensor, Tensor) {
        let scores = randomTensor([2, 3, 2, 2], seed: 60, range: -2...2)
        let labels = Tensor(2, 1, 2, 2, values: [0, 2, -1, 1, 1, -1, 2, 0])
        return (scores, labels)
    }

    @Test(arguments: [(LossNormalization.full, 8.0), (.valid, 6.0), (.batchSize, 2.0), (.none, 1.0)])
    func normalisation(mode: LossNormalization, divisor: Double) throws {
        let (scores, labels) = spatialCase()
        let loss = Tensor()
        try forward(layer(ignore: -1, normalization: mode), [scores, labels], loss)
        var sum = 0.0
        for i in 0..<2 {
            for j in 0..<4 {
                let label = Int(labels.data[i * 4 + j])
                if label == -1 { continue }
                let z = (0..<3).map { Double(scores.data[(i * 3 + $0) * 4 + j]) }
                let logSum = log(z.map { exp($0) }.reduce(0, +))
                sum += logSum - z[label]
            }
        }
        #expect(abs(Double(loss.data[0]) - sum / divisor) < 1e-5)
    }

    @Test func ignoredPositionsGetNoGradient() throws {
        let (scores, labels) = spatialCase()
        let loss = Tensor()
        let l = layer(ignore: -1)
        try forward(l, [scores, labels], loss)
        loss.diff[0] = 1
        scores.diff.update(repeating: 9, count: scores.count)
        l.backward(tops: [loss], propagateDown: [true, false], bottoms: [scores, labels])
        for (i, j) in [(0, 2), (1, 1)] {
            for c in 0..<3 { #expect(scores.diff[(i * 3 + c) * 4 + j] == 0) }
        }
    }

    @Test(arguments: [LossNormalization.full, .valid, .batchSize, .none])
    func gradient(mode: LossNormalization) throws {
        let (scores, labels) = spatialCase()
        let checked = try GradientChecker().check(layer: layer(ignore: -1, normalization: mode),
                                                  bottoms: [scores, labels], tops: [Tensor()], checkBottoms: [0])
        #expect(checked == scores.count)

        let plain = randomTensor([4, 5], seed: 61, range: -2...2)
        let plainLabels = Tensor(4, values: [0, 4, 2, 3])
        let plainChecked = try GradientChecker().check(layer: layer(normalization: mode),
                                                       bottoms: [plain, plainLabels], tops: [Tensor()],
                                                       checkBottoms: [0])
        #expect(plainChecked == plain.count)
    }

    @Test func labelOutOfRangeThrows() throws {
        let scores = randomTensor([3, 3], seed: 62)
        let loss = Tensor()
        let l = layer()
        do {
            try forward(l, [scores, Tensor(3, values: [0, 5, 1])], loss)
            Issue.record("expected a LayerError for label 5")
        } catch let error as LayerError {
            #expect(error.message.contains("label 5"))
            #expect(error.message.contains("sample 1"))
            #expect(error.message.contains("output count is 3"))
        }
        #expect(throws: LayerError.self) { try l.forward(bottoms: [scores, Tensor(3, values: [0, -1, 1])], tops: [loss]) }
        #expect(throws: LayerError.self) { try l.forward(bottoms: [scores, Tensor(3, values: [0, .nan, 1])], tops: [loss]) }
    }

    @Test func labelCountMismatchThrows() throws {
        let scores = Tensor(shape: [3, 4]), labels = Tensor(shape: [2]), loss = Tensor()
        let l = layer()
        try l.setUp(bottoms: [scores, labels], tops: [loss], store: ParameterStore())
        #expect(throws: LayerError.self) { try l.reshape(bottoms: [scores, labels], tops: [loss]) }
    }
}

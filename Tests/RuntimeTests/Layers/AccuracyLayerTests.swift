import NetDSL
import Testing
@testable import Runtime

@Suite struct AccuracyLayerTests {
    private func layer(topK: Int = 1, ignore: Int? = nil) -> AccuracyLayer {
        var p = AccuracyParams(topK: topK)
        p.ignoreLabel = ignore
        return AccuracyLayer(spec: LayerSpec(name: "accuracy", kind: .accuracy(p)), params: p)
    }

    private func run(_ l: AccuracyLayer, _ scores: Tensor, _ labels: Tensor, tops: [Tensor] = [Tensor()]) throws -> Float {
        try l.setUp(bottoms: [scores, labels], tops: tops, store: ParameterStore())
        try l.reshape(bottoms: [scores, labels], tops: tops)
        try l.forward(bottoms: [scores, labels], tops: tops)
        #expect(tops[0].shape == [])
        return tops[0].data[0]
    }

    /// Four samples over three classes; label ranks (1 = highest) are 1, 2, 3, 1.
    private let scores = Tensor(4, 3, values: [0.1, 0.7, 0.2,
                                               0.5, 0.3, 0.2,
                                               0.6, 0.3, 0.1,
                                               0.2, 0.2, 0.9])
    private let labels = Tensor(4, values: [1, 1, 2, 2])

    @Test func topOneAndTopTwo() throws {
        #expect(try run(layer(topK: 1), scores, labels) == 0.5)
        #expect(try run(layer(topK: 2), scores, labels) == 0.75)
        #expect(try run(layer(topK: 3), scores, labels) == 1)
    }

    @Test func tiesCountAgainstTheLabel() throws {
        // Caffe counts classes scoring >= the label's, so a tie for first is not top-1 correct.
        let tied = Tensor(1, 3, values: [0.4, 0.4, 0.2])
        #expect(try run(layer(topK: 1), tied, Tensor(1, values: [0])) == 0)
        #expect(try run(layer(topK: 1), tied, Tensor(1, values: [1])) == 0)
        #expect(try run(layer(topK: 2), tied, Tensor(1, values: [0])) == 1)
    }

    @Test func ignoredLabelsAreNotCounted() throws {
        let partly = Tensor(4, values: [1, -1, -1, 2])
        #expect(try run(layer(topK: 1, ignore: -1), scores, partly) == 1)
        let none = Tensor(4, values: [-1, -1, -1, -1])
        #expect(try run(layer(topK: 1, ignore: -1), scores, none) == 0)
    }

    @Test func perClassSecondOutput() throws {
        let perClass = Tensor()
        _ = try run(layer(topK: 1), scores, labels, tops: [Tensor(), perClass])
        #expect(perClass.shape == [3])
        #expect(perClass.values == [0, 0.5, 0.5])
    }

    @Test func spatialLabels() throws {
        // 1 sample, 2 classes, 3 positions: argmax per position is class 1, 0, 1.
        let s = Tensor(1, 2, 3, values: [0.1, 0.9, 0.2,
                                         0.8, 0.3, 0.7])
        #expect(try run(layer(), s, Tensor(1, 3, values: [1, 0, 0])) == Float(2) / 3)
    }

    @Test func labelOutOfRangeThrows() throws {
        let l = layer()
        do {
            _ = try run(l, scores, Tensor(4, values: [0, 1, 3, 0]))
            Issue.record("expected a LayerError for label 3")
        } catch let error as LayerError {
            #expect(error.message.contains("label 3"))
            #expect(error.message.contains("sample 2"))
            #expect(error.message.contains("output count is 3"))
        }
    }

    @Test func topKAboveClassesThrows() throws {
        let l = layer(topK: 4)
        let top = Tensor()
        try l.setUp(bottoms: [scores, labels], tops: [top], store: ParameterStore())
        #expect(throws: LayerError.self) { try l.reshape(bottoms: [scores, labels], tops: [top]) }
    }
}

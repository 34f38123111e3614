import Foundation
import Testing
@testable import NetDSL
@testable import Runtime

/// A learning kind whose output feeds two layers: the compiler's Split must sum both readers'
/// gradients into it. PReLU is the smallest real learning kind besides the product layers.
@Suite struct BranchingLearnerTests {
    static var product: InnerProductParams {
        var p = InnerProductParams(numOutput: 3)
        p.weightFiller = .gaussian(std: 0.5)
        return p
    }

    static let net = NetSpec(name: "branch", layers: [
        LayerSpec(name: "data", kind: .input(InputParams(shapes: [[3, 2, 4], [3]])), tops: ["data", "label"]),
        LayerSpec(name: "prelu", kind: .prelu(PReLUParams()), bottoms: ["data"], tops: ["p"]),
        LayerSpec(name: "a", kind: .innerProduct(Self.product),
                  bottoms: ["p"], tops: ["a"]),
        LayerSpec(name: "b", kind: .innerProduct(Self.product),
                  bottoms: ["p"], tops: ["b"]),
        LayerSpec(name: "sum", kind: .eltwise(EltwiseParams()), bottoms: ["a", "b"], tops: ["sum"]),
        LayerSpec(name: "loss", kind: .softmaxWithLoss(SoftmaxWithLossParams()), bottoms: ["sum", "label"], tops: ["loss"]),
    ])

    @Test func theSlopesGradientSumsBothBranches() throws {
        let graph = try Compiler.compile(Self.net, for: .train, store: ParameterStore(seed: 4))
        #expect(graph.layers.contains { if case .split = $0.spec.kind { return $0.spec.bottoms == ["p"] } else { return false } })
        let x = randomTensor([3, 2, 4], seed: 12, range: -2...2)
        graph.blobs["data"]?.copy(from: x.values)
        graph.blobs["label"]?.copy(from: [0, 1, 2])
        let slopes = try #require(graph.layer(named: "prelu")?.parameters.first)
        for p in graph.store.parameters { p.tensor.zeroDiff() }
        _ = try graph.forward()
        graph.backward()
        let analytic = slopes.gradients
        let h: Float = 1e-2
        for c in 0..<slopes.count {
            let original = slopes.data[c]
            slopes.data[c] = original + h
            let plus = try graph.forward()
            slopes.data[c] = original - h
            let minus = try graph.forward()
            slopes.data[c] = original
            let numeric = (plus - minus) / (2 * h)
            #expect(abs(analytic[c] - numeric) <= 2e-3 * max(1, abs(numeric)), "slope \(c): \(analytic[c]) vs \(numeric)")
        }
    }

    @Test func theKindsBlobsAreWhatExportKeeps() throws {
        let prelu = Self.net.layers[1]
        #expect(prelu.learns)
        #expect(prelu.kind.parameterBlobs(inputs: 1).map(\.role) == ["slopes"])
        let bn = LayerSpec(name: "bn", kind: .batchNorm(BatchNormParams()), bottoms: ["x"])
        #expect(!bn.learns, "BatchNorm's statistics are blobs the solver does not learn")
        #expect(bn.kind.parameterBlobs(inputs: 1).count == 3)
    }
}

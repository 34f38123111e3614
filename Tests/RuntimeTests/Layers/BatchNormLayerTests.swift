import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct BatchNormLayerTests {
    private func layer(_ phase: Phase, global: Bool? = nil, fraction: Float = 0.999) -> BatchNormLayer {
        let p = BatchNormParams(useGlobalStats: global, movingAverageFraction: fraction)
        return BatchNormLayer(spec: LayerSpec(name: "bn", kind: .batchNorm(p)), params: p, phase: phase)
    }

    @Test func trainingNormalisesEachChannelAndUpdatesTheSums() throws {
        let x = randomTensor([4, 3, 2, 2], seed: 1, range: -3...5)
        let y = Tensor()
        let l = layer(.train, fraction: 0.9)
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
        let m = 4 * 4
        for c in 0..<3 {
            var values: [Double] = [], outs: [Double] = []
            for n in 0..<4 { for i in 0..<4 { let k = (n * 3 + c) * 4 + i; values.append(Double(x.data[k])); outs.append(Double(y.data[k])) } }
            let mean = values.reduce(0, +) / Double(m)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
            for (v, o) in zip(values, outs) { #expect(abs((v - mean) / (variance + 1e-5).squareRoot() - o) < 1e-4) }
            // Caffe's sums after one batch: mean, m/(m-1) variance, factor 1.
            #expect(abs(Double(l.parameters[0].data[c]) - mean) < 1e-4)
            #expect(abs(Double(l.parameters[1].data[c]) - variance * Double(m) / Double(m - 1)) < 1e-3)
        }
        #expect(l.parameters[2].data[0] == 1)
        try l.forward(bottoms: [x], tops: [y])
        #expect(abs(l.parameters[2].data[0] - 1.9) < 1e-6)
    }

    @Test func testPhaseUsesTheStoredAverages() throws {
        let store = ParameterStore()
        let x = randomTensor([2, 2, 3], seed: 2)
        let y = Tensor()
        let l = layer(.test)
        try l.setUp(bottoms: [x], tops: [y], store: store)
        // Sums 4 and 8 with weight 2: mean 2, variance 4.
        l.parameters[0].copy(from: [4, -2])
        l.parameters[1].copy(from: [8, 2])
        l.parameters[2].copy(from: [2])
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
        for n in 0..<2 {
            for i in 0..<3 {
                let a = (n * 2) * 3 + i, b = (n * 2 + 1) * 3 + i
                #expect(abs(y.data[a] - (x.data[a] - 2) / (4 + 1e-5).squareRoot()) < 1e-5)
                #expect(abs(y.data[b] - (x.data[b] + 1) / (1 + 1e-5).squareRoot()) < 1e-5)
            }
        }
        #expect(l.parameters[2].data[0] == 2, "TEST leaves the statistics alone")
    }

    @Test(arguments: [false, true])
    func gradients(global: Bool) throws {
        for (n, shape) in [[3, 2, 3, 2], [5, 4], [2, 3, 4]].enumerated() {
            let x = randomTensor(shape, seed: 50 + UInt64(n), range: -2...2)
            let l = layer(global ? .test : .train)
            if global {
                try l.setUp(bottoms: [x], tops: [Tensor()], store: ParameterStore())
            }
            var checker = GradientChecker()
            checker.stepsize = 1e-3
            checker.threshold = 5e-3
            let checked = try checker.check(layer: l, bottoms: [x], tops: [Tensor()], checkParameters: false)
            #expect(checked == x.count)
        }
    }

    @Test func statisticsAreNotLearned() throws {
        let store = ParameterStore()
        let l = layer(.train)
        try l.setUp(bottoms: [Tensor(shape: [2, 3])], tops: [Tensor()], store: store)
        #expect(store.parameters.map(\.lrMult) == [0, 0, 0])
        var spec = LayerSpec(name: "bn2", kind: .batchNorm(BatchNormParams()))
        spec.params = [ParamSpec(lrMult: 1)]
        let learned = BatchNormLayer(spec: spec, params: BatchNormParams(), phase: .train)
        #expect(throws: LayerError.self) { try learned.setUp(bottoms: [Tensor(shape: [2, 3])], tops: [Tensor()], store: store) }
    }

    @Test func inPlaceEqualsOutOfPlace() throws {
        let x = randomTensor([3, 2, 4], seed: 5, range: -2...2)
        let r = randomTensor([3, 2, 4], seed: 6)
        func run(inPlace: Bool) throws -> [[Float]] {
            let bottom = Tensor(shape: x.shape)
            bottom.copy(from: x.values)
            let top = inPlace ? bottom : Tensor()
            let l = layer(.train)
            try l.setUp(bottoms: [bottom], tops: [top], store: ParameterStore())
            try l.reshape(bottoms: [bottom], tops: [top])
            try l.forward(bottoms: [bottom], tops: [top])
            let y = top.values
            top.diff.update(from: r.data, count: r.count)
            l.backward(tops: [top], propagateDown: [true], bottoms: [bottom])
            return [y, bottom.gradients]
        }
        #expect(try run(inPlace: false) == run(inPlace: true))
    }
}

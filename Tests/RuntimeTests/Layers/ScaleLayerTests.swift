import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct ScaleLayerTests {
    private func scale(_ p: ScaleParams) -> ScaleLayer {
        var p = p
        p.filler = .uniform(min: 0.5, max: 2)
        p.biasFiller = .uniform(min: -1, max: 1)
        return ScaleLayer(spec: LayerSpec(name: "scale", kind: .scale(p)), params: p)
    }

    @Test func valuesBroadcastPerChannel() throws {
        let x = Tensor(shape: [1, 2, 2])
        x.copy(from: [1, 2, 3, 4])
        let y = Tensor()
        let l = scale(ScaleParams(biasTerm: true))
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        l.parameters[0].copy(from: [2, -1])
        l.parameters[1].copy(from: [0.5, 1])
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
        #expect(y.values == [2.5, 4.5, -2, -3])
    }

    @Test(arguments: [(1, 1, true), (1, 1, false), (1, 2, true), (2, 1, true), (0, -1, false), (-1, 1, true), (1, 0, true)])
    func gradientsForEachSpan(axis: Int, numAxes: Int, bias: Bool) throws {
        let x = randomTensor([2, 3, 4, 2], seed: 60, range: -2...2)
        let checked = try GradientChecker().check(layer: scale(ScaleParams(axis: axis, numAxes: numAxes, biasTerm: bias)),
                                                  bottoms: [x], tops: [Tensor()])
        #expect(checked > x.count)
    }

    @Test func theSecondInputIsTheScale() throws {
        let x = randomTensor([2, 3, 4], seed: 61, range: -2...2)
        let s = randomTensor([2, 3], seed: 62, range: 0.5...2)
        let l = scale(ScaleParams(axis: 0, numAxes: -1, biasTerm: true))
        let checked = try GradientChecker().check(layer: l, bottoms: [x, s], tops: [Tensor()])
        #expect(checked == x.count + s.count + 6, "both inputs and the bias")
        #expect(l.parameters.count == 1)
    }

    @Test func inPlaceEqualsOutOfPlace() throws {
        let x = randomTensor([2, 3, 4], seed: 63, range: -2...2)
        let r = randomTensor([2, 3, 4], seed: 64)
        func run(inPlace: Bool) throws -> [[Float]] {
            let bottom = Tensor(shape: x.shape)
            bottom.copy(from: x.values)
            let top = inPlace ? bottom : Tensor()
            let l = scale(ScaleParams(biasTerm: true))
            try l.setUp(bottoms: [bottom], tops: [top], store: ParameterStore(seed: 2))
            try l.reshape(bottoms: [bottom], tops: [top])
            try l.forward(bottoms: [bottom], tops: [top])
            let y = top.values
            top.diff.update(from: r.data, count: r.count)
            l.backward(tops: [top], propagateDown: [true], bottoms: [bottom])
            return [y, bottom.gradients] + l.parameters.map(\.gradients)
        }
        #expect(try run(inPlace: false) == run(inPlace: true))
    }

    @Test func spansThatDoNotFitAreErrors() throws {
        let x = Tensor(shape: [2, 3])
        #expect(throws: LayerError.self) {
            try self.scale(ScaleParams(axis: 1, numAxes: 2)).setUp(bottoms: [x], tops: [Tensor()], store: ParameterStore())
        }
        #expect(throws: LayerError.self) {
            try self.scale(ScaleParams(axis: 2)).setUp(bottoms: [x], tops: [Tensor()], store: ParameterStore())
        }
        #expect(throws: LayerError.self) {
            try self.scale(ScaleParams()).setUp(bottoms: [x, Tensor(shape: [4])], tops: [Tensor()], store: ParameterStore())
        }
    }

    @Test(arguments: [false, true])
    func biasGradients(secondInput: Bool) throws {
        var p = BiasParams()
        p.filler = .uniform(min: -1, max: 1)
        let l = BiasLayer(spec: LayerSpec(name: "bias", kind: .bias(p)), params: p)
        let x = randomTensor([2, 3, 4], seed: 65, range: -2...2)
        let bottoms = secondInput ? [x, randomTensor([3], seed: 66)] : [x]
        let checked = try GradientChecker().check(layer: l, bottoms: bottoms, tops: [Tensor()])
        #expect(checked == x.count + 3)
    }
}

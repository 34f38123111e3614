import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct PReLULayerTests {
    private func layer(shared: Bool = false, name: String = "prelu") -> PReLULayer {
        var p = PReLUParams(channelShared: shared)
        p.filler = .uniform(min: 0.1, max: 0.4)
        return PReLULayer(spec: LayerSpec(name: name, kind: .prelu(p)), params: p)
    }

    @Test func valuesUseOneSlopePerChannel() throws {
        let x = Tensor(shape: [1, 2, 2])
        x.copy(from: [-2, 3, -4, 5])
        let y = Tensor()
        let l = layer()
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        l.parameters[0].copy(from: [0.5, 0.25])
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
        #expect(y.values == [-1, 3, -1, 5])
    }

    @Test(arguments: [false, true])
    func gradientsOfInputsAndSlopes(shared: Bool) throws {
        for (n, shape) in [[2, 3, 4, 5], [3, 2], [1, 4, 3]].enumerated() {
            let x = randomTensor(shape, seed: 40 + UInt64(n), range: -2...2)
            var checker = GradientChecker()
            (checker.kink, checker.kinkRange) = (0, 0.02)
            let checked = try checker.check(layer: layer(shared: shared), bottoms: [x], tops: [Tensor()])
            #expect(checked == x.count + (shared ? 1 : shape[1]))
        }
    }

    @Test func inPlaceEqualsOutOfPlace() throws {
        let x = randomTensor([2, 3, 4], seed: 3, range: -2...2)
        let r = randomTensor([2, 3, 4], seed: 4)
        func run(inPlace: Bool) throws -> [[Float]] {
            let bottom = Tensor(shape: x.shape)
            bottom.copy(from: x.values)
            let top = inPlace ? bottom : Tensor()
            let l = layer()
            try l.setUp(bottoms: [bottom], tops: [top], store: ParameterStore(seed: 9))
            try l.reshape(bottoms: [bottom], tops: [top])
            try l.forward(bottoms: [bottom], tops: [top])
            let y = top.values
            top.diff.update(from: r.data, count: r.count)
            l.parameters[0].zeroDiff()
            l.backward(tops: [top], propagateDown: [true], bottoms: [bottom])
            return [y, bottom.gradients, l.parameters[0].gradients]
        }
        #expect(try run(inPlace: false) == run(inPlace: true))
    }

    @Test func needsChannels() throws {
        let l = layer()
        #expect(throws: LayerError.self) { try l.setUp(bottoms: [Tensor(shape: [4])], tops: [Tensor()], store: ParameterStore()) }
    }
}

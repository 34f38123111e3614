import Foundation
import NetDSL
import Testing
@testable import Runtime

/// Caffe's neuron layers: values against their definitions, gradients by finite differences
/// over several shapes, and in place against out of place.
@Suite struct ElementwiseLayerTests {
    /// Each kind with an input range where it is smooth and a reference in Double.
    static let cases: [(kind: LayerKind, range: ClosedRange<Float>, reference: (Double) -> Double)] = [
        (.elu(ELUParams(alpha: 0.7)), -3...3, { $0 > 0 ? $0 : 0.7 * (exp($0) - 1) }),
        (.absVal, -3...3, { abs($0) }),
        (.bnll, -4...4, { log(1 + exp($0)) }),
        (.power(PowerParams(power: 2.5, scale: 0.5, shift: 2)), -3...3, { pow(2 + 0.5 * $0, 2.5) }),
        (.power(PowerParams(power: 2, scale: -1, shift: 0.5)), -3...3, { pow(0.5 - $0, 2) }),
        (.exp(ExpParams()), -2...2, { exp($0) }),
        (.exp(ExpParams(base: 2, scale: 0.5, shift: 1)), -2...2, { pow(2, 1 + 0.5 * $0) }),
        (.log(LogParams()), 0.5...3, { log($0) }),
        (.log(LogParams(base: 10, scale: 2, shift: 1)), 0.5...3, { log10(1 + 2 * $0) }),
        (.threshold(ThresholdParams(threshold: 0.3)), -2...2, { $0 > 0.3 ? 1 : 0 }),
        (.clip(ClipParams(min: -0.5, max: 1)), -2...2, { max(-0.5, min($0, 1)) }),
        (.swish(SwishParams(beta: 1.5)), -3...3, { $0 / (1 + exp(-1.5 * $0)) }),
    ]

    private func layer(_ kind: LayerKind) throws -> Layer {
        var random = RandomGenerator(seed: 1)
        return try LayerFactory.make(LayerSpec(name: kind.typeName.lowercased(), kind: kind), phase: .train,
                                     options: CompileOptions(), random: &random)
    }

    @Test(arguments: cases.indices)
    func valuesFollowTheDefinition(_ index: Int) throws {
        let c = Self.cases[index]
        let x = randomTensor([2, 3, 5], seed: 11, range: c.range)
        let y = Tensor()
        let l = try layer(c.kind)
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
        for i in 0..<x.count {
            let want = c.reference(Double(x.data[i]))
            #expect(abs(Double(y.data[i]) - want) <= 1e-5 * max(1, abs(want)), "\(c.kind.typeName) at \(x.data[i])")
        }
    }

    @Test(arguments: cases.indices)
    func gradientsMatchFiniteDifferences(_ index: Int) throws {
        let c = Self.cases[index]
        for (n, shape) in [[2, 3, 4, 5], [7], [3, 1, 2]].enumerated() {
            let x = randomTensor(shape, seed: 30 + UInt64(n), range: c.range)
            var checker = GradientChecker()
            // Kinks: 0 for ELU, AbsVal and Threshold's neighbourhood, the clip bounds.
            switch c.kind {
            case .absVal, .elu: (checker.kink, checker.kinkRange) = (0, 0.02)
            case .threshold: (checker.kink, checker.kinkRange) = (0.3, 0.02)
            case .clip:
                for i in 0..<x.count where abs(x.data[i] + 0.5) < 0.02 || abs(x.data[i] - 1) < 0.02 { x.data[i] += 0.05 }
            default: break
            }
            let checked = try checker.check(layer: try layer(c.kind), bottoms: [x], tops: [Tensor()])
            #expect(checked > 0)
        }
    }

    @Test(arguments: cases.indices)
    func inPlaceEqualsOutOfPlace(_ index: Int) throws {
        let c = Self.cases[index]
        let x = randomTensor([2, 4, 3], seed: 7, range: c.range)
        let r = randomTensor([2, 4, 3], seed: 8)
        func run(inPlace: Bool) throws -> (y: [Float], dx: [Float]) {
            let bottom = Tensor(shape: x.shape)
            bottom.copy(from: x.values)
            let top = inPlace ? bottom : Tensor()
            let l = try layer(c.kind)
            try l.setUp(bottoms: [bottom], tops: [top], store: ParameterStore())
            try l.reshape(bottoms: [bottom], tops: [top])
            try l.forward(bottoms: [bottom], tops: [top])
            let y = top.values
            top.diff.update(from: r.data, count: r.count)
            l.backward(tops: [top], propagateDown: [true], bottoms: [bottom])
            return (y, bottom.gradients)
        }
        let apart = try run(inPlace: false), together = try run(inPlace: true)
        #expect(apart.y == together.y)
        #expect(apart.dx == together.dx)
    }
}

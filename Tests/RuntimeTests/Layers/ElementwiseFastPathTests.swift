import Foundation
import NetDSL
import Testing
@testable import Runtime

/// The elementwise layers take separate loops in place (one pointer, so they vectorise) and out
/// of place. With a count several default grains long, so both loops also run split over cores,
/// each must give what the plain formula gives, value for value.
@Suite struct ElementwiseFastPathTests {
    /// Two default grains and an odd remainder: chunked whenever two or more threads are used.
    private static let count = 2 * (1 << 18) + 13

    private struct Pass {
        var output: [Float]
        var inputGradient: [Float]
    }

    /// Forward then backward with the top gradient `dy`, in place or not.
    private func run(_ make: () -> Layer, inPlace: Bool, x values: Tensor, dy: Tensor) throws -> Pass {
        let layer = make()
        let x = Tensor(shape: values.shape)
        x.data.update(from: values.data, count: x.count)
        let y = inPlace ? x : Tensor()
        try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try layer.reshape(bottoms: [x], tops: [y])
        try layer.forward(bottoms: [x], tops: [y])
        let output = y.values
        y.diff.update(from: dy.data, count: y.count)
        layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
        return Pass(output: output, inputGradient: x.gradients)
    }

    /// Runs in place and out of place, and checks both against `formula(x, dy) -> (y, dx)`.
    private func check(_ name: String, _ make: () -> Layer,
                       formula: (_ index: Int, _ x: Float, _ dy: Float, _ y: Float) -> (y: Float, dx: Float)) throws {
        let x = randomTensor([Self.count], seed: 21, range: -4...4)
        let dy = randomTensor([Self.count], seed: 22)
        let separate = try run(make, inPlace: false, x: x, dy: dy)
        let inPlace = try run(make, inPlace: true, x: x, dy: dy)
        // Counted, not compared as arrays: a failing array comparison diffs half a million values.
        var wrongOutputs = 0, wrongGradients = 0
        for i in 0..<Self.count where inPlace.output[i] != separate.output[i] { wrongOutputs += 1 }
        for i in 0..<Self.count where inPlace.inputGradient[i] != separate.inputGradient[i] { wrongGradients += 1 }
        #expect(wrongOutputs == 0, "\(name): \(wrongOutputs) in-place outputs differ from out of place")
        #expect(wrongGradients == 0, "\(name): \(wrongGradients) in-place gradients differ from out of place")
        wrongOutputs = 0
        wrongGradients = 0
        for i in 0..<Self.count {
            let expected = formula(i, x.data[i], dy.data[i], separate.output[i])
            if separate.output[i] != expected.y { wrongOutputs += 1 }
            if separate.inputGradient[i] != expected.dx { wrongGradients += 1 }
        }
        #expect(wrongOutputs == 0, "\(name): \(wrongOutputs) outputs differ from the formula")
        #expect(wrongGradients == 0, "\(name): \(wrongGradients) gradients differ from the formula")
    }

    @Test(arguments: [Float(0), 0.1, -0.5])
    func relu(slope: Float) throws {
        let params = ReLUParams(negativeSlope: slope)
        try check("relu \(slope)", { ReLULayer(spec: LayerSpec(name: "relu", kind: .relu(params)), params: params) }) {
            _, x, dy, _ in (max(x, 0) + slope * min(x, 0), dy * (x > 0 ? 1 : slope))
        }
    }

    @Test func sigmoid() throws {
        try check("sigmoid", { SigmoidLayer(spec: LayerSpec(name: "sigmoid", kind: .sigmoid)) }) { _, _, dy, y in
            // The output is checked against the layer's own exp below; here only its gradient.
            (y, dy * y * (1 - y))
        }
        let x = randomTensor([Self.count], seed: 21, range: -4...4)
        let pass = try run({ SigmoidLayer(spec: LayerSpec(name: "sigmoid", kind: .sigmoid)) }, inPlace: true, x: x,
                           dy: randomTensor([Self.count], seed: 22))
        var worst: Float = 0
        for i in 0..<Self.count { worst = max(worst, abs(pass.output[i] - 1 / (1 + exp(-x.data[i])))) }
        #expect(worst < 1e-6)
    }

    @Test func tanh() throws {
        try check("tanh", { TanHLayer(spec: LayerSpec(name: "tanh", kind: .tanh)) }) { _, _, dy, y in
            (y, dy * (1 - y * y))
        }
        let x = randomTensor([Self.count], seed: 21, range: -4...4)
        let pass = try run({ TanHLayer(spec: LayerSpec(name: "tanh", kind: .tanh)) }, inPlace: true, x: x,
                           dy: randomTensor([Self.count], seed: 22))
        var worst: Float = 0
        for i in 0..<Self.count { worst = max(worst, abs(pass.output[i] - Foundation.tanh(x.data[i]))) }
        #expect(worst < 1e-6)
    }

    /// Both passes draw the same mask (same seed); the formula reads the mask back from the
    /// output, which is 0 where dropped and x / (1 - ratio) where kept.
    @Test func dropout() throws {
        let params = DropoutParams(ratio: 0.3)
        let scale = Float(1 / (1 - Double(params.ratio)))  // as the layer folds it
        let make = {
            DropoutLayer(spec: LayerSpec(name: "drop", kind: .dropout(params)), params: params, phase: .train,
                         random: RandomGenerator(seed: 7))
        }
        var kept = 0
        try check("dropout", make) { _, x, dy, y in
            let keep = y != 0
            if keep { kept += 1 }
            return (keep ? x * scale : 0, keep ? dy * scale : 0)
        }
        // Some of each, so the mask really was applied.
        #expect(kept > Self.count / 2 && kept < Self.count * 9 / 10)
    }
}

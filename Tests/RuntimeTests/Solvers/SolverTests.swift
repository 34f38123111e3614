import Foundation
import NetDSL
import Testing
@testable import Runtime

/// A learnable blob with given values.
private func param(_ values: [Float], lrMult: Float = 1, decayMult: Float = 1, key: String = "w") -> Parameter {
    let tensor = Tensor(shape: [values.count])
    tensor.copy(from: values)
    return Parameter(key: key, layerName: key, index: 0, tensor: tensor, lrMult: lrMult, decayMult: decayMult)
}

private func setDiff(_ p: Parameter, _ values: [Float]) {
    for (i, v) in values.enumerated() { p.tensor.diff[i] = v }
}

/// Float-precision comparison: `relative` of the expected magnitude, at least `absolute`.
private func expectClose(_ actual: [Float], _ expected: [Double], relative: Double = 1e-6, absolute: Double = 1e-6,
                         sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (a, e) in zip(actual, expected) {
        #expect(abs(Double(a) - e) <= max(absolute, relative * abs(e)), "\(actual) != \(expected)",
                sourceLocation: sourceLocation)
    }
}

@Suite struct SolverUpdateTests {
    @Test func sgdMomentumWithWeightDecayTwoSteps() throws {
        let plan = SolverPlan(baseLR: 0.1, momentum: 0.9, weightDecay: 0.01, iterations: 10)
        let p = param([1, -2, 0.5])
        let solver = try Solver(plan: plan, parameters: [p])
        #expect(solver.history.count == 1)

        // g = diff + 0.01 data = [0.51, 0.23, -0.995]; h = 0.1 g; data -= h
        setDiff(p, [0.5, 0.25, -1])
        solver.step(iteration: 0)
        expectClose(solver.history[0].values, [0.051, 0.023, -0.0995])
        expectClose(p.tensor.values, [0.949, -2.023, 0.5995])
        #expect(p.tensor.gradients == [0, 0, 0])

        // g = [0.1 + 0.00949, -0.2 - 0.02023, 0.3 + 0.005995]; h = 0.1 g + 0.9 h
        setDiff(p, [0.1, -0.2, 0.3])
        solver.step(iteration: 1)
        expectClose(solver.history[0].values, [0.056849, -0.001323, -0.0589505])
        expectClose(p.tensor.values, [0.892151, -2.021677, 0.6584505])
    }

    @Test func nesterovTwoSteps() throws {
        let plan = SolverPlan(type: .nesterov, baseLR: 0.1, momentum: 0.9, iterations: 10)
        let p = param([1, -2])
        let solver = try Solver(plan: plan, parameters: [p])
        // h = 0.1 g = [0.05, -0.1]; update = 1.9 h - 0.9 * 0
        setDiff(p, [0.5, -1])
        solver.step(iteration: 0)
        expectClose(p.tensor.values, [0.905, -1.81])
        // h = [0.02 + 0.045, 0.04 - 0.09] = [0.065, -0.05]; update = 1.9 h - 0.9 [0.05, -0.1]
        setDiff(p, [0.2, 0.4])
        solver.step(iteration: 1)
        expectClose(solver.history[0].values, [0.065, -0.05])
        expectClose(p.tensor.values, [0.8265, -1.805])
    }

    @Test func adaGradTwoSteps() throws {
        let plan = SolverPlan(type: .adaGrad, baseLR: 0.1, iterations: 10).with { $0.delta = 0.1 }
        let p = param([1, -2])
        let solver = try Solver(plan: plan, parameters: [p])
        // h = [0.25, 1]; data -= 0.1 * g / (sqrt(h) + 0.1) = 0.1 * [0.5 / 0.6, -1 / 1.1]
        setDiff(p, [0.5, -1])
        solver.step(iteration: 0)
        expectClose(p.tensor.values, [1 - 0.05 / 0.6, -2 + 0.1 / 1.1])
        // h = [0.5, 2]; data -= 0.1 * [0.5 / (sqrt(0.5) + 0.1), -1 / (sqrt(2) + 0.1)]
        setDiff(p, [0.5, -1])
        solver.step(iteration: 1)
        expectClose(solver.history[0].values, [0.5, 2])
        expectClose(p.tensor.values, [0.854717, -1.84305003])
    }

    @Test func rmsPropTwoSteps() throws {
        let plan = SolverPlan(type: .rmsProp, baseLR: 0.01, iterations: 10).with { $0.delta = 0.01; $0.rmsDecay = 0.9 }
        let p = param([1, -2])
        let solver = try Solver(plan: plan, parameters: [p])
        // h = 0.1 g^2 = [0.025, 0.1]; data -= 0.01 g / (sqrt(h) + 0.01)
        setDiff(p, [0.5, -1])
        solver.step(iteration: 0)
        expectClose(solver.history[0].values, [0.025, 0.1])
        expectClose(p.tensor.values, [0.970258256424, -1.969346569968])
        // h = 0.1 [0.0625, 0.25] + 0.9 [0.025, 0.1] = [0.02875, 0.115]
        setDiff(p, [0.25, 0.5])
        solver.step(iteration: 1)
        expectClose(solver.history[0].values, [0.02875, 0.115])
        expectClose(p.tensor.values, [0.956335197997, -1.983668436772])
    }

    @Test func adaDeltaTwoStepsKeepsTwoHistories() throws {
        let plan = SolverPlan(type: .adaDelta, baseLR: 1, momentum: 0.95, iterations: 10).with { $0.delta = 1e-6 }
        let p = param([1, -2])
        let solver = try Solver(plan: plan, parameters: [p])
        #expect(solver.history.count == 2)
        // h = 0.05 g^2 = [0.0125, 0.05]; v = g sqrt((0 + 1e-6) / (h + 1e-6)); u = 0.05 v^2
        setDiff(p, [0.5, -1])
        solver.step(iteration: 0)
        expectClose(solver.history[0].values, [0.0125, 0.05])
        expectClose(solver.history[1].values, [9.999200063995e-07, 9.999800004000e-07], relative: 1e-5, absolute: 0)
        expectClose(p.tensor.values, [0.99552804292, -1.995527908766])
        setDiff(p, [0.25, 0.5])
        solver.step(iteration: 1)
        expectClose(solver.history[0].values, [0.015, 0.06])
        expectClose(solver.history[1].values, [1.366546232598e-06, 1.366636556204e-06], relative: 1e-5, absolute: 0)
        expectClose(p.tensor.values, [0.992641445523, -1.998414621622])
    }

    @Test func adamTwoStepsWithBiasCorrection() throws {
        let plan = SolverPlan(type: .adam, baseLR: 0.001, momentum: 0.9, iterations: 10)
            .with { $0.momentum2 = 0.999; $0.delta = 1e-8 }
        let p = param([1, -2])
        let solver = try Solver(plan: plan, parameters: [p])
        #expect(solver.history.count == 2)
        // Caffe keeps beta1 and beta2 as floats: 1 - 0.999f is 0.00099998713, not 0.001, and the
        // bias correction sqrt(1 - b2^t) / (1 - b1^t) is taken in double from those floats.
        let b1 = Double(Float(0.9)), b2 = Double(Float(0.999)), keep2 = Double(1 - Float(0.999))
        #expect(abs(Double(Solver.adamCorrection(plan: plan, iteration: 0)) - (1 - b2).squareRoot() / (1 - b1)) < 1e-7)
        #expect(abs(Double(Solver.adamCorrection(plan: plan, iteration: 1))
                    - (1 - b2 * b2).squareRoot() / (1 - b1 * b1)) < 1e-7)

        // t = 1: m = 0.1 g, v = (1 - b2) g^2; the step is ~lr * sign(g)
        setDiff(p, [0.5, -1])
        solver.step(iteration: 0)
        let v1 = [keep2 * 0.25, keep2 * 1]
        expectClose(solver.history[0].values, [0.05, -0.1])
        expectClose(solver.history[1].values, v1, absolute: 0)
        expectClose(p.tensor.values, [0.999000000632, -1.999000000316])
        // t = 2: m = 0.1 g + 0.9 m; v = (1 - b2) g^2 + b2 v
        setDiff(p, [0.25, 0.5])
        solver.step(iteration: 1)
        expectClose(solver.history[0].values, [0.07, -0.04])
        expectClose(solver.history[1].values, [keep2 * 0.0625 + b2 * v1[0], keep2 * 0.25 + b2 * v1[1]], absolute: 0)
        expectClose(p.tensor.values, [0.998067821521, -1.998733663352])
    }

    @Test func l1RegularizationAddsTheSign() throws {
        let plan = SolverPlan(baseLR: 1, weightDecay: 0.5, iterations: 10).with { $0.regularization = .l1 }
        let p = param([2, -3, 0])
        let solver = try Solver(plan: plan, parameters: [p])
        // g = 0.5 * sign(data) = [0.5, -0.5, 0]
        solver.step(iteration: 0)
        #expect(p.tensor.values == [1.5, -2.5, 0])
    }

    @Test func lrMultAndDecayMultPerParameter() throws {
        let plan = SolverPlan(baseLR: 0.1, weightDecay: 0.1, iterations: 10)
        let weight = param([1], key: "w")
        let bias = param([1], lrMult: 2, decayMult: 0, key: "b")
        let solver = try Solver(plan: plan, parameters: [weight, bias])
        setDiff(weight, [1])
        setDiff(bias, [1])
        solver.step(iteration: 0)
        // weight: 1 - 0.1 * (1 + 0.1 * 1); bias: 1 - 0.2 * 1 (no decay)
        expectClose(weight.tensor.values, [0.89])
        expectClose(bias.tensor.values, [0.8])
    }

    @Test func iterSizeAveragesTheAccumulatedGradients() throws {
        let plan = SolverPlan(baseLR: 1, iterations: 10).with { $0.iterSize = 4 }
        let p = param([0, 0])
        let solver = try Solver(plan: plan, parameters: [p])
        setDiff(p, [4, -2])  // the sum over 4 batches
        solver.step(iteration: 0)
        #expect(p.tensor.values == [-1, 0.5])
    }

    @Test func clippingScalesAllGradientsByTheGlobalNorm() throws {
        let plan = SolverPlan(baseLR: 1, iterations: 10).with { $0.clipGradients = 1 }
        let a = param([0], key: "a"), b = param([0], key: "b")
        let solver = try Solver(plan: plan, parameters: [a, b])
        setDiff(a, [3])
        setDiff(b, [4])  // norm 5 > 1: scale 0.2
        solver.step(iteration: 0)
        expectClose(a.tensor.values, [-0.6])
        expectClose(b.tensor.values, [-0.8])
        #expect(solver.lastClipping == GradientClipping(norm: 5, threshold: 1, scale: 0.2))

        setDiff(a, [0.3])
        setDiff(b, [0.4])  // norm 0.5 <= 1: unchanged
        solver.step(iteration: 1)
        expectClose(a.tensor.values, [-0.9])
        #expect(solver.lastClipping == nil)
    }

    @Test func clippingComesBeforeNormalizationAndDecay() throws {
        // Caffe clips the raw accumulated sum, then divides by iter_size, then adds decay.
        let plan = SolverPlan(baseLR: 1, weightDecay: 0.1, iterations: 10)
            .with { $0.clipGradients = 5; $0.iterSize = 2 }
        let a = param([10], key: "a"), b = param([0], key: "b")
        let solver = try Solver(plan: plan, parameters: [a, b])
        setDiff(a, [6])
        setDiff(b, [8])  // norm 10 > 5: scale 0.5 -> [3, 4]; / 2 -> [1.5, 2]; + 0.1 data
        solver.step(iteration: 0)
        expectClose(a.tensor.values, [10 - (1.5 + 1)])
        expectClose(b.tensor.values, [-2])
    }

    @Test func zeroMultipliersLeaveParametersFrozen() throws {
        let plan = SolverPlan(baseLR: 0.1, momentum: 0.9, weightDecay: 0.1, iterations: 10)
        let frozen = param([1, 2], lrMult: 0, decayMult: 0)
        let solver = try Solver(plan: plan, parameters: [frozen])
        setDiff(frozen, [5, 5])
        solver.step(iteration: 0)
        #expect(frozen.tensor.values == [1, 2])
        #expect(frozen.tensor.gradients == [0, 0])
    }

    @Test func zeroGradientsClearsEveryDiff() throws {
        let p = param([1, 2, 3])
        let solver = try Solver(plan: SolverPlan(baseLR: 0.1, iterations: 1), parameters: [p])
        setDiff(p, [1, 1, 1])
        solver.zeroGradients()
        #expect(p.tensor.gradients == [0, 0, 0])
    }

    @Test func largeParametersUpdateLikeSmallOnes() throws {
        // Big enough to be split over threads; every value must get the same update.
        let n = 200_003
        let plan = SolverPlan(baseLR: 0.5, momentum: 0.9, iterations: 10)
        let p = param([Float](repeating: 1, count: n))
        let solver = try Solver(plan: plan, parameters: [p])
        for i in 0..<n { p.tensor.diff[i] = 0.5 }
        solver.step(iteration: 0)
        #expect(p.tensor.values.allSatisfy { $0 == 0.75 })
        #expect(p.tensor.gradients.allSatisfy { $0 == 0 })
    }

    @Test func historyIsStoredInCaffesOrder() throws {
        // Adam: all first moments (in parameter order), then all second moments.
        let plan = SolverPlan(type: .adam, baseLR: 0.001, momentum: 0.9, iterations: 10)
        let a = Tensor(shape: [2, 3]), b = Tensor(shape: [4])
        let params = [a, b].enumerated().map {
            Parameter(key: "p\($0.offset)", layerName: "l", index: $0.offset, tensor: $0.element, lrMult: 1, decayMult: 1)
        }
        let solver = try Solver(plan: plan, parameters: params)
        #expect(solver.history.map(\.shape) == [[2, 3], [4], [2, 3], [4]])
        a.diff[0] = 1
        solver.step(iteration: 0)
        expectClose([solver.history[0].data[0], solver.history[2].data[0]], [0.1, Double(1 - Float(0.999))], absolute: 0)
    }

    @Test func resumingFromSavedHistoryContinuesExactly() throws {
        let plan = SolverPlan(type: .nesterov, baseLR: 0.1, momentum: 0.9, weightDecay: 0.01, iterations: 10)
        let diffs: [[Float]] = [[0.5, -1], [0.2, 0.4], [-0.3, 0.1]]
        let straight = param([1, -2])
        let solver = try Solver(plan: plan, parameters: [straight])
        for (i, d) in diffs.enumerated() {
            setDiff(straight, d)
            solver.step(iteration: i)
        }

        let first = param([1, -2])
        let before = try Solver(plan: plan, parameters: [first])
        for (i, d) in diffs.prefix(2).enumerated() {
            setDiff(first, d)
            before.step(iteration: i)
        }
        let saved = before.history.map(CaffeBlob.init)
        let resumed = param(first.tensor.values)
        let after = try Solver(plan: plan, parameters: [resumed])
        try after.restoreHistory(saved)
        setDiff(resumed, diffs[2])
        after.step(iteration: 2)
        #expect(resumed.tensor.values == straight.tensor.values)
    }

    @Test func restoringHistoryOfAnotherModelFails() throws {
        let plan = SolverPlan(type: .adam, baseLR: 0.001, momentum: 0.9, iterations: 10)
        let solver = try Solver(plan: plan, parameters: [param([1, 2])])
        let wrongCount = [CaffeBlob(shape: [2], data: [0, 0])]
        #expect(throws: SolverError.self) { try solver.restoreHistory(wrongCount) }
        let wrongShape = [CaffeBlob(shape: [3], data: [0, 0, 0]), CaffeBlob(shape: [2], data: [0, 0])]
        #expect(throws: SolverError.self) { try solver.restoreHistory(wrongShape) }
        // Caffe's legacy 4-D history blobs fit when only leading 1s differ.
        let legacy = [CaffeBlob(shape: [1, 1, 1, 2], data: [1, 2]), CaffeBlob(shape: [2], data: [3, 4])]
        try solver.restoreHistory(legacy)
        #expect(solver.history.map(\.values) == [[1, 2], [3, 4]])
    }
}

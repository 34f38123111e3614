import Foundation
import NetDSL
import Testing
@testable import Runtime

/// Relative closeness at float precision (Caffe's rates agree with these to ~1e-6).
private func expectRate(_ plan: SolverPlan, _ iteration: Int, _ expected: Double,
                        sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let rate = Double(LearningRate.rate(plan: plan, iteration: iteration))
    #expect(abs(rate - expected) <= 1e-6 * abs(expected) + 1e-12,
            "iteration \(iteration): \(rate) != \(expected)", sourceLocation: sourceLocation)
}

@Suite struct LearningRateTests {
    /// Goyal et al.'s warm-up: the policy's rate times a factor rising linearly from `start`.
    @Test func warmupRampsThePolicysRate() throws {
        var plan = SolverPlan(baseLR: 0.8, policy: .step(gamma: 0.1, every: 100), iterations: 1000)
        plan.warmup = .init(iterations: 10, start: 0.125)
        expectRate(plan, 0, 0.1)
        expectRate(plan, 4, 0.8 * (0.125 + 0.875 * 0.4))
        expectRate(plan, 10, 0.8)
        expectRate(plan, 150, 0.08)
        var set = SolverPlan(baseLR: 1, iterations: 100)
        var net = NetSpec(name: "none", layers: [])
        try Overrides.apply("solver.warmup_iter=20", net: &net, solver: &set)
        try Overrides.apply("solver.warmup_start=0.5", net: &net, solver: &set)
        #expect(set.warmup == .init(iterations: 20, start: 0.5))
        expectRate(set, 10, 0.75)
        set.warmupStart = 2
        #expect(throws: SolverError.self) { try LearningRate.validate(set) }
    }

    @Test func fixed() {
        let plan = SolverPlan(baseLR: 0.01, policy: .fixed, iterations: 1000)
        expectRate(plan, 0, 0.01)
        expectRate(plan, 999, 0.01)
        #expect(learningRate(plan: plan, iteration: 500) == 0.01)
    }

    @Test func step() {
        // 0.01 * 0.1 ^ floor(iter / 100)
        let plan = SolverPlan(baseLR: 0.01, policy: .step(gamma: 0.1, every: 100), iterations: 1000)
        expectRate(plan, 0, 0.01)
        expectRate(plan, 99, 0.01)
        expectRate(plan, 100, 0.001)
        expectRate(plan, 250, 0.0001)
        #expect(LearningRate.currentStep(plan: plan, iteration: 250) == 2)
    }

    @Test func exp() {
        // 0.1 * 0.99 ^ iter
        let plan = SolverPlan(baseLR: 0.1, policy: .exp(gamma: 0.99), iterations: 1000)
        expectRate(plan, 0, 0.1)
        expectRate(plan, 1, 0.099)
        expectRate(plan, 10, 0.09043820750088044)
    }

    @Test func inv() {
        // LeNet's policy: 0.01 * (1 + 1e-4 * iter) ^ -0.75
        let plan = SolverPlan(baseLR: 0.01, policy: .inv(gamma: 1e-4, power: 0.75), iterations: 10000)
        expectRate(plan, 0, 0.01)
        expectRate(plan, 5000, 0.007377879464668811)   // 1.5 ^ -0.75
        expectRate(plan, 10000, 0.005946035575013605)  // 2 ^ -0.75
        expectRate(plan, 12345, 0.005471604911952548)
    }

    @Test func multistep() {
        // 1 * 0.5 ^ (number of stepvalues <= iter)
        let plan = SolverPlan(baseLR: 1, policy: .multistep(gamma: 0.5, steps: [10, 20, 50]), iterations: 100)
        expectRate(plan, 0, 1)
        expectRate(plan, 9, 1)
        expectRate(plan, 10, 0.5)
        expectRate(plan, 19, 0.5)
        expectRate(plan, 20, 0.25)
        expectRate(plan, 49, 0.25)
        expectRate(plan, 50, 0.125)
        expectRate(plan, 1000, 0.125)
        #expect(LearningRate.currentStep(plan: plan, iteration: 49) == 2)
    }

    @Test func multistepAdvancesOncePerIterationAsCaffeDoes() {
        // Caffe moves on by at most one step per iteration and compares only with the next value.
        let repeated = SolverPlan(baseLR: 1, policy: .multistep(gamma: 0.5, steps: [5, 5]), iterations: 100)
        #expect(LearningRate.currentStep(plan: repeated, iteration: 4) == 0)
        #expect(LearningRate.currentStep(plan: repeated, iteration: 5) == 1)
        #expect(LearningRate.currentStep(plan: repeated, iteration: 6) == 2)
        let unsorted = SolverPlan(baseLR: 1, policy: .multistep(gamma: 0.5, steps: [20, 10]), iterations: 100)
        #expect(LearningRate.currentStep(plan: unsorted, iteration: 10) == 0)
        #expect(LearningRate.currentStep(plan: unsorted, iteration: 20) == 1)
        #expect(LearningRate.currentStep(plan: unsorted, iteration: 21) == 2)
    }

    @Test func poly() {
        // 0.1 * (1 - iter / 100) ^ power
        let square = SolverPlan(baseLR: 0.1, policy: .poly(power: 2), iterations: 100)
        expectRate(square, 0, 0.1)
        expectRate(square, 50, 0.025)
        expectRate(square, 90, 0.001)
        #expect(LearningRate.rate(plan: square, iteration: 100) == 0)
        let root = SolverPlan(baseLR: 0.1, policy: .poly(power: 0.5), iterations: 100)
        expectRate(root, 37, 0.07937253933193772)
    }

    @Test func sigmoid() {
        // 0.1 / (1 + exp(-0.05 * (iter - 100)))
        let plan = SolverPlan(baseLR: 0.1, policy: .sigmoid(gamma: 0.05, step: 100), iterations: 300)
        expectRate(plan, 0, 0.0006692850924284856)
        expectRate(plan, 100, 0.05)
        expectRate(plan, 130, 0.08175744761936436)
        expectRate(plan, 200, 0.09933071490757153)
    }

    @Test func solverReportsTheSameRates() throws {
        let plan = SolverPlan(baseLR: 0.01, policy: .step(gamma: 0.1, every: 100), iterations: 1000)
        let solver = try Solver(plan: plan, parameters: [])
        #expect(solver.learningRate(at: 150) == LearningRate.rate(plan: plan, iteration: 150))
    }
}

@Suite struct SolverValidationTests {
    private func field(of plan: SolverPlan) -> String? {
        do {
            try LearningRate.validate(plan)
            return nil
        } catch let error as SolverError {
            #expect(error.description.contains(error.field ?? "<none>"))
            return error.field
        } catch {
            return "unexpected \(error)"
        }
    }

    private let base = SolverPlan(baseLR: 0.01, iterations: 100)

    @Test func acceptsCaffeDefaults() {
        #expect(field(of: base) == nil)
        #expect(field(of: base.with { $0.policy = .inv(gamma: 1e-4, power: 0.75) }) == nil)
    }

    @Test func stepNeedsAPositiveStepsize() {
        #expect(field(of: base.with { $0.policy = .step(gamma: 0.1, every: 0) }) == "stepsize")
        #expect(field(of: base.with { $0.policy = .sigmoid(gamma: 0.1, step: -1) }) == "stepsize")
    }

    @Test func rejectsNegativeGamma() {
        #expect(field(of: base.with { $0.policy = .exp(gamma: -0.5) }) == "gamma")
        #expect(field(of: base.with { $0.policy = .multistep(gamma: -1, steps: [10]) }) == "gamma")
    }

    @Test func polyNeedsMaxIter() {
        #expect(field(of: base.with { $0.policy = .poly(power: 1); $0.iterations = 0 }) == "max_iter")
    }

    @Test func rejectsImpossibleCounts() {
        #expect(field(of: base.with { $0.iterations = -1 }) == "max_iter")
        #expect(field(of: base.with { $0.iterSize = 0 }) == "iter_size")
        #expect(field(of: base.with { $0.averageLoss = 0 }) == "average_loss")
        #expect(field(of: base.with { $0.baseLR = .nan }) == "base_lr")
    }

    @Test func solverSpecificChecks() {
        #expect(field(of: base.with { $0.type = .adaGrad; $0.momentum = 0.9 }) == "momentum")
        #expect(field(of: base.with { $0.type = .rmsProp; $0.rmsDecay = 1 }) == "rms_decay")
        #expect(field(of: base.with { $0.type = .adam; $0.momentum = 0.9; $0.momentum2 = 1 }) == "momentum2")
        #expect(field(of: base.with { $0.type = .adam; $0.momentum = 0.9 }) == nil)
    }

    @Test func solverInitValidates() {
        let plan = base.with { $0.iterSize = 0 }
        #expect(throws: SolverError.self) { try Solver(plan: plan, parameters: []) }
    }
}

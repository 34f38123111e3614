import Foundation
import NetDSL

/// A solver setting that cannot run, or solver state that does not fit the model.
public struct SolverError: Error, CustomStringConvertible, Equatable {
    /// The Caffe `SolverParameter` field at fault (`stepsize`, `iter_size`...); nil for state.
    public var field: String?
    public var message: String

    public init(field: String?, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "solver setting '\(field)': \(message)" }
        return "solver: \(message)"
    }
}

/// Caffe's learning-rate policies (`SGDSolver::GetLearningRate`), as pure functions of the
/// iteration so that a resumed run gets the same rates as an uninterrupted one.
public enum LearningRate {
    /// The rate at `iteration` (the number of updates done so far, Caffe's `iter_`).
    ///
    /// Caffe evaluates `pow(gamma, integer)` in double and the rest in float; the same is done
    /// here so that rates agree with Caffe's to float precision.
    public static func rate(plan: SolverPlan, iteration: Int) -> Float {
        let rate = policyRate(plan: plan, iteration: iteration)
        guard let warmup = plan.warmup, warmup.iterations > 0, iteration < warmup.iterations else { return rate }
        return rate * (warmup.start + (1 - warmup.start) * Float(iteration) / Float(warmup.iterations))
    }

    /// The rate Caffe's `lr_policy` gives at `iteration`.
    static func policyRate(plan: SolverPlan, iteration: Int) -> Float {
        let base = Double(plan.baseLR)
        switch plan.lrPolicy {
        case .fixed:
            return plan.baseLR
        case .step, .multistep:
            let step = currentStep(plan: plan, iteration: iteration)
            return Float(base * pow(Double(plan.gamma), Double(step)))
        case .exp:
            return Float(base * pow(Double(plan.gamma), Double(iteration)))
        case .inv:
            let x: Float = 1 + plan.gamma * Float(iteration)
            return Float(base * pow(Double(x), -Double(plan.power)))
        case .poly:
            let x: Float = 1 - Float(iteration) / Float(plan.iterations)
            return Float(base * pow(Double(x), Double(plan.power)))
        case .sigmoid:
            let z: Float = -plan.gamma * (Float(iteration) - Float(plan.stepsize))
            return Float(base / (1 + Foundation.exp(Double(z))))
        }
    }

    /// Caffe's `current_step_` after computing the rate for `iteration`: `iter / stepsize` for
    /// `step`, the number of `stepvalue`s passed for `multistep`, 0 otherwise.
    ///
    /// Caffe advances a multistep by at most one per iteration, and only while
    /// `iter >= stepvalue[current_step]`; that is replayed here, so unsorted or repeated step
    /// values behave as they do in Caffe.
    public static func currentStep(plan: SolverPlan, iteration: Int) -> Int {
        switch plan.lrPolicy {
        case .step:
            return plan.stepsize > 0 ? iteration / plan.stepsize : 0
        case .multistep:
            var step = 0
            var earliest = 0  // first iteration at which the next advance can happen
            while step < plan.stepvalue.count {
                let at = max(earliest, plan.stepvalue[step])
                if at > iteration { break }
                step += 1
                earliest = at + 1
            }
            return step
        default:
            return 0
        }
    }

    /// Throws for a plan Caffe would refuse (a failed `CHECK`) or that cannot produce a finite
    /// rate, naming the Caffe field to change.
    public static func validate(_ plan: SolverPlan) throws {
        func fail(_ field: String, _ message: String) -> SolverError { SolverError(field: field, message) }

        guard plan.baseLR.isFinite, plan.baseLR >= 0 else {
            throw fail("base_lr", "is \(plan.baseLR); it must be a finite number >= 0")
        }
        guard plan.iterations >= 0 else {
            throw fail("max_iter", "is \(plan.iterations); it must be >= 0")
        }
        guard plan.iterSize >= 1 else {
            throw fail("iter_size", "is \(plan.iterSize); it must be >= 1 (batches accumulated per update)")
        }
        guard plan.averageLoss >= 1 else {
            throw fail("average_loss", "is \(plan.averageLoss); it must be >= 1")
        }
        for (field, value) in [("display", plan.display), ("test_interval", plan.testEvery),
                               ("test_iter", plan.testIterations), ("snapshot", plan.snapshotEvery)] where value < 0 {
            throw fail(field, "is \(value); it must be >= 0 (0 turns it off)")
        }
        guard plan.weightDecay.isFinite else {
            throw fail("weight_decay", "is \(plan.weightDecay); it must be a finite number")
        }
        guard !plan.clipGradients.isNaN else {
            throw fail("clip_gradients", "is NaN; use a negative value to turn clipping off")
        }
        if let warmup = plan.warmup {
            guard warmup.iterations >= 0 else {
                throw fail("warmup_iter", "is \(warmup.iterations); it must be >= 0 (0 turns warm-up off)")
            }
            guard warmup.start >= 0, warmup.start <= 1 else {
                throw fail("warmup_start", "is \(warmup.start); it must be between 0 and 1 (the share of the rate warm-up starts from)")
            }
        }

        let policy = plan.lrPolicy.rawValue
        switch plan.lrPolicy {
        case .fixed:
            break
        case .step, .sigmoid:
            guard plan.stepsize > 0 else {
                throw fail("stepsize", "is \(plan.stepsize); lr_policy \"\(policy)\" needs stepsize > 0")
            }
        case .multistep:
            if let bad = plan.stepvalue.first(where: { $0 < 0 }) {
                throw fail("stepvalue", "contains \(bad); iterations at which the rate drops must be >= 0")
            }
        case .poly:
            guard plan.iterations > 0 else {
                throw fail("max_iter", "is 0; lr_policy \"poly\" decays the rate to zero at max_iter, so max_iter must be > 0")
            }
        case .exp, .inv:
            break
        }
        if plan.lrPolicy != .fixed && plan.lrPolicy != .poly {
            guard plan.gamma.isFinite, plan.gamma >= 0 else {
                throw fail("gamma", "is \(plan.gamma); lr_policy \"\(policy)\" needs gamma >= 0")
            }
        }
        if plan.lrPolicy == .inv || plan.lrPolicy == .poly {
            guard plan.power.isFinite else {
                throw fail("power", "is \(plan.power); lr_policy \"\(policy)\" needs a finite power")
            }
        }

        switch plan.type {
        case .adaGrad, .rmsProp:
            guard plan.momentum == 0 else {
                throw fail("momentum", "is \(plan.momentum); momentum cannot be used with \(plan.type.rawValue) (set it to 0)")
            }
            if plan.type == .rmsProp {
                guard plan.rmsDecay >= 0, plan.rmsDecay < 1 else {
                    throw fail("rms_decay", "is \(plan.rmsDecay); it must lie in [0, 1)")
                }
            }
        case .adam:
            guard plan.momentum >= 0, plan.momentum < 1 else {
                throw fail("momentum", "is \(plan.momentum); Adam's beta1 (momentum) must lie in [0, 1)")
            }
            guard plan.momentum2 >= 0, plan.momentum2 < 1 else {
                throw fail("momentum2", "is \(plan.momentum2); Adam's beta2 (momentum2) must lie in [0, 1)")
            }
        case .sgd, .nesterov, .adaDelta:
            guard plan.momentum.isFinite else {
                throw fail("momentum", "is \(plan.momentum); it must be a finite number")
            }
        }
        if plan.type != .sgd && plan.type != .nesterov {
            guard plan.delta.isFinite, plan.delta >= 0 else {
                throw fail("delta", "is \(plan.delta); it must be a finite number >= 0")
            }
        }
    }
}

/// The learning rate Caffe uses at `iteration` under `plan`'s policy.
public func learningRate(plan: SolverPlan, iteration: Int) -> Float {
    LearningRate.rate(plan: plan, iteration: iteration)
}

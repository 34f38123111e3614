import Foundation
import NetDSL

/// Gradient clipping that happened in the last `step`, for the trainer's log (Caffe logs
/// "Gradient clipping: scaling down gradients (L2 norm N > C) by scale factor S").
public struct GradientClipping: Equatable, Sendable {
    public var norm: Float
    public var threshold: Float
    public var scale: Float
}

/// Caffe's solvers: turns the gradients accumulated in the parameters' diffs into one update
/// of their values, with per-parameter history (momentum, squared-gradient averages).
///
/// The order is Caffe's `SGDSolver::ApplyUpdate`: clip all gradients by their global norm,
/// then for each parameter undo the `iter_size` accumulation, add weight decay, compute the
/// update with `rate * lr_mult`, and subtract it.
public final class Solver {
    public let plan: SolverPlan
    /// The learnable blobs in the model's (and the snapshot's) order.
    public let parameters: [Parameter]
    /// Caffe's `history_`: one blob per parameter, in parameter order, followed for AdaDelta
    /// (squared updates) and Adam (second moment) by a second blob per parameter. This is the
    /// order a `.solverstate` stores them in.
    public private(set) var history: [Tensor]
    /// Caffe's `current_step_` after the last `step` (see `LearningRate.currentStep`).
    public private(set) var currentStep = 0
    /// Set by `step` when the gradients were scaled down, nil otherwise.
    public private(set) var lastClipping: GradientClipping?

    /// Values per parallel chunk: the update loops are memory bound, so only big blobs split.
    private let grain = 1 << 16

    public init(plan: SolverPlan, parameters: [Parameter]) throws {
        try LearningRate.validate(plan)
        self.plan = plan
        self.parameters = parameters
        let sets = Solver.historySets(plan.type)
        history = (0..<sets).flatMap { _ in parameters.map { Tensor(shape: $0.tensor.shape) } }
    }

    /// History blobs per parameter that Caffe keeps for each update rule.
    public static func historySets(_ type: SolverType) -> Int {
        switch type {
        case .adaDelta, .adam: 2
        case .sgd, .nesterov, .adaGrad, .rmsProp: 1
        }
    }

    /// The learning rate at `iteration` (before `lr_mult`).
    public func learningRate(at iteration: Int) -> Float {
        LearningRate.rate(plan: plan, iteration: iteration)
    }

    /// Clears every parameter's gradient; call before accumulating the next update's batches.
    public func zeroGradients() {
        for p in parameters {
            let diff = p.tensor.diff
            Parallel.forEachChunk(p.tensor.count, grain: grain) { r in
                (diff + r.lowerBound).update(repeating: 0, count: r.count)
            }
        }
    }

    /// Applies one update from the accumulated gradients. `iteration` is the number of updates
    /// done before this one (Caffe's `iter_`): it picks the learning rate and Adam's bias
    /// correction. Leaves the gradients zeroed.
    public func step(iteration: Int) {
        Parallel.flushingDenormals { update(iteration: iteration) }
    }

    private func update(iteration: Int) {
        let rate = learningRate(at: iteration)
        currentStep = LearningRate.currentStep(plan: plan, iteration: iteration)
        let clipScale = clippingScale()
        let normalization: Float = plan.iterSize > 1 ? 1 / Float(plan.iterSize) : 1
        let count = parameters.count

        for (index, parameter) in parameters.enumerated() {
            let tensor = parameter.tensor
            let localRate = rate * parameter.lrMult
            let localDecay = plan.weightDecay * parameter.decayMult
            let prep = GradientPreparation(clipScale: clipScale, normalization: normalization, decay: localDecay,
                                           regularization: localDecay != 0 ? plan.regularization : nil)
            let pointers = UpdateRules.Pointers(
                data: tensor.data, diff: tensor.diff, history: history[index].data,
                history2: history.count > count ? history[count + index].data : nil)
            let plan = self.plan

            switch plan.type {
            case .sgd:
                Parallel.forEachChunk(tensor.count, grain: grain) { r in
                    UpdateRules.sgd(r, pointers, prep, rate: localRate, momentum: plan.momentum)
                }
            case .nesterov:
                Parallel.forEachChunk(tensor.count, grain: grain) { r in
                    UpdateRules.nesterov(r, pointers, prep, rate: localRate, momentum: plan.momentum)
                }
            case .adaGrad:
                Parallel.forEachChunk(tensor.count, grain: grain) { r in
                    UpdateRules.adaGrad(r, pointers, prep, rate: localRate, delta: plan.delta)
                }
            case .rmsProp:
                Parallel.forEachChunk(tensor.count, grain: grain) { r in
                    UpdateRules.rmsProp(r, pointers, prep, rate: localRate, delta: plan.delta, rmsDecay: plan.rmsDecay)
                }
            case .adaDelta:
                Parallel.forEachChunk(tensor.count, grain: grain) { r in
                    UpdateRules.adaDelta(r, pointers, prep, rate: localRate, delta: plan.delta, momentum: plan.momentum)
                }
            case .adam:
                let adamRate = localRate * Solver.adamCorrection(plan: plan, iteration: iteration)
                Parallel.forEachChunk(tensor.count, grain: grain) { r in
                    UpdateRules.adam(r, pointers, prep, rate: adamRate, beta1: plan.momentum,
                                     beta2: plan.momentum2, epsilon: plan.delta)
                }
            }
        }
    }

    /// Adam's bias correction sqrt(1 - b2^t) / (1 - b1^t) with t = iteration + 1, in double
    /// as Caffe computes it.
    static func adamCorrection(plan: SolverPlan, iteration: Int) -> Float {
        let t = Double(iteration + 1)
        let b1 = Double(plan.momentum), b2 = Double(plan.momentum2)
        return Float((1 - pow(b2, t)).squareRoot() / (1 - pow(b1, t)))
    }

    /// The factor that brings the global L2 norm of all gradients down to `clip_gradients`, or
    /// 1 when clipping is off or not needed. Records `lastClipping`.
    private func clippingScale() -> Float {
        lastClipping = nil
        let threshold = plan.clipGradients
        guard threshold >= 0 else { return 1 }
        var sumSquares: Double = 0
        for p in parameters {
            sumSquares += Double(BLAS.dot(p.tensor.count, p.tensor.diff, p.tensor.diff))
        }
        let norm = Float(sumSquares.squareRoot())
        guard norm > threshold else { return 1 }
        let scale = threshold / norm
        lastClipping = GradientClipping(norm: norm, threshold: threshold, scale: scale)
        return scale
    }

    /// Loads history saved by `history` (a `.solverstate`'s blobs), checking that it belongs to
    /// a model with these parameters and this solver type.
    public func restoreHistory(_ blobs: [CaffeBlob]) throws {
        guard blobs.count == history.count else {
            let sets = Solver.historySets(plan.type)
            throw SolverError(field: nil, "the solver state has \(blobs.count) history blobs but a \(plan.type.rawValue) solver for this model (\(parameters.count) parameters) keeps \(history.count)\(sets > 1 ? " (\(sets) per parameter)" : ""); it was saved from a different model or solver type")
        }
        for (i, (blob, tensor)) in zip(blobs, history).enumerated() {
            let owner = parameters[i % max(parameters.count, 1)]
            guard blob.fits(tensor.shape) else {
                throw SolverError(field: nil, "history blob \(i) (for parameter '\(owner.key)') is \(shapeText(blob.shape)) but the parameter is \(shapeText(tensor.shape)); the solver state was saved from a different model")
            }
        }
        for (blob, tensor) in zip(blobs, history) {
            blob.data.withUnsafeBufferPointer { src in
                if let base = src.baseAddress { tensor.data.update(from: base, count: tensor.count) }
            }
        }
    }
}

extension SolverPlan {
    /// The plan in Caffe's solver.prototxt form, as Caffe logs it when a solver starts.
    public var caffeText: String {
        var lines = [
            "type: \"\(type.rawValue)\"",
            "base_lr: \(baseLR)",
            "lr_policy: \"\(lrPolicy.rawValue)\"",
        ]
        switch lrPolicy {
        case .fixed: break
        case .step: lines += ["gamma: \(gamma)", "stepsize: \(stepsize)"]
        case .multistep: lines += ["gamma: \(gamma)"] + stepvalue.map { "stepvalue: \($0)" }
        case .exp: lines += ["gamma: \(gamma)"]
        case .inv: lines += ["gamma: \(gamma)", "power: \(power)"]
        case .poly: lines += ["power: \(power)"]
        case .sigmoid: lines += ["gamma: \(gamma)", "stepsize: \(stepsize)"]
        }
        lines += [
            "momentum: \(momentum)",
            "weight_decay: \(weightDecay)",
            "regularization_type: \"\(regularization.rawValue)\"",
            "max_iter: \(iterations)",
            "display: \(display)",
            "average_loss: \(averageLoss)",
            "iter_size: \(iterSize)",
            "test_iter: \(testIterations)",
            "test_interval: \(testEvery)",
            "test_initialization: \(testAtStart)",
            "snapshot: \(snapshotEvery)",
            "random_seed: \(seed)",
        ]
        if clipGradients >= 0 { lines.append("clip_gradients: \(clipGradients)") }
        if let snapshotPrefix { lines.append("snapshot_prefix: \"\(snapshotPrefix)\"") }
        switch type {
        case .adam: lines += ["momentum2: \(momentum2)", "delta: \(delta)"]
        case .rmsProp: lines += ["rms_decay: \(rmsDecay)", "delta: \(delta)"]
        case .adaGrad, .adaDelta: lines += ["delta: \(delta)"]
        case .sgd, .nesterov: break
        }
        return lines.joined(separator: "\n")
    }
}

import NetDSL

/// Caffe's SolverParameter -> SolverPlan, field for field; the net fields (`net`, `train_net`...)
/// are read by `CaffeImport`. A set field the plan cannot express is a problem at its line.
enum SolverConversion {
    static func plan(_ p: Caffe_SolverParameter, _ f: MessageFields) -> SolverPlan? {
        f.use("base_lr", "lr_policy", "gamma", "power", "stepsize", "momentum", "weight_decay",
              "regularization_type", "max_iter", "iter_size", "clip_gradients", "display", "average_loss",
              "test_interval", "test_initialization", "snapshot", "snapshot_prefix", "random_seed",
              "delta", "momentum2", "rms_decay", "type", "solver_type")
        var plan = SolverPlan(baseLR: p.baseLr, iterations: Int(p.maxIter))
        var ok = true
        func reject(_ name: String, _ hint: String) {
            f.unsupported(f.node(name), hint)
            ok = false
        }

        if let policy = LRPolicyName(rawValue: p.lrPolicy) {
            plan.lrPolicy = policy
        } else {
            let names = LRPolicyName.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            if p.hasLrPolicy {
                reject("lr_policy", "Caffe's policies are \(names)")
            } else {
                f.problem(nil, "the solver has no lr_policy, which Caffe requires; add one of \(names)")
                ok = false
            }
        }
        (plan.gamma, plan.power, plan.stepsize, plan.stepvalue) = (p.gamma, p.power, Int(p.stepsize), p.stepvalue.map(Int.init))
        _ = f.all("stepvalue")
        if plan.lrPolicy == .step && plan.stepsize <= 0 {
            f.problem(f.node("stepsize") ?? f.node("lr_policy"), "lr_policy \"step\" needs stepsize greater than 0")
            ok = false
        }
        plan.momentum = p.momentum
        plan.weightDecay = p.weightDecay
        if let regularization = Regularization(rawValue: p.regularizationType) {
            plan.regularization = regularization
        } else {
            reject("regularization_type", "use \"L2\" or \"L1\"")
        }
        plan.iterSize = Int(p.iterSize)
        plan.clipGradients = p.clipGradients
        plan.display = Int(p.display)
        plan.averageLoss = Int(p.averageLoss)
        if p.averageLoss < 1 { reject("average_loss", "it must be at least 1") }
        if p.iterSize < 1 { reject("iter_size", "it must be at least 1") }
        plan.testEvery = Int(p.testInterval)
        plan.testAtStart = p.testInitialization
        plan.snapshotEvery = Int(p.snapshot)
        plan.snapshotPrefix = p.hasSnapshotPrefix ? p.snapshotPrefix : nil
        plan.seed = p.randomSeed
        plan.delta = p.delta
        plan.momentum2 = p.momentum2
        plan.rmsDecay = p.rmsDecay

        if p.hasSolverType && p.hasType {
            f.problem(f.node("solver_type"), "gives both the old solver_type and type; Caffe rejects that, so keep type")
            ok = false
        } else if p.hasSolverType {
            switch p.solverType {
            case .sgd: plan.type = .sgd
            case .nesterov: plan.type = .nesterov
            case .adagrad: plan.type = .adaGrad
            case .rmsprop: plan.type = .rmsProp
            case .adadelta: plan.type = .adaDelta
            case .adam: plan.type = .adam
            }
        } else if let type = SolverType(rawValue: p.type) {
            plan.type = type
        } else {
            reject("type", "Crema's solvers are \(SolverType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
        }

        ok = tests(p, f, into: &plan) && ok
        accepted(p, f)
        return ok ? plan : nil
    }

    /// `test_iter` (one test net), `test_compute_loss`.
    private static func tests(_ p: Caffe_SolverParameter, _ f: MessageFields, into plan: inout SolverPlan) -> Bool {
        let iters = f.all("test_iter")
        if iters.count > 1 {
            f.unsupported(iters[1], "Crema tests one net; keep one test_iter")
            return false
        }
        plan.testIterations = Int(p.testIter.first ?? 0)
        if plan.testIterations > 0 && plan.testEvery <= 0 {
            f.problem(f.node("test_interval") ?? iters.first, "test_iter is given, so Caffe needs test_interval greater than 0")
            return false
        }
        if let node = f.one("test_compute_loss"), p.testComputeLoss {
            f.note(node, "ignored: Crema's tests report every output of the test net, the loss included")
        }
        return true
    }

    /// Settings that only affect Caffe's machinery: accepted, with a note where set.
    private static func accepted(_ p: Caffe_SolverParameter, _ f: MessageFields) {
        // CPU is what Crema does anyway; only GPU is worth a word.
        if let node = f.one("solver_mode"), p.solverMode != .cpu { f.note(node, "ignored: Crema trains on the CPU") }
        if let node = f.one("device_id") { f.note(node, "ignored: Crema trains on the CPU") }
        if let node = f.one("layer_wise_reduce") { f.note(node, "ignored: Crema trains on one device") }
        if let node = f.one("debug_info"), p.debugInfo { f.note(node, "ignored") }
        if let node = f.one("snapshot_after_train"), !p.snapshotAfterTrain {
            f.note(node, "ignored: Crema always snapshots when training ends")
        }
        if let node = f.one("snapshot_format"), p.snapshotFormat == .hdf5 {
            f.unsupported(node, "Crema writes binary protobuf snapshots (BINARYPROTO); remove it")
        }
        if let node = f.one("snapshot_diff"), p.snapshotDiff {
            f.unsupported(node, "Crema snapshots weights only; remove it")
        }
        for node in f.all("weights") {
            f.unsupported(node, "give the starting weights with --weights instead")
        }
    }
}

/// The update rule, as Caffe's solver `type`.
public enum SolverType: String, Codable, Sendable, CaseIterable {
    case sgd = "SGD", nesterov = "Nesterov", adaGrad = "AdaGrad", rmsProp = "RMSProp"
    case adaDelta = "AdaDelta", adam = "Adam"
}

/// Caffe's learning-rate policies (`lr_policy`).
public enum LRPolicyName: String, Codable, Sendable, CaseIterable {
    case fixed, step, multistep, exp, inv, poly, sigmoid
}

/// A learning-rate policy with its numbers, for writing recipes.
public enum LRPolicy: Equatable, Sendable {
    case fixed
    /// lr * gamma ^ floor(iter / every)
    case step(gamma: Float, every: Int)
    /// lr * gamma ^ (number of `steps` passed)
    case multistep(gamma: Float, steps: [Int])
    /// lr * gamma ^ iter
    case exp(gamma: Float)
    /// lr * (1 + gamma * iter) ^ -power
    case inv(gamma: Float, power: Float)
    /// lr * (1 - iter / max_iter) ^ power
    case poly(power: Float)
    /// lr / (1 + exp(-gamma * (iter - step)))
    case sigmoid(gamma: Float, step: Int)
}

/// Caffe's `regularization_type`.
public enum Regularization: String, Codable, Sendable, CaseIterable {
    case l2 = "L2", l1 = "L1"
}

/// How to train: Caffe's SolverParameter as a plain value, with Caffe's defaults.
///
/// The lr policy's numbers are stored in Caffe's flat fields (`gamma`, `power`, `stepsize`,
/// `stepvalue`) so that every setting can be overridden by its Caffe name.
public struct SolverPlan: Codable, Equatable, Sendable {
    public var type: SolverType = .sgd
    public var baseLR: Float
    public var lrPolicy: LRPolicyName = .fixed
    public var gamma: Float = 0
    public var power: Float = 0
    public var stepsize: Int = 0
    public var stepvalue: [Int] = []
    public var momentum: Float = 0
    /// Adam's second-moment decay.
    public var momentum2: Float = 0.999
    /// AdaGrad, RMSProp, AdaDelta and Adam's numerical guard.
    public var delta: Float = 1e-8
    public var rmsDecay: Float = 0.99
    public var weightDecay: Float = 0
    public var regularization: Regularization = .l2
    /// Caffe's `max_iter`: the iteration the run ends at.
    public var iterations: Int
    /// Batches whose gradients are accumulated per update.
    public var iterSize: Int = 1
    /// Scale gradients down when their global L2 norm exceeds this; negative turns it off.
    public var clipGradients: Float = -1
    /// Log the training loss every `display` iterations (0: never).
    public var display: Int = 0
    /// Display the loss averaged over this many iterations.
    public var averageLoss: Int = 1
    public var testEvery: Int = 0
    public var testIterations: Int = 0
    /// Caffe's `test_initialization`: test before the first iteration.
    public var testAtStart: Bool = true
    public var snapshotEvery: Int = 0
    /// Prefix of snapshot file names; its last path component is used. Nil: the recipe's name.
    public var snapshotPrefix: String?
    /// Seed for fillers, data order and dropout. Negative: choose one and record it.
    public var seed: Int64 = -1
    /// A linear ramp of the learning rate over the first iterations (not Caffe's; nil: none).
    public var warmup: Warmup?

    /// Goyal et al.'s gradual warm-up ("Accurate, Large Minibatch SGD", 2017): the rate the
    /// policy gives, times a factor that rises linearly from `start` at iteration 0 to 1 at
    /// `iterations`. With K processes and the linear scaling rule (base_lr times K), a start
    /// of 1/K begins at the one-process rate.
    public struct Warmup: Codable, Equatable, Sendable {
        public var iterations: Int
        public var start: Float

        public init(iterations: Int, start: Float = 0) {
            self.iterations = iterations
            self.start = start
        }
    }

    /// `solver.warmup_iter`: iterations of warm-up (0: none).
    public var warmupIterations: Int {
        get { warmup?.iterations ?? 0 }
        set { warmup = Warmup(iterations: newValue, start: warmup?.start ?? 0) }
    }

    /// `solver.warmup_start`: the factor warm-up starts from.
    public var warmupStart: Float {
        get { warmup?.start ?? 0 }
        set { warmup = Warmup(iterations: warmup?.iterations ?? 0, start: newValue) }
    }

    public init(type: SolverType = .sgd, baseLR: Float, policy: LRPolicy = .fixed, momentum: Float = 0,
                weightDecay: Float = 0, iterations: Int, testEvery: Int = 0, testIterations: Int = 0,
                snapshotEvery: Int = 0, display: Int = 0) {
        self.type = type
        self.baseLR = baseLR
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.iterations = iterations
        self.testEvery = testEvery
        self.testIterations = testIterations
        self.snapshotEvery = snapshotEvery
        self.display = display
        self.policy = policy
    }

    /// The lr policy as a value; setting it fills Caffe's flat fields.
    public var policy: LRPolicy {
        get {
            switch lrPolicy {
            case .fixed: .fixed
            case .step: .step(gamma: gamma, every: stepsize)
            case .multistep: .multistep(gamma: gamma, steps: stepvalue)
            case .exp: .exp(gamma: gamma)
            case .inv: .inv(gamma: gamma, power: power)
            case .poly: .poly(power: power)
            case .sigmoid: .sigmoid(gamma: gamma, step: stepsize)
            }
        }
        set {
            switch newValue {
            case .fixed: lrPolicy = .fixed
            case .step(let g, let every): (lrPolicy, gamma, stepsize) = (.step, g, every)
            case .multistep(let g, let steps): (lrPolicy, gamma, stepvalue) = (.multistep, g, steps)
            case .exp(let g): (lrPolicy, gamma) = (.exp, g)
            case .inv(let g, let p): (lrPolicy, gamma, power) = (.inv, g, p)
            case .poly(let p): (lrPolicy, power) = (.poly, p)
            case .sigmoid(let g, let s): (lrPolicy, gamma, stepsize) = (.sigmoid, g, s)
            }
        }
    }

    /// A copy with one or more settings changed, for readable recipes.
    public func with(_ change: (inout SolverPlan) -> Void) -> SolverPlan {
        var copy = self
        change(&copy)
        return copy
    }

    enum CodingKeys: String, CodingKey {
        case type, baseLR = "baseLr", lrPolicy, gamma, power, stepsize, stepvalue, momentum, momentum2
        case delta, rmsDecay, weightDecay, regularization = "regularizationType", iterations = "maxIter"
        case iterSize, clipGradients, display, averageLoss, testEvery = "testInterval"
        case testIterations = "testIter", testAtStart = "testInitialization", snapshotEvery = "snapshot"
        case snapshotPrefix, seed = "randomSeed", warmup
    }
}

import NetDSL

/// What happens to a raw accumulated gradient before the update rule sees it (Caffe's
/// `ClipGradients`, `Normalize` and `Regularize`, fused into one pass per value).
struct GradientPreparation {
    /// Global clipping factor (1: no clipping).
    let clipScale: Float
    /// 1 / iter_size (1: nothing to undo).
    let normalization: Float
    /// weight_decay * decay_mult for L2 and for L1; at most one is non-zero. Adding 0 changes
    /// nothing, so one branch-free formula (which vectorises) serves all three cases.
    private let l2: Float, l1: Float

    /// `regularization` nil: none (Caffe skips it when the local decay is 0).
    init(clipScale: Float, normalization: Float, decay: Float, regularization: Regularization?) {
        self.clipScale = clipScale
        self.normalization = normalization
        l2 = regularization == .l2 ? decay : 0
        l1 = regularization == .l1 ? decay : 0
    }

    /// The gradient the update rule uses. Multiplying by exactly 1 and adding exactly 0 change
    /// nothing, so the rounding matches Caffe's separate passes.
    @inline(__always)
    func callAsFunction(_ diff: Float, _ data: Float) -> Float {
        let g = diff * clipScale * normalization
        let sign: Float = data > 0 ? 1 : (data < 0 ? -1 : 0)
        return g + (l2 * data + l1 * sign)
    }
}

/// Square root of a value that cannot be negative (sums of squares and their ratios). Swift's
/// `squareRoot()` checks for negative input to set errno, which stops the loops from being
/// vectorised; mapping negatives to 0 lets the compiler drop the check (NaN still propagates).
@inline(__always)
private func root(_ x: Float) -> Float { (x < 0 ? 0 : x).squareRoot() }

/// One parameter's update over a range of its values: each reads the raw gradient from
/// `diff`, updates the history, subtracts the update from `data` (Caffe's `Net::Update`) and
/// clears `diff` for the next accumulation. The arithmetic follows Caffe's
/// `ComputeUpdateValue` for each solver, step by step in float.
enum UpdateRules {
    struct Pointers {
        var data: UnsafeMutablePointer<Float>
        var diff: UnsafeMutablePointer<Float>
        /// Caffe's `history_[i]`.
        var history: UnsafeMutablePointer<Float>
        /// Caffe's `history_[i + N]` (AdaDelta's squared updates, Adam's second moment).
        var history2: UnsafeMutablePointer<Float>?
    }

    /// h = rate * g + momentum * h; data -= h.
    static func sgd(_ r: Range<Int>, _ p: Pointers, _ prep: GradientPreparation, rate: Float, momentum: Float) {
        let data = p.data, diff = p.diff, h = p.history
        for i in r {
            let g = prep(diff[i], data[i])
            let hi = rate * g + momentum * h[i]
            h[i] = hi
            data[i] -= hi
            diff[i] = 0
        }
    }

    /// Steps back by the old momentum and over-steps with the new: u = (1 + m) h' - m h.
    static func nesterov(_ r: Range<Int>, _ p: Pointers, _ prep: GradientPreparation, rate: Float, momentum: Float) {
        let data = p.data, diff = p.diff, h = p.history
        let ahead = 1 + momentum
        for i in r {
            let g = prep(diff[i], data[i])
            let old = h[i]
            let hi = rate * g + momentum * old
            h[i] = hi
            data[i] -= ahead * hi + (-momentum) * old
            diff[i] = 0
        }
    }

    /// h += g^2; data -= rate * g / (sqrt(h) + delta).
    static func adaGrad(_ r: Range<Int>, _ p: Pointers, _ prep: GradientPreparation, rate: Float, delta: Float) {
        let data = p.data, diff = p.diff, h = p.history
        for i in r {
            let g = prep(diff[i], data[i])
            let hi = g * g + h[i]
            h[i] = hi
            data[i] -= rate * (g / (root(hi) + delta))
            diff[i] = 0
        }
    }

    /// h = (1 - decay) g^2 + decay h; data -= rate * g / (sqrt(h) + delta).
    static func rmsProp(_ r: Range<Int>, _ p: Pointers, _ prep: GradientPreparation, rate: Float, delta: Float,
                        rmsDecay: Float) {
        let data = p.data, diff = p.diff, h = p.history
        let keep = 1 - rmsDecay
        for i in r {
            let g = prep(diff[i], data[i])
            let hi = keep * (g * g) + rmsDecay * h[i]
            h[i] = hi
            data[i] -= rate * (g / (root(hi) + delta))
            diff[i] = 0
        }
    }

    /// Gradient history h, update history u: h = (1-m) g^2 + m h;
    /// v = g * sqrt((u + delta) / (h + delta)); u = (1-m) v^2 + m u; data -= rate * v.
    static func adaDelta(_ r: Range<Int>, _ p: Pointers, _ prep: GradientPreparation, rate: Float, delta: Float,
                         momentum: Float) {
        guard let u = p.history2 else { return }
        let data = p.data, diff = p.diff, h = p.history
        let keep = 1 - momentum
        for i in r {
            let g = prep(diff[i], data[i])
            let hi = keep * (g * g) + momentum * h[i]
            h[i] = hi
            let v = g * root((delta + u[i]) / (delta + hi))
            u[i] = keep * (v * v) + momentum * u[i]
            data[i] -= rate * v
            diff[i] = 0
        }
    }

    /// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; data -= rate * m / (sqrt(v) + eps), where
    /// `rate` already carries the bias correction.
    static func adam(_ r: Range<Int>, _ p: Pointers, _ prep: GradientPreparation, rate: Float, beta1: Float,
                     beta2: Float, epsilon: Float) {
        guard let v = p.history2 else { return }
        let data = p.data, diff = p.diff, m = p.history
        let keep1 = 1 - beta1, keep2 = 1 - beta2
        for i in r {
            let g = prep(diff[i], data[i])
            let mi = keep1 * g + beta1 * m[i]
            m[i] = mi
            let vi = keep2 * (g * g) + beta2 * v[i]
            v[i] = vi
            data[i] -= rate * (mi / (root(vi) + epsilon))
            diff[i] = 0
        }
    }
}

import Foundation
import NetDSL

// Caffe's neuron functions and their derivatives, as its kernels compute them.

/// x for x > 0, alpha (e^x - 1) otherwise.
struct ELUFunction: ElementwiseFunction {
    let alpha: Float
    init(_ p: ELUParams) { alpha = p.alpha }
    var derivativeReadsInput: Bool { true }
    func value(_ x: Float) -> Float { x > 0 ? x : alpha * (expf(x) - 1) }
    func gradient(x: Float, y: Float, dy: Float) -> Float { x > 0 ? dy : dy * (y + alpha) }
}

/// |x|, with Caffe's sign(0) = 0.
struct AbsValFunction: ElementwiseFunction {
    var derivativeReadsInput: Bool { true }
    func value(_ x: Float) -> Float { abs(x) }
    func gradient(x: Float, y: Float, dy: Float) -> Float { x > 0 ? dy : (x < 0 ? -dy : 0) }
}

/// log(1 + e^x), computed without overflow for large |x|.
struct BNLLFunction: ElementwiseFunction {
    /// Caffe's kBNLL_THRESHOLD: e^x beyond it is not needed.
    static let limit: Float = 50
    var derivativeReadsInput: Bool { true }
    func value(_ x: Float) -> Float { x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)) }
    func gradient(x: Float, y: Float, dy: Float) -> Float {
        let e = expf(min(x, Self.limit))
        return dy * e / (e + 1)
    }
}

/// (shift + scale x)^power.
struct PowerFunction: ElementwiseFunction {
    let power: Float, scale: Float, shift: Float
    init(_ p: PowerParams) { (power, scale, shift) = (p.power, p.scale, p.shift) }
    var derivativeReadsInput: Bool { true }
    func value(_ x: Float) -> Float {
        let base = shift + scale * x
        return power == 1 ? base : (power == 2 ? base * base : powf(base, power))
    }
    func gradient(x: Float, y: Float, dy: Float) -> Float {
        // A constant output (power 0 or scale 0) has no gradient, as in Caffe.
        if power == 0 || scale == 0 { return 0 }
        if power == 1 { return dy * scale }
        let base = shift + scale * x
        return dy * power * scale * (power == 2 ? base : powf(base, power - 1))
    }
}

/// base^(shift + scale x), e for base -1.
struct ExpFunction: ElementwiseFunction {
    let innerScale: Float, outerScale: Float
    init(_ p: ExpParams) {
        let logBase: Float = p.base == -1 ? 1 : logf(p.base)
        innerScale = logBase * p.scale
        outerScale = p.shift == 0 ? 1 : (p.base == -1 ? expf(p.shift) : powf(p.base, p.shift))
    }
    var derivativeReadsInput: Bool { false }
    func value(_ x: Float) -> Float { outerScale * expf(innerScale * x) }
    func gradient(x: Float, y: Float, dy: Float) -> Float { dy * y * innerScale }
}

/// log_base(shift + scale x), e for base -1.
struct LogFunction: ElementwiseFunction {
    let baseScale: Float, scale: Float, shift: Float
    init(_ p: LogParams) {
        baseScale = p.base == -1 ? 1 : 1 / logf(p.base)
        (scale, shift) = (p.scale, p.shift)
    }
    var derivativeReadsInput: Bool { true }
    func value(_ x: Float) -> Float { baseScale * logf(shift + scale * x) }
    func gradient(x: Float, y: Float, dy: Float) -> Float { dy * scale * baseScale / (shift + scale * x) }
}

/// 1 where x > threshold, else 0: a step, whose derivative is 0 wherever it exists.
struct ThresholdFunction: ElementwiseFunction {
    let threshold: Float
    init(_ p: ThresholdParams) { threshold = p.threshold }
    var derivativeReadsInput: Bool { false }
    func value(_ x: Float) -> Float { x > threshold ? 1 : 0 }
    func gradient(x: Float, y: Float, dy: Float) -> Float { 0 }
}

/// x limited to [min, max]; the gradient passes where x is inside, bounds included (Caffe's rule).
struct ClipFunction: ElementwiseFunction {
    let low: Float, high: Float
    init(_ p: ClipParams) { (low, high) = (p.min, p.max) }
    var derivativeReadsInput: Bool { true }
    func value(_ x: Float) -> Float { Swift.max(low, Swift.min(x, high)) }
    func gradient(x: Float, y: Float, dy: Float) -> Float { x >= low && x <= high ? dy : 0 }
}

/// x sigmoid(beta x).
struct SwishFunction: ElementwiseFunction {
    let beta: Float
    init(_ p: SwishParams) { beta = p.beta }
    var derivativeReadsInput: Bool { true }
    private func sigmoid(_ x: Float) -> Float { 0.5 * tanhf(0.5 * beta * x) + 0.5 }
    func value(_ x: Float) -> Float { x * sigmoid(x) }
    func gradient(x: Float, y: Float, dy: Float) -> Float {
        let s = sigmoid(x)
        return dy * (beta * y + s * (1 - beta * y))
    }
}

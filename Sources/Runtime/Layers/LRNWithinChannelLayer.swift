import Foundation
import NetDSL

/// Caffe's LRN within each channel: s = 1 + alpha / size^2 * (sum of x^2 over the size x size
/// square centred on each position, zero beyond the edges), and y = x * s^-beta. Caffe builds
/// it from a square, an average pooling (whose divisor is always size^2 here) and a power;
/// this computes the same in one pass each way.
final class LRNWithinChannelLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: LRNParams
    /// s for every input value, kept from forward for backward.
    private let scale = Buffer(capacity: 1)
    /// Backward's dy x s^(-beta-1) for every value.
    private let ratio = Buffer(capacity: 1)
    private var planes = 0, height = 0, width = 0

    init(spec: LayerSpec, params: LRNParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        guard params.localSize > 0, params.localSize % 2 == 1 else {
            throw LayerError(spec, "local_size \(params.localSize) must be a positive odd number (the square is centred on each position)")
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        guard tops[0] !== bottoms[0] else { throw LayerError(spec, "cannot run in place; give it its own output") }
        guard shape.count == 4 else {
            throw LayerError(spec, "input is \(shapeText(shape)) but LRN needs 4 axes (num x channels x height x width)")
        }
        (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        tops[0].reshape(shape)
        scale.reserve(bottoms[0].count)
        ratio.reserve(bottoms[0].count)
    }

    /// Sums `values(i)` over the square around each position of one plane into `out`.
    private static func boxSum(_ plane: Int, _ h: Int, _ w: Int, radius: Int, _ values: (Int) -> Float,
                               into out: UnsafeMutablePointer<Float>) {
        for y in 0..<h {
            for x in 0..<w {
                var sum: Float = 0
                for yy in max(0, y - radius)...min(h - 1, y + radius) {
                    for xx in max(0, x - radius)...min(w - 1, x + radius) { sum += values(plane + yy * w + xx) }
                }
                out[plane + y * w + x] = sum
            }
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data, s = scale.pointer
        let (h, w, radius) = (height, width, params.localSize / 2)
        let a = params.alpha / Float(params.localSize * params.localSize), beta = params.beta
        Parallel.forEachChunk(planes, grain: 1) { range in
            for p in range {
                let base = p * h * w
                Self.boxSum(base, h, w, radius: radius, { x[$0] * x[$0] }, into: s)
                for i in base..<(base + h * w) {
                    s[i] = 1 + a * s[i]
                    y[i] = x[i] * powf(s[i], -beta)
                }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let x = bottoms[0].data, dx = bottoms[0].diff, dy = tops[0].diff
        let s = scale.pointer, r = ratio.pointer
        let (h, w, radius) = (height, width, params.localSize / 2)
        let beta = params.beta
        let factor = 2 * params.alpha * beta / Float(params.localSize * params.localSize)
        Parallel.forEachChunk(planes, grain: 1) { range in
            for p in range {
                let base = p * h * w
                for i in base..<(base + h * w) { r[i] = dy[i] * x[i] * powf(s[i], -beta - 1) }
                // The square is symmetric: position j is in i's square exactly when i is in j's.
                Self.boxSum(base, h, w, radius: radius, { r[$0] }, into: dx)
                for i in base..<(base + h * w) {
                    dx[i] = dy[i] * powf(s[i], -beta) - factor * x[i] * dx[i]
                }
            }
        }
    }
}

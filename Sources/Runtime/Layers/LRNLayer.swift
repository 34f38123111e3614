import CKernels
import NetDSL

/// Caffe's LRN across channels: scale = k + alpha / size * (sum of x^2 over the `localSize`
/// channels centred on this one, zero beyond the edges), and top = x * scale^-beta.
///
/// The window sums slide along the channels (add the channel entering, subtract the one
/// leaving) in Caffe's order, so they match Caffe's CPU kernel; only the power differs, by an
/// ulp or so, where beta is 0.75 and square roots stand in for `pow`. The loops are the
/// vectorised crema_lrn_forward / crema_lrn_backward, over images and ranges of positions.
final class LRNLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: LRNParams

    /// `scale` for every input value, kept from forward for backward.
    private let scale = Buffer(capacity: 1)
    /// Backward's working planes, per work item.
    private let scratch = Buffer(capacity: 1)
    private var num = 0, channels = 0, plane = 0

    init(spec: LayerSpec, params: LRNParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        guard params.localSize > 0, params.localSize % 2 == 1 else {
            throw LayerError(spec, "local_size \(params.localSize) must be a positive odd number (the window is centred on each channel)")
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let bottom = bottoms[0], top = tops[0]
        let shape = bottom.shape
        guard top !== bottom else { throw LayerError(spec, "cannot run in place; give it its own output") }
        guard shape.count == 4 else {
            throw LayerError(spec, "input is \(shapeText(shape)) but LRN needs 4 axes (num x channels x height x width)")
        }
        (num, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        top.reshape(shape)
        scale.reserve(bottom.count)
    }

    /// Work items: each image's positions split into `parts` ranges, so a batch of one still
    /// uses every core. Returns (parts, positions per part, rounded to a vector multiple).
    private func split() -> (parts: Int, length: Int) {
        let parts = num >= Parallel.threads || plane < 512 ? 1 : min(Parallel.threads, (plane + 255) / 256)
        let length = ((plane + parts - 1) / parts + 15) / 16 * 16
        return ((plane + length - 1) / length, length)
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data, s = scale.pointer
        let (C, HW, size) = (channels, plane, params.localSize)
        let a = params.alpha / Float(size)
        let (k, beta) = (params.k, params.beta)
        let (parts, length) = split()
        Parallel.forEach(num * parts, work: bottoms[0].count * 16) { item in
            let base = (item / parts) * C * HW
            let begin = (item % parts) * length, end = min(HW, begin + length)
            crema_lrn_forward(x + base, s + base, y + base, Int64(C), Int64(HW), Int64(begin), Int64(end),
                              Int64(size), a, k, beta)
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let (C, HW, size) = (channels, plane, params.localSize)
        let (parts, length) = split()
        // Per work item: `size` planes of ratios (a ring over the window) and the window's sum.
        let perItem = (size + 1) * length
        scratch.reserve(num * parts * perItem)
        let x = bottoms[0].data, dx = bottoms[0].diff
        let y = tops[0].data, dy = tops[0].diff
        let s = scale.pointer, work = scratch.pointer
        let factor = Float(2 * Double(params.alpha) * Double(params.beta) / Double(size))
        let beta = params.beta
        Parallel.forEach(num * parts, work: bottoms[0].count * 16) { item in
            let base = (item / parts) * C * HW
            let begin = (item % parts) * length, end = min(HW, begin + length)
            crema_lrn_backward(x + base, y + base, s + base, dy + base, dx + base, Int64(C), Int64(HW),
                               Int64(begin), Int64(end), Int64(size), factor, beta, work + item * perItem)
        }
    }
}

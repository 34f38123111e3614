import NetDSL

/// Caffe's PReLU: y = max(x, 0) + a_c min(x, 0) with a learned slope per channel (axis 1), or
/// one slope for all with `channel_shared`. In place it keeps a copy of the input for backward.
final class PReLULayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: PReLUParams
    private(set) var parameters: [Tensor] = []
    private var channels = 1
    private let savedInput = Buffer(capacity: 1)

    init(spec: LayerSpec, params: PReLUParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        guard bottoms[0].shape.count >= 2 else {
            throw LayerError(spec, "needs an input of at least 2 axes (batch and channels), not \(shapeText(bottoms[0].shape))")
        }
        channels = bottoms[0].shape[1]
        let slopes = try store.parameter(for: spec, index: 0, shape: params.channelShared ? [1] : [channels],
                                         filler: params.filler)
        parameters = [slopes]
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        guard shape.count >= 2, shape[1] == channels else {
            throw LayerError(spec, "input \(shapeText(shape)) must keep the \(channels) channels its slopes were made for")
        }
        if tops[0] !== bottoms[0] { tops[0].reshape(like: bottoms[0]) }
    }

    /// Values per channel of one image.
    private func inner(_ t: Tensor) -> Int { t.count(from: 2) }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let bottom = bottoms[0], n = bottom.count
        var x = bottom.data
        let y = tops[0].data, a = parameters[0].data
        if tops[0] === bottom {
            savedInput.reserve(n)
            savedInput.pointer.update(from: x, count: n)
            x = savedInput.pointer
        }
        let input = x, dim = inner(bottom), c = channels, shared = params.channelShared
        Parallel.forEachChunk(n, grain: 8_192) { r in
            for i in r {
                let slope = a[shared ? 0 : (i / dim) % c]
                let v = input[i]
                y[i] = v > 0 ? v : slope * v
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        let bottom = bottoms[0], n = bottom.count, dim = inner(bottom), c = channels
        let x = tops[0] === bottom ? savedInput.pointer : bottom.data
        let dy = tops[0].diff, a = parameters[0].data, da = parameters[0].diff
        let shared = params.channelShared
        // The slopes' gradient first: in place, dx overwrites dy.
        if spec.param(0).lrMult != 0 {
            for i in 0..<n where x[i] <= 0 {
                da[shared ? 0 : (i / dim) % c] += dy[i] * x[i]
            }
        }
        guard propagateDown.first == true else { return }
        let dx = bottom.diff
        Parallel.forEachChunk(n, grain: 8_192) { r in
            for i in r {
                let slope = a[shared ? 0 : (i / dim) % c]
                dx[i] = x[i] > 0 ? dy[i] : slope * dy[i]
            }
        }
    }
}

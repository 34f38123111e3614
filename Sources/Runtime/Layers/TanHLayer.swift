import Foundation
import NetDSL

/// Caffe's TanH. Backward reads only the output, so it also works in place.
final class TanHLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec

    init(spec: LayerSpec) { self.spec = spec }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        if tops[0] !== bottoms[0] { tops[0].reshape(like: bottoms[0]) }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data
        Parallel.forEachChunk(bottoms[0].count, grain: 8_192) { r in
            for i in r { y[i] = tanhf(x[i]) }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let y = tops[0].data, dy = tops[0].diff, dx = bottoms[0].diff
        // In place the gradient is one pointer; reading and writing it through one name lets
        // the loop vectorise (equal pointers fail the compiler's overlap check).
        if dx == dy {
            Parallel.forEachChunk(tops[0].count) { r in
                for i in r {
                    let t = y[i]
                    dx[i] *= (1 - t * t)
                }
            }
        } else {
            Parallel.forEachChunk(tops[0].count) { r in
                for i in r {
                    let t = y[i]
                    dx[i] = dy[i] * (1 - t * t)
                }
            }
        }
    }
}

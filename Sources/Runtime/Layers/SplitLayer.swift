import NetDSL

/// Caffe's Split, inserted by the graph where one blob feeds several layers that send gradients
/// back: every output reads the input's values, each keeps its own gradient, and backward sums
/// them into the input's.
final class SplitLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec

    init(spec: LayerSpec) { self.spec = spec }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard bottoms.count == 1, !tops.isEmpty else {
            throw LayerError(spec, "takes one input and one or more outputs, not \(bottoms.count) and \(tops.count)")
        }
        guard !tops.contains(where: { $0 === bottoms[0] }) else {
            throw LayerError(spec, "cannot run in place: each output needs its own gradient")
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        for top in tops {
            top.reshape(like: bottoms[0])
            // Reshaping may have grown the input's storage, so share again every time.
            top.shareData(with: bottoms[0])
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {}

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let dx = bottoms[0].diff, n = bottoms[0].count
        let dys = tops.map(\.diff)
        Parallel.forEachChunk(n) { r in
            let d0 = dys[0]
            for k in r { dx[k] = d0[k] }
            for dy in dys.dropFirst() {
                for k in r { dx[k] += dy[k] }
            }
        }
    }
}

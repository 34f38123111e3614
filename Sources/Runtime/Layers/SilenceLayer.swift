import NetDSL

/// Caffe's Silence: reads its inputs and writes nothing; their gradients are zero.
final class SilenceLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec

    init(spec: LayerSpec) { self.spec = spec }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard tops.isEmpty, !bottoms.isEmpty else {
            throw LayerError(spec, "reads one or more blobs and writes none, not \(bottoms.count) and \(tops.count)")
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {}
    func forward(bottoms: [Tensor], tops: [Tensor]) throws {}

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        for (b, down) in zip(bottoms, propagateDown) where down { b.zeroDiff() }
    }
}

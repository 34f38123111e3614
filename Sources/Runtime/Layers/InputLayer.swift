import NetDSL

/// Blobs of fixed shape that the caller fills (deploy nets, `experiments time` without data).
final class InputLayer: Layer {
    /// A source: nothing to send back.
    func overwritesInputGradients(inputs: Int) -> Bool { false }
    let spec: LayerSpec
    let params: InputParams

    init(spec: LayerSpec, params: InputParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard params.shapes.count == tops.count || params.shapes.count == 1 else {
            throw LayerError(spec, "has \(tops.count) outputs but \(params.shapes.count) shapes; give one shape per output")
        }
        for s in params.shapes where s.isEmpty || s.contains(where: { $0 <= 0 }) {
            throw LayerError(spec, "shape \(s) is not valid: every dimension must be positive")
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        for (i, top) in tops.enumerated() {
            let shape = params.shapes[min(i, params.shapes.count - 1)]
            // A caller may have resized the input (batch size); keep it when it has the same rank.
            if top.shape.count != shape.count { top.reshape(shape) }
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {}
}

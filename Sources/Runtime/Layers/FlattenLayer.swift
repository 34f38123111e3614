import NetDSL

/// Caffe's Flatten: folds axes `axis...endAxis` into one. The output is a view of the input
/// (shared values and gradients), so forward and backward have nothing to do.
final class FlattenLayer: Layer {
    /// Its output shares its input's gradient, so backward writes nothing.
    func overwritesInputGradients(inputs: Int) -> Bool { false }
    let spec: LayerSpec
    let params: FlattenParams

    init(spec: LayerSpec, params: FlattenParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        try requireOwnOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        let rank = shape.count
        func canonical(_ axis: Int, _ name: String) throws -> Int {
            guard axis >= -rank && axis < rank else {
                throw LayerError(spec, "\(name) \(axis) is outside an input of shape \(shapeText(shape)) (\(rank) axes; negative axes count from the end)")
            }
            return axis < 0 ? axis + rank : axis
        }
        let start = try canonical(params.axis, "axis")
        let end = try canonical(params.endAxis, "end_axis")
        guard start <= end else {
            throw LayerError(spec, "axis \(params.axis) comes after end_axis \(params.endAxis) for an input of shape \(shapeText(shape)); the folded axes run from axis to end_axis")
        }
        let folded = shape[start...end].reduce(1, *)
        tops[0].reshape(Array(shape[..<start]) + [folded] + Array(shape[(end + 1)...]))
        // Reshaping may have grown the input's storage, so share again every time.
        tops[0].shareData(with: bottoms[0])
        tops[0].shareDiff(with: bottoms[0])
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {}

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {}
}

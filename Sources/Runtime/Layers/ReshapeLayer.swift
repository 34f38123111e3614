import NetDSL

/// Caffe's Reshape: a view of the input under another shape (shared values and gradients).
final class ReshapeLayer: Layer {
    /// Its output shares its input's gradient, so backward writes nothing.
    func overwritesInputGradients(inputs: Int) -> Bool { false }
    let spec: LayerSpec
    let params: ReshapeParams

    init(spec: LayerSpec, params: ReshapeParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        try requireOwnOutput(bottoms, tops)
    }

    /// Caffe's rule: the axes from `axis` (`numAxes` of them) become `shape`, 0 copying the
    /// input's dimension at that place and -1 taking what the count leaves.
    static func shape(of input: [Int], _ p: ReshapeParams, _ spec: LayerSpec) throws -> [Int] {
        let rank = input.count
        guard p.axis >= -(rank + 1), p.axis <= rank else {
            throw LayerError(spec, "axis \(p.axis) is outside an input of shape \(shapeText(input))")
        }
        let start = p.axis < 0 ? p.axis + rank + 1 : p.axis
        let end = p.numAxes == -1 ? rank : start + p.numAxes
        guard end <= rank else {
            throw LayerError(spec, "num_axes \(p.numAxes) from axis \(start) runs past the \(rank)-axis input \(shapeText(input))")
        }
        var middle: [Int] = []
        for (i, d) in p.shape.enumerated() {
            if d == 0 {
                guard start + i < rank else { throw LayerError(spec, "dim \(i) is 0 (copy), but the input \(shapeText(input)) has no axis \(start + i)") }
                middle.append(input[start + i])
            } else {
                middle.append(d)
            }
        }
        let count = input.reduce(1, *)
        let known = Array(input[..<start]) + middle.filter { $0 != -1 } + Array(input[end...])
        let product = known.reduce(1, *)
        if let infer = middle.firstIndex(of: -1) {
            guard product > 0, count % product == 0 else {
                throw LayerError(spec, "cannot infer dim \(infer): \(count) values of \(shapeText(input)) do not divide by \(product)")
            }
            middle[infer] = count / product
        }
        let result = Array(input[..<start]) + middle + Array(input[end...])
        guard result.reduce(1, *) == count else {
            throw LayerError(spec, "shape \(shapeText(result)) holds \(result.reduce(1, *)) values, but the input \(shapeText(input)) has \(count)")
        }
        return result
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        tops[0].reshape(try Self.shape(of: bottoms[0].shape, params, spec))
        // Reshaping may have grown the input's storage, so share again every time.
        tops[0].shareData(with: bottoms[0])
        tops[0].shareDiff(with: bottoms[0])
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {}
}

import NetDSL

/// Caffe's ArgMax: per item (everything after axis 0, or along `axis`), the indices of the
/// `top_k` largest values, largest first, ties to the lower index; with `out_max_val` also (or,
/// along an axis, instead) the values. It has no gradient, as in Caffe.
final class ArgMaxLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { false }
    let spec: LayerSpec
    let params: ArgMaxParams
    private var outer = 0, dim = 0, inner = 0

    init(spec: LayerSpec, params: ArgMaxParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        try requireOwnOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        let k = params.topK
        if let axis = params.axis {
            let a = try canonicalAxis(axis, of: shape)
            (outer, dim, inner) = (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
            var out = shape
            out[a] = k
            tops[0].reshape(out)
        } else {
            guard !shape.isEmpty else { throw LayerError(spec, "needs an input with a batch axis") }
            (outer, dim, inner) = (shape[0], shape[1...].reduce(1, *), 1)
            tops[0].reshape([shape[0], params.outMaxVal ? 2 : 1, k])
        }
        guard k <= dim else {
            throw LayerError(spec, "top_k \(k) is more than the \(dim) values it chooses among in \(shapeText(shape))")
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data
        let (k, dim, inner) = (params.topK, dim, inner)
        let alongAxis = params.axis != nil, values = params.outMaxVal
        for o in 0..<outer {
            for i in 0..<inner {
                let order = (0..<dim).sorted { a, b in
                    let va = x[(o * dim + a) * inner + i], vb = x[(o * dim + b) * inner + i]
                    return va != vb ? va > vb : a < b
                }
                for j in 0..<k {
                    let index = order[j], value = x[(o * dim + index) * inner + i]
                    if alongAxis {
                        y[(o * k + j) * inner + i] = values ? value : Float(index)
                    } else {
                        y[o * (values ? 2 : 1) * k + j] = Float(index)
                        if values { y[o * 2 * k + k + j] = value }
                    }
                }
            }
        }
    }
}

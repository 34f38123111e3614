import NetDSL

/// Caffe's Tile: the input repeated `tiles` times along `axis`; backward sums the copies.
final class TileLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: TileParams
    private var outer = 0, inner = 0

    init(spec: LayerSpec, params: TileParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        try requireOwnOutput(bottoms, tops)
        guard params.tiles >= 1 else { throw LayerError(spec, "tiles is \(params.tiles); it must be at least 1") }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        let a = try canonicalAxis(params.axis, of: shape)
        (outer, inner) = (shape[..<a].reduce(1, *), shape[a...].reduce(1, *))
        var out = shape
        out[a] *= params.tiles
        tops[0].reshape(out)
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data, t = params.tiles
        for o in 0..<outer {
            for copy in 0..<t { (y + (o * t + copy) * inner).update(from: x + o * inner, count: inner) }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let dx = bottoms[0].diff, dy = tops[0].diff, t = params.tiles
        for o in 0..<outer {
            let out = dx + o * inner
            out.update(from: dy + o * t * inner, count: inner)
            for copy in 1..<max(t, 1) {
                let g = dy + (o * t + copy) * inner
                for i in 0..<inner { out[i] += g[i] }
            }
        }
    }
}

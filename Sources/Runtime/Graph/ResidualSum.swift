import NetDSL

/// A residual connection's Eltwise SUM, and the in-place ReLU after it, computed by the folded
/// convolution whose output it reads (ResNet's `res2a = relu(branch1 + branch2c)`): each
/// chunk of images is summed as soon as the convolution has written it, while it is still in
/// cache, instead of the Eltwise and the ReLU each passing over the whole blob. The
/// convolution's own output is written as before, so every blob keeps its unfolded values.
struct ResidualSum {
    /// Graph indices of the Eltwise and of the ReLU after it.
    let eltwise: Int, relu: Int?
    /// The Eltwise's inputs in its order (the convolution's output among them) and coefficients.
    let inputs: [Tensor], coefficients: [Float]
    let output: Tensor

    /// The Eltwise SUM that next reads the output of convolution `convolution` after the
    /// in-place layers `folded` into it, when every other input it sums is final by the time
    /// the convolution runs and no layer between them touches its output.
    static func find(of convolution: Int, folded: [Int], in graph: Graph) -> ResidualSum? {
        let layers = graph.layers
        let blob = graph.io(ofLayer: convolution).tops[0]
        let last = folded.max() ?? convolution
        guard let e = layers.indices[(last + 1)...].first(where: { graph.io(ofLayer: $0).bottoms.contains { $0 === blob } }),
              let eltwise = layers[e] as? EltwiseLayer, eltwise.params.operation == .sum else { return nil }
        let io = graph.io(ofLayer: e)
        guard io.tops.count == 1 else { return nil }
        let output = io.tops[0]
        // The folded layers write only the convolution's output, in place, as the fold does.
        for k in layers.indices[(convolution + 1)..<e] where !folded.contains(k) {
            let other = graph.io(ofLayer: k)
            // An input written after the convolution, or the output used before the sum makes it.
            if other.tops.contains(where: { top in io.bottoms.contains { $0 === top } }) { return nil }
            if (other.bottoms + other.tops).contains(where: { $0 === output || $0.dataBuffer === output.dataBuffer }) {
                return nil
            }
        }
        let coefficients = eltwise.params.coeff.isEmpty
            ? [Float](repeating: 1, count: io.bottoms.count) : eltwise.params.coeff
        var relu: Int?
        if let r = layers.indices[(e + 1)...].first(where: { graph.io(ofLayer: $0).bottoms.contains { $0 === output } }),
           let layer = layers[r] as? ReLULayer, layer.negativeSlope == 0 {
            let rio = graph.io(ofLayer: r)
            if rio.bottoms.count == 1 && rio.tops.count == 1 && rio.tops[0] === output { relu = r }
        }
        return ResidualSum(eltwise: e, relu: relu, inputs: io.bottoms, coefficients: coefficients, output: output)
    }

    /// Computes the sum (and the ReLU) for values `start..<start + count` of the output, adding
    /// the inputs in the Eltwise's order so that the result is the Eltwise's to the bit.
    func apply(start: Int, count: Int) {
        let y = output.data + start
        let xs = inputs.map { UnsafePointer($0.data + start) }
        let coeff = coefficients, clamp = relu != nil
        if xs.count == 2 && coeff == [1, 1] {
            let a = xs[0], b = xs[1]
            Parallel.forEachChunk(count) { r in
                if clamp {
                    for k in r { y[k] = max(a[k] + b[k], 0) }
                } else {
                    for k in r { y[k] = a[k] + b[k] }
                }
            }
            return
        }
        Parallel.forEachChunk(count) { r in
            let c0 = coeff[0], x0 = xs[0]
            for k in r { y[k] = c0 * x0[k] }
            for i in 1..<xs.count {
                let c = coeff[i], x = xs[i]
                for k in r { y[k] += c * x[k] }
            }
            if clamp { for k in r { y[k] = max(y[k], 0) } }
        }
    }
}

extension FoldedConvolution {
    /// Makes the fold compute `sum` after the convolution: chunk by chunk on oneDNN's layer,
    /// over the whole output after the convolution otherwise.
    func takeResidualSum(_ sum: ResidualSum) {
        residual = sum
        (kernel as? OneDNNConvolutionLayer)?.afterEachChunk = { start, count in sum.apply(start: start, count: count) }
    }

    /// Runs the folded convolution on layer `convolution`'s inputs and outputs, and the residual sum.
    func forward(_ io: (bottoms: [Tensor], tops: [Tensor])) throws {
        try kernel.forward(bottoms: io.bottoms, tops: io.tops)
        if let residual, !(kernel is OneDNNConvolutionLayer) {
            residual.apply(start: 0, count: residual.output.count)
        }
    }
}

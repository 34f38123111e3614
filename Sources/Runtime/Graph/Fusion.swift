import NetDSL

extension Compiler {
    /// Hands each in-place ReLU (negative slope 0) that directly follows a oneDNN convolution
    /// to that convolution, which applies it to its output blocks while they are in cache; the
    /// ReLU's own forward pass (a read and write of the whole blob) is then skipped. Backward is
    /// unchanged: in place, the ReLU's output has its input's signs.
    ///
    /// "Directly" means no layer between the two reads the blob, so nobody sees the
    /// convolution's output before the ReLU would have changed it.
    static func fuseActivations(layers: inout [Layer], bottoms: [[Tensor]], tops: [[Tensor]]) throws {
        for j in layers.indices {
            guard let relu = layers[j] as? ReLULayer, relu.negativeSlope == 0,
                  bottoms[j].count == 1, tops[j].count == 1, bottoms[j][0] === tops[j][0] else { continue }
            let blob = bottoms[j][0]
            guard let i = layers[..<j].indices.last(where: { tops[$0].contains { $0 === blob } }),
                  let conv = layers[i] as? OneDNNConvolutionLayer, tops[i].count == 1,
                  !layers.indices[(i + 1)..<j].contains(where: { bottoms[$0].contains { $0 === blob } })
            else { continue }
            conv.fusedReLU = true
            try conv.reshape(bottoms: bottoms[i], tops: tops[i])
            layers[j] = FusedReLULayer(relu, into: layers[i].spec.name)
        }
    }
}

/// A ReLU whose forward pass the convolution before it makes (see `Compiler.fuseActivations`);
/// its backward pass is the ReLU's own.
final class FusedReLULayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let relu: ReLULayer
    /// The layer whose forward pass does this one's.
    let producer: String

    init(_ relu: ReLULayer, into producer: String) {
        self.relu = relu
        self.producer = producer
    }

    var spec: LayerSpec { relu.spec }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        try relu.reshape(bottoms: bottoms, tops: tops)
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {}

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        relu.backward(tops: tops, propagateDown: propagateDown, bottoms: bottoms)
    }
}

extension Graph {
    /// Layers whose forward pass another layer makes, with that layer's name, in net order.
    public var fusedLayers: [(name: String, into: String)] {
        layers.compactMap { layer in (layer as? FusedReLULayer).map { ($0.spec.name, $0.producer) } }
    }
}

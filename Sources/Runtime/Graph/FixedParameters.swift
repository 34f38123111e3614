/// A layer that converts its parameters into another form for its kernels (oneDNN's blocked
/// weights) and can keep that form between passes while the parameters stay as they are.
protocol ConvertsParameters: Layer {
    var keepsConvertedWeights: Bool { get set }
    /// The parameters changed: convert them again at the next forward.
    func dropConvertedWeights()
}

extension OneDNNConvolutionLayer: ConvertsParameters {}

extension Graph {
    /// Tells the layers that the parameters changed (weights loaded, a solver step) while
    /// `parametersFixed` is on: the next forward converts them again, in this graph and in
    /// every other graph on the same store.
    public func parametersChanged() {
        store.noteChange()
        dropConvertedWeights()
    }

    /// Called before each forward pass: a change announced through another graph on the store.
    @inline(__always)
    func catchUpWithStore() {
        if parametersFixed && convertedGeneration != store.generation { dropConvertedWeights() }
    }

    private func dropConvertedWeights() {
        for case let layer as ConvertsParameters in layers { layer.dropConvertedWeights() }
        convertedGeneration = store.generation
    }

    func applyParametersFixed() {
        for case let layer as ConvertsParameters in layers { layer.keepsConvertedWeights = parametersFixed }
    }
}

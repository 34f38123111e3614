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
    /// `parametersFixed` is on: the next forward converts them again.
    public func parametersChanged() {
        for case let layer as ConvertsParameters in layers { layer.dropConvertedWeights() }
    }

    func applyParametersFixed() {
        for case let layer as ConvertsParameters in layers { layer.keepsConvertedWeights = parametersFixed }
    }
}

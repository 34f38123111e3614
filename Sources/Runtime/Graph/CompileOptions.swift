/// Settings that change what `Compiler.compile` builds, passed in as a value: a program reads
/// its flags and the environment once, at its edge (`CompileOptions.reading(environment:)`),
/// and hands the result to the compiler and the trainer.
public struct CompileOptions: Sendable, Equatable {
    /// Which engine computes Convolution layers.
    public enum Engine: String, Sendable, CaseIterable {
        /// oneDNN where its library loads and runs the shape, else im2col + BLAS.
        case auto
        /// Caffe's way: im2col and an OpenBLAS product per image and group.
        case im2col
        /// oneDNN's convolutions; a library that does not load is an error.
        case onednn
    }

    public var convolutionEngine: Engine
    /// What oneDNN convolutions compute in; bf16 needs the oneDNN engine.
    public var precision: OneDNNPrecision
    /// Lets a convolution apply the ReLU after it (see `Compiler.fuseActivations`); the results
    /// are the same either way.
    public var fuseLayers: Bool
    /// Lets blob gradients whose backward lifetimes do not overlap share storage (TRAIN only);
    /// off keeps every blob's gradient readable after backward.
    public var shareGradients: Bool

    public init(convolutionEngine: Engine = .auto, precision: OneDNNPrecision = .f32,
                fuseLayers: Bool = true, shareGradients: Bool = true) {
        self.convolutionEngine = convolutionEngine
        self.precision = precision
        self.fuseLayers = fuseLayers
        self.shareGradients = shareGradients
    }

    /// The defaults with CREMA_CONV_ENGINE (`auto`, `im2col`, `onednn`) and CREMA_PRECISION
    /// (`f32`, `bf16`) applied, for a program's edge; a value that names nothing is an error.
    public static func reading(environment: [String: String]) throws -> CompileOptions {
        var options = CompileOptions()
        if let value = environment["CREMA_CONV_ENGINE"]?.lowercased(), !value.isEmpty {
            guard let engine = Engine(rawValue: value) else {
                throw OneDNNError("CREMA_CONV_ENGINE is '\(value)'; use im2col, onednn or auto")
            }
            options.convolutionEngine = engine
        }
        if let value = environment["CREMA_PRECISION"]?.lowercased(), !value.isEmpty {
            guard let precision = OneDNNPrecision(rawValue: value) else {
                throw OneDNNError("CREMA_PRECISION is '\(value)'; use f32 or bf16")
            }
            options.precision = precision
        }
        return options
    }
}

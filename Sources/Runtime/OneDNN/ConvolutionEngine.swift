import Foundation
import NetDSL

/// The code that computes Convolution layers.
///
/// - `im2col`: Caffe's way, im2col and an OpenBLAS product per image and group (`ConvolutionLayer`).
/// - `onednn`: oneDNN's convolutions (`OneDNNConvolutionLayer`), about twice as fast on AVX-512.
///
/// Chosen by the compile options: `auto` takes oneDNN when its library loads; a demanded oneDNN
/// that cannot load or run a shape is an error, while the automatic choice falls back to im2col.
public enum ConvolutionEngine: String, Sendable, CaseIterable {
    case im2col, onednn

    /// The engine new Convolution layers get under `options` (a demanded oneDNN even where it
    /// does not load: building a net then fails, saying why).
    public static func selected(_ options: CompileOptions) -> ConvolutionEngine {
        choice(options.convolutionEngine, oneDNNLoads: loads).engine
    }

    private static var loads: Bool {
        if case .success = OneDNNLibrary.loaded { return true }
        return false
    }

    /// One line for run records: the engine, and for oneDNN its version, precision and
    /// instruction set, or why it is not used.
    public static func summary(_ options: CompileOptions) -> String {
        switch (selected(options), OneDNNLibrary.loaded) {
        case (.onednn, .success(let lib)):
            // Without AMX oneDNN's bf16 kernels are slower than its Float ones.
            let note = options.precision == .bf16 && !lib.hasAMXBF16 ? "; no AMX here: bf16 is slower than f32" : ""
            return "onednn \(lib.version) \(options.precision.rawValue) (\(lib.instructionSet), "
                + "\(Parallel.threads) OpenMP threads\(note))"
        case (.onednn, .failure(let error)):
            return "onednn unavailable: \(error)"
        case (.im2col, .success):
            return "im2col"
        case (.im2col, .failure(let error)):
            return "im2col (oneDNN not loaded: \(error))"
        }
    }

    /// The engine and whether it was demanded (so a failure is an error, not a fallback).
    static func choice(_ setting: CompileOptions.Engine, oneDNNLoads: Bool) -> (engine: ConvolutionEngine, required: Bool) {
        switch setting {
        case .auto: (oneDNNLoads ? .onednn : .im2col, false)
        case .im2col: (.im2col, true)
        case .onednn: (.onednn, true)
        }
    }

    /// The Convolution kernel for `spec` under `options`.
    static func makeLayer(spec: LayerSpec, params: ConvolutionParams, options: CompileOptions) throws -> Layer {
        let (engine, required) = choice(options.convolutionEngine, oneDNNLoads: loads)
        return try makeLayer(spec: spec, params: params, engine: engine, required: required,
                             precision: options.precision, library: OneDNNLibrary.loaded)
    }

    static func makeLayer(spec: LayerSpec, params: ConvolutionParams, engine: ConvolutionEngine, required: Bool,
                          precision: OneDNNPrecision, library: Result<OneDNNLibrary, OneDNNError>) throws -> Layer {
        switch engine {
        case .im2col:
            if precision == .bf16 {
                throw LayerError(spec, "bf16 convolutions need the oneDNN engine, but the im2col engine is selected; choose the oneDNN engine (CREMA_CONV_ENGINE=onednn or auto) or f32 (CREMA_PRECISION=f32)")
            }
            return ConvolutionLayer(spec: spec, params: params)
        case .onednn:
            switch library {
            case .success(let lib):
                return OneDNNConvolutionLayer(spec: spec, params: params, library: lib, precision: precision,
                                              required: required)
            case .failure(let error):
                if required || precision == .bf16 {
                    throw LayerError(spec, "the oneDNN convolution engine is unavailable: \(error)")
                }
                return ConvolutionLayer(spec: spec, params: params)
            }
        }
    }
}

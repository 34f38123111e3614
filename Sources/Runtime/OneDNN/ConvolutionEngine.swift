import Foundation
import NetDSL

/// The code that computes Convolution layers.
///
/// - `im2col`: Caffe's way, im2col and an OpenBLAS product per image and group (`ConvolutionLayer`).
/// - `onednn`: oneDNN's convolutions (`OneDNNConvolutionLayer`), about twice as fast on AVX-512.
///
/// Chosen by `requested` (a program's setting), else the CREMA_CONV_ENGINE environment variable
/// (`im2col`, `onednn` or `auto`), else oneDNN when its library loads. A demanded oneDNN that
/// cannot load or run a shape is an error; the automatic choice falls back to im2col.
public enum ConvolutionEngine: String, Sendable, CaseIterable {
    case im2col, onednn

    /// Set by a program (a command-line option) before it builds nets; it wins over the environment.
    nonisolated(unsafe) public static var requested: ConvolutionEngine?
    /// Set by a program before it builds nets; it wins over CREMA_PRECISION (`f32` or `bf16`).
    nonisolated(unsafe) public static var requestedPrecision: OneDNNPrecision?

    /// The engine new Convolution layers get (a demanded oneDNN even where it does not load:
    /// building a net then fails, saying why). Throws when the setting names no engine.
    public static func selected() throws -> ConvolutionEngine {
        try choice().engine
    }

    /// The precision oneDNN convolutions compute in; bf16 needs the oneDNN engine.
    public static func selectedPrecision() throws -> OneDNNPrecision {
        try precision(requested: requestedPrecision, environment: ProcessInfo.processInfo.environment)
    }

    /// One line for run records: the engine, and for oneDNN its version, precision and
    /// instruction set, or why it is not used.
    public static var summary: String {
        let engine: ConvolutionEngine
        do { engine = try selected() } catch { return "invalid setting: \(error)" }
        switch (engine, OneDNNLibrary.loaded) {
        case (.onednn, .success(let lib)):
            let precision = try? selectedPrecision()
            // Without AMX oneDNN's bf16 kernels are slower than its Float ones.
            let note = precision == .bf16 && !lib.hasAMXBF16 ? "; no AMX here: bf16 is slower than f32" : ""
            return "onednn \(lib.version) \(precision?.rawValue ?? "invalid precision") (\(lib.instructionSet), "
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
    static func choice() throws -> (engine: ConvolutionEngine, required: Bool) {
        let loaded: Bool
        if case .success = OneDNNLibrary.loaded { loaded = true } else { loaded = false }
        return try choice(requested: requested, environment: ProcessInfo.processInfo.environment, oneDNNLoads: loaded)
    }

    static func choice(requested: ConvolutionEngine?, environment: [String: String],
                       oneDNNLoads: Bool) throws -> (engine: ConvolutionEngine, required: Bool) {
        if let requested { return (requested, true) }
        let value = environment["CREMA_CONV_ENGINE"]?.lowercased() ?? ""
        switch value {
        case "", "auto":
            return (oneDNNLoads ? .onednn : .im2col, false)
        default:
            guard let engine = ConvolutionEngine(rawValue: value) else {
                throw OneDNNError("CREMA_CONV_ENGINE is '\(value)'; use im2col, onednn or auto")
            }
            return (engine, true)
        }
    }

    static func precision(requested: OneDNNPrecision?, environment: [String: String]) throws -> OneDNNPrecision {
        if let requested { return requested }
        let value = environment["CREMA_PRECISION"]?.lowercased() ?? ""
        if value.isEmpty { return .f32 }
        guard let p = OneDNNPrecision(rawValue: value) else {
            throw OneDNNError("CREMA_PRECISION is '\(value)'; use f32 or bf16")
        }
        return p
    }

    /// The Convolution kernel for `spec` on the selected engine.
    static func makeLayer(spec: LayerSpec, params: ConvolutionParams) throws -> Layer {
        let engine: ConvolutionEngine, required: Bool, precision: OneDNNPrecision
        do {
            (engine, required) = try choice()
            precision = try selectedPrecision()
        } catch {
            throw LayerError(spec, "\(error)")
        }
        return try makeLayer(spec: spec, params: params, engine: engine, required: required, precision: precision,
                             library: OneDNNLibrary.loaded)
    }

    static func makeLayer(spec: LayerSpec, params: ConvolutionParams, engine: ConvolutionEngine, required: Bool,
                          precision: OneDNNPrecision, library: Result<OneDNNLibrary, OneDNNError>) throws -> Layer {
        switch engine {
        case .im2col:
            if precision == .bf16 {
                throw LayerError(spec, "bf16 convolutions need the oneDNN engine, but the im2col engine is selected; unset CREMA_CONV_ENGINE or set CREMA_PRECISION=f32")
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

import Foundation
import NetDSL

/// A graph's learned blobs as a `.caffemodel`, one entry per layer in order, as Caffe's
/// Net::ToProto writes them (layers without parameters are listed with no blobs).
public enum Weights {
    public static func write(_ graph: Graph, to url: URL) throws {
        let layers = graph.layers.filter { $0.spec.kind != .split }.map { layer in
            CaffeModelLayer(name: layer.spec.name, type: layer.spec.kind.typeName,
                            blobs: layer.parameters.map(CaffeBlob.init))
        }
        try CaffeModel.write(netName: graph.name, layers: layers, to: url)
    }

    /// What `load` did, layer by layer, for the user to read.
    public struct LoadReport: Sendable {
        /// Layers whose blobs came from the file.
        public var loaded: [String] = []
        /// Layers in the file that the net does not have (or that have no parameters here).
        public var skipped: [String] = []
        /// Layers with parameters that the file does not have: they keep their fillers' values.
        public var initialised: [String] = []
    }

    /// Copies blobs into the graph's layers by layer name, as Caffe's CopyTrainedLayersFrom.
    /// A blob whose shape does not fit is an error naming the layer; with `strict`, so is a
    /// learnable layer missing from the file (resuming needs every one).
    @discardableResult
    public static func load(_ url: URL, into graph: Graph, strict: Bool = false) throws -> LoadReport {
        let model = try CaffeModel.read(from: url)
        // Also when a later blob fails: earlier layers already have the file's values.
        defer { graph.parametersChanged() }
        var report = LoadReport()
        let byName = Dictionary(model.layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var used: Set<String> = []
        for layer in graph.layers where !layer.parameters.isEmpty {
            let name = layer.spec.name
            guard let stored = byName[name], !stored.blobs.isEmpty else {
                if strict {
                    throw ModelFileError(path: url.path, .shapeMismatch,
                                         "has no weights for layer '\(name)'; it was written by a different net, so it cannot resume this recipe")
                }
                report.initialised.append(name)
                continue
            }
            guard stored.blobs.count == layer.parameters.count else {
                throw ModelFileError(path: url.path, .shapeMismatch,
                                     "layer '\(name)' has \(stored.blobs.count) blobs in the file but \(layer.parameters.count) in the net (bias on in one and off in the other?)")
            }
            for (i, blob) in stored.blobs.enumerated() {
                try blob.load(into: layer.parameters[i], layer: name, index: i, file: url)
            }
            used.insert(name)
            report.loaded.append(name)
        }
        report.skipped = model.layers.filter { !$0.blobs.isEmpty && !used.contains($0.name) }.map(\.name)
        return report
    }
}

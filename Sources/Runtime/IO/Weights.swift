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
}

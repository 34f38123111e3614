import Foundation
import NetDSL
@testable import Runtime

/// Temporary folders and small databases for the data tests.
enum DataFixtures {
    /// A fresh empty folder under the system's temporary directory; remove it with `cleanUp`.
    static func folder(_ label: String = #function) throws -> URL {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("crema-data-\(safe)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func cleanUp(_ url: URL) { try? FileManager.default.removeItem(at: url) }

    /// Pixel `p` of record `r`: distinct per record and position, within a byte.
    static func pixel(record r: Int, position p: Int) -> UInt8 { UInt8((r * 31 + p * 7) % 256) }

    /// Writes `count` Datums of `shape` (C, H, W) keyed `%08d_<r>`, labelled `r % labels`.
    @discardableResult
    static func database(at url: URL, count: Int, shape: [Int] = [1, 4, 4], labels: Int = 3,
                         override: [Int: Caffe_Datum] = [:]) throws -> URL {
        let writer = try LMDBWriter(path: url.path, transactionSize: 7)
        let n = shape.reduce(1, *)
        for r in 0..<count {
            let datum = override[r] ?? Caffe_Datum(channels: shape[0], height: shape[1], width: shape[2],
                                                   bytes: (0..<n).map { pixel(record: r, position: $0) },
                                                   label: r % labels)
            try writer.put(key: Caffe_Datum.key(index: r, name: "\(r)"), value: try datum.serializedData())
        }
        try writer.close()
        return url
    }

    static func dataSpec(_ source: String, batch: Int, transform: TransformParams = TransformParams()) -> (LayerSpec, DataParams) {
        var params = DataParams(source: source, batchSize: batch)
        params.transform = transform
        return (LayerSpec(name: "data", kind: .data(params), tops: ["data", "label"]), params)
    }

    /// A set-up data layer and its two outputs.
    static func dataLayer(_ source: String, batch: Int, transform: TransformParams = TransformParams(),
                          phase: Phase = .train, seed: UInt64 = 7) throws -> (DataLayer, [Tensor]) {
        let (spec, params) = dataSpec(source, batch: batch, transform: transform)
        let layer = try DataLayer(spec: spec, params: params, phase: phase, seed: seed)
        let tops = [Tensor(), Tensor()]
        try layer.setUp(bottoms: [], tops: tops, store: ParameterStore())
        try layer.reshape(bottoms: [], tops: tops)
        return (layer, tops)
    }

    /// The next `count` batches as (data, labels).
    static func batches(_ layer: DataLayer, _ tops: [Tensor], _ count: Int) throws -> [([Float], [Float])] {
        var out: [([Float], [Float])] = []
        for _ in 0..<count {
            try layer.forward(bottoms: [], tops: tops)
            out.append((tops[0].values, tops[1].values))
        }
        return out
    }
}

/// Caffe's Data layer: batches of Datum records from an LMDB; outputs `data` and `label`.
public struct Data: NetLayer {
    public var base: LayerSpec
    public var params: DataParams
    public var kind: LayerKind { .data(params) }

    public init(_ name: String = "", lmdb source: String, batch: Int,
                fileID: String = #fileID, line: Int = #line) {
        params = DataParams(source: source, batchSize: batch)
        base = baseSpec(name, .data(params), fileID, line)
        base.tops = ["data", "label"]
    }

    /// Random `size`x`size` crops in TRAIN, the centre crop in TEST.
    public func crop(_ size: Int) -> Self { with { $0.params.transform.cropSize = size } }
    /// Random horizontal flips (TRAIN only, as in Caffe).
    public func mirror(_ on: Bool = true) -> Self { with { $0.params.transform.mirror = on } }
    /// Subtract a mean image stored as a BlobProto (`.binaryproto`).
    public func mean(file: String) -> Self { with { $0.params.transform.meanFile = file } }
    /// Subtract one mean per channel (BGR order for colour images, as Caffe stores them).
    public func mean(values: Float...) -> Self { with { $0.params.transform.meanValue = values } }
    /// Multiply pixels after mean subtraction (LeNet's 1/256 is 0.00390625).
    public func scale(_ factor: Float) -> Self { with { $0.params.transform.scale = factor } }
}

/// Caffe's Input layer: blobs of a fixed shape filled by the caller (deploy nets, timing).
public struct Input: NetLayer {
    public var base: LayerSpec
    public var params: InputParams
    public var kind: LayerKind { .input(params) }

    public init(_ name: String = "", shape: [Int], fileID: String = #fileID, line: Int = #line) {
        params = InputParams(shapes: [shape])
        base = baseSpec(name, .input(params), fileID, line)
        base.tops = ["data"]
    }

    /// Several inputs, e.g. `[[64, 1, 28, 28], [64]]` for `data` and `label`.
    public init(_ name: String = "", shapes: [[Int]], fileID: String = #fileID, line: Int = #line) {
        params = InputParams(shapes: shapes)
        base = baseSpec(name, .input(params), fileID, line)
        base.tops = shapes.count == 2 ? ["data", "label"] : shapes.indices.map { $0 == 0 ? "data" : "data\($0)" }
    }
}

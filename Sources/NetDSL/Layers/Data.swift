/// Caffe's TransformationParameter: applied to Data records, in Caffe's order
/// (crop, mirror, subtract mean, scale).
public struct TransformParams: Codable, Equatable, Sendable {
    public var scale: Float = 1
    public var mirror: Bool = false
    public var cropSize: Int = 0
    public var meanFile: String? = nil
    public var meanValue: [Float] = []
    public init() {}
}

/// What a Data layer does with a record it cannot read (not Caffe's: Caffe stops).
public enum RecordErrorPolicy: String, Codable, Sendable, CaseIterable {
    /// Stop, naming the record's key (Caffe's behaviour).
    case stop
    /// Report the record's key and go on: another record of the same batch takes its place.
    case skip
}

/// Caffe's Data layer: Datum records from an LMDB or LevelDB, `batch_size` at a time.
public struct DataParams: Codable, Equatable, Sendable {
    public var source: String
    public var batchSize: Int
    public var transform = TransformParams()
    /// Stored only when not the default (old records have no such field).
    private var onError: RecordErrorPolicy?
    public init(source: String, batchSize: Int) {
        self.source = source
        self.batchSize = batchSize
    }

    /// `data.<phase>.on_error`: what a record that cannot be read does.
    public var recordErrors: RecordErrorPolicy {
        get { onError ?? .stop }
        set { onError = newValue == .stop ? nil : newValue }
    }
}

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
    /// What a record that cannot be read does: stop the run (the default) or be skipped.
    public func onError(_ policy: RecordErrorPolicy) -> Self { with { $0.params.recordErrors = policy } }
}

extension DataParams: LayerKindDeclaration {
    public static let typeName = "Data"
    public static let settingsKey = "data_param"
    public static let nameStem = "data"
    public static let traits = LayerTraits(inputs: .none, plainName: true, nameMayBeLeftOut: true, deployable: false)
    public var kind: LayerKind { .data(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    /// V1 layers may give these in `data_param`; Caffe's upgrade moves them into the transformation.
    private static let legacyTransformFields = ["scale", "mean_file", "crop_size", "mirror"]

    public static func read(caffe layer: CaffeFields) -> DataParams? {
        guard let df = layer.message("data_param") else {
            layer.problem(nil, "has no data_param; add data_param { source: \"..._lmdb\" batch_size: ... backend: LMDB }")
            return nil
        }
        let source = df.string("source") ?? ""
        let batchSize = df.count("batch_size") ?? 0
        // LMDB or LevelDB: the runtime tells them apart by the database's files, as a prototxt's
        // backend (LevelDB when left out) may not match the folder it names.
        _ = df.choice("backend", ["LEVELDB": "LEVELDB", "LMDB": "LMDB"])
        df.use("prefetch")
        if source.isEmpty { df.problem("source", "data_param needs a source (the LMDB folder)") }
        if batchSize == 0 { df.problem("batch_size", "data_param needs batch_size greater than 0") }
        if (df.count("rand_skip") ?? 0) > 0 { df.note("rand_skip", "ignored: Crema reads the database from its first record") }
        if df.has("prefetch") { df.note("prefetch", "ignored: Crema prefetches batches on its own threads") }
        if df.bool("force_encoded_color") == true {
            df.unsupported("force_encoded_color", "Crema decodes encoded records as stored; remove it")
        }

        var transform = TransformParams()
        let tf = layer.message("transform_param")
        if let tf {
            transform.scale = tf.float("scale") ?? 1
            transform.mirror = tf.bool("mirror") ?? false
            transform.cropSize = tf.count("crop_size") ?? 0
            transform.meanFile = tf.string("mean_file")
            transform.meanValue = tf.floats("mean_value")
            if transform.meanFile != nil && !transform.meanValue.isEmpty {
                tf.problem("mean_value", index: 0, "gives both mean_file and mean_value; Caffe takes one or the other, so keep one")
            }
            for name in ["force_color", "force_gray"] where tf.bool(name) == true {
                tf.unsupported(name, "Crema uses records' channels as stored; remove it")
            }
        }
        let given = legacyTransformFields.filter(df.has)
        if layer.isV1 {
            for name in given {
                if tf?.has(name) == true {
                    df.use(name)
                    df.problem(name, "gives \(name) in both data_param and transform_param; keep the one in transform_param")
                    continue
                }
                switch name {
                case "scale": transform.scale = df.float(name) ?? 1
                case "mean_file": transform.meanFile = df.string(name)
                case "crop_size": transform.cropSize = df.count(name) ?? 0
                default: transform.mirror = df.bool(name) ?? false
                }
            }
        } else {
            for name in given {
                df.unsupported(name, "Caffe ignores data_param.\(name) in a `layer { }`; move it into transform_param")
            }
        }
        var params = DataParams(source: source, batchSize: batchSize)
        params.transform = transform
        return params
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("transform_param") { t in
            t.float("scale", transform.scale, unless: 1)
            t.bool("mirror", transform.mirror, unless: false)
            t.int("crop_size", transform.cropSize, unless: 0)
            if let file = transform.meanFile { t.string("mean_file", file) }
            for v in transform.meanValue { t.float("mean_value", v) }
        }
        w.message("data_param") { d in
            d.string("source", source)
            d.int("batch_size", batchSize)
            d.identifier("backend", "LMDB")
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let f = SwiftLiteral.float
        var code = LayerSource(head: "Data", arguments: name + ["lmdb: \(SwiftLiteral.string(source))", "batch: \(SwiftLiteral.int(batchSize))"],
                               constructorTops: ["data", "label"])
        let t = transform
        if t.cropSize != 0 { code.modifiers.append(".crop(\(SwiftLiteral.int(t.cropSize)))") }
        if t.mirror { code.modifiers.append(".mirror()") }
        if let file = t.meanFile { code.modifiers.append(".mean(file: \(SwiftLiteral.string(file)))") }
        if !t.meanValue.isEmpty { code.modifiers.append(".mean(values: \(t.meanValue.map(f).joined(separator: ", ")))") }
        if t.scale != 1 { code.modifiers.append(".scale(\(f(t.scale)))") }
        if recordErrors != .stop { code.modifiers.append(".onError(.\(recordErrors.rawValue))") }
        return code
    }
}

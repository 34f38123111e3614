import NetDSL

/// Caffe's Data layer: `data_param` (an LMDB, batch size) and `transform_param`. V1 layers may
/// give scale, mean_file, crop_size and mirror in `data_param`, which Caffe's upgrade moves into
/// the transformation; in a current `layer` Caffe ignores them there, so they are problems.
enum DataConversion {
    private static let legacyTransformFields = ["scale", "mean_file", "crop_size", "mirror"]

    static func data(_ m: CaffeLayerMessage, _ f: MessageFields) -> LayerKind? {
        let p = m.dataParam
        guard let df = f.message("data_param") else {
            f.problem(nil, "has no data_param; add data_param { source: \"..._lmdb\" batch_size: ... backend: LMDB }")
            return nil
        }
        df.use("source", "batch_size", "backend", "rand_skip", "prefetch", "force_encoded_color")
        if p.source.isEmpty {
            df.problem(df.node("source"), "data_param needs a source (the LMDB folder)")
        }
        if p.batchSize == 0 {
            df.problem(df.node("batch_size"), "data_param needs batch_size greater than 0")
        }
        if !p.hasBackend {
            df.note(nil, "data_param gives no backend, so Caffe would read LevelDB; Crema reads '\(p.source)' as an LMDB")
        } else if p.backend == .leveldb {
            df.unsupported(df.node("backend"), "Crema reads LMDB only; convert the data (convert_imageset -backend lmdb, or `experiments prepare`) and use backend: LMDB")
        }
        if p.randSkip > 0 {
            df.note(df.node("rand_skip"), "ignored: Crema reads the database from its first record")
        }
        if let node = df.node("prefetch") {
            df.note(node, "ignored: Crema prefetches \(DataLayer.prefetchCount) batches")
        }
        if p.forceEncodedColor {
            df.unsupported(df.node("force_encoded_color"), "Crema decodes encoded records as stored; remove it")
        }

        var transform = TransformParams()
        let tp = m.transformParam
        if let tf = f.message("transform_param") {
            tf.use("scale", "mirror", "crop_size", "mean_file", "force_color", "force_gray")
            transform.scale = tp.scale
            transform.mirror = tp.mirror
            transform.cropSize = Int(tp.cropSize)
            transform.meanFile = tp.hasMeanFile ? tp.meanFile : nil
            transform.meanValue = tp.meanValue
            let meanValues = tf.all("mean_value")
            if tp.hasMeanFile, let node = meanValues.first {
                tf.problem(node, "gives both mean_file and mean_value; Caffe takes one or the other, so keep one")
            }
            for name in ["force_color", "force_gray"] where tf.has(name) {
                if name == "force_color" ? tp.forceColor : tp.forceGray {
                    tf.unsupported(tf.node(name), "Crema uses records' channels as stored; remove it")
                }
            }
        }
        legacyTransform(p, f.node("transform_param") != nil ? tp : nil, df, m.isV1, into: &transform)
        var params = DataParams(source: p.source, batchSize: Int(p.batchSize))
        params.transform = transform
        return .data(params)
    }

    private static func legacyTransform(_ p: Caffe_DataParameter, _ tp: Caffe_TransformationParameter?,
                                        _ df: MessageFields, _ isV1: Bool, into transform: inout TransformParams) {
        let given = legacyTransformFields.filter(df.has)
        guard isV1 else {
            for name in given {
                df.unsupported(df.node(name), "Caffe ignores data_param.\(name) in a `layer { }`; move it into transform_param")
            }
            return
        }
        for name in given {
            df.use(name)
            let alsoInTransform: Bool
            switch name {
            case "scale": alsoInTransform = tp?.hasScale ?? false
            case "mean_file": alsoInTransform = tp?.hasMeanFile ?? false
            case "crop_size": alsoInTransform = tp?.hasCropSize ?? false
            default: alsoInTransform = tp?.hasMirror ?? false
            }
            if alsoInTransform {
                df.problem(df.node(name), "gives \(name) in both data_param and transform_param; keep the one in transform_param")
                continue
            }
            switch name {
            case "scale": transform.scale = p.scale
            case "mean_file": transform.meanFile = p.meanFile
            case "crop_size": transform.cropSize = Int(p.cropSize)
            default: transform.mirror = p.mirror
            }
        }
    }
}

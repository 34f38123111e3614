import NetDSL

/// A Caffe layer type and its `*_param` settings -> `LayerKind`, with Caffe's defaults and
/// checks; settings Crema cannot honour are problems at their lines.
enum LayerKindConversion {
    static let supportedTypes = ["Data", "Input", "Convolution", "InnerProduct", "ReLU", "Pooling", "LRN",
                                 "Dropout", "Softmax", "SoftmaxWithLoss", "Accuracy", "Concat", "Eltwise",
                                 "Flatten", "Sigmoid", "TanH"]

    static func kind(typeName: String, typeNode: PrototxtNode?, message m: CaffeLayerMessage, tops: Int,
                     _ f: MessageFields) -> LayerKind? {
        switch typeName {
        case "Data": return DataConversion.data(m, f)
        case "Input": return input(m, tops: tops, f)
        case "Convolution": return ConvolutionConversion.convolution(m.convolutionParam, f)
        case "InnerProduct": return ConvolutionConversion.innerProduct(m.innerProductParam, f)
        case "Pooling": return ConvolutionConversion.pooling(m.poolingParam, f)
        case "ReLU":
            guard let rf = f.message("relu_param") else { return .relu(ReLUParams()) }
            rf.use("negative_slope")
            engine(m.reluParam.engine == .cudnn, rf)
            return .relu(ReLUParams(negativeSlope: m.reluParam.negativeSlope))
        case "LRN": return lrn(m.lrnParam, f)
        case "Dropout":
            f.message("dropout_param")?.use("dropout_ratio")
            return .dropout(DropoutParams(ratio: m.dropoutParam.dropoutRatio))
        case "Softmax":
            return .softmax(SoftmaxParams(axis: softmaxAxis(m.softmaxParam, f)))
        case "SoftmaxWithLoss": return softmaxWithLoss(m, f)
        case "Accuracy":
            let p = m.accuracyParam
            f.message("accuracy_param")?.use("top_k", "axis", "ignore_label")
            var params = AccuracyParams(topK: Int(p.topK))
            params.axis = Int(p.axis)
            params.ignoreLabel = p.hasIgnoreLabel ? Int(p.ignoreLabel) : nil
            return .accuracy(params)
        case "Concat": return concat(m.concatParam, f)
        case "Eltwise": return eltwise(m.eltwiseParam, f)
        case "Flatten":
            // V1 has no flatten_param; one written there stays unread and is reported.
            guard let p = m.flattenSettings else { return .flatten(FlattenParams()) }
            f.message("flatten_param")?.use("axis", "end_axis")
            return .flatten(FlattenParams(axis: Int(p.axis), endAxis: Int(p.endAxis)))
        case "Sigmoid":
            if let sf = f.message("sigmoid_param") { engine(m.sigmoidParam.engine == .cudnn, sf) }
            return .sigmoid
        case "TanH":
            if let tf = f.message("tanh_param") { engine(m.tanhParam.engine == .cudnn, tf) }
            return .tanh
        default:
            let list = supportedTypes.joined(separator: ", ")
            f.problem(typeNode, "layer type '\(typeName)' is not supported by Crema (it has \(list)); replace or remove the layer")
            f.markAllRead()
            return nil
        }
    }

    /// `engine: CUDNN` picks Caffe's GPU kernels; Crema's CPU kernels compute the same thing.
    static func engine(_ isCUDNN: Bool, _ f: MessageFields) {
        guard let node = f.one("engine") else { return }
        if isCUDNN { f.note(node, "ignored: Crema runs its own CPU kernels") }
    }

    private static func input(_ m: CaffeLayerMessage, tops: Int, _ f: MessageFields) -> LayerKind? {
        guard let p = m.inputSettings, let inf = f.message("input_param") else {
            f.problem(nil, "has no input_param; add input_param { shape { dim: 1 dim: 3 dim: 224 dim: 224 } }")
            return nil
        }
        let shapeFields = inf.messages("shape")
        shapeFields.forEach { _ = $0.all("dim") }
        let shapes = p.shape.map { $0.dim.map { Int(clamping: $0) } }
        guard !shapes.isEmpty else {
            inf.problem(nil, "input_param has no shape; add shape { dim: ... } for each top")
            return nil
        }
        if shapes.count != 1 && shapes.count != tops {
            inf.problem(shapeFields[0].node, "input_param has \(shapes.count) shapes for \(tops) tops; give one shape, or one per top")
        }
        for (shape, sf) in zip(shapes, shapeFields) where shape.isEmpty || shape.contains(where: { $0 <= 0 }) {
            sf.problem(sf.node, "shape \(shape) is not valid; every dim must be positive")
        }
        return .input(InputParams(shapes: shapes))
    }

    private static func lrn(_ p: Caffe_LRNParameter, _ f: MessageFields) -> LayerKind {
        var params = LRNParams()
        guard let lf = f.message("lrn_param") else { return .lrn(params) }
        lf.use("local_size", "alpha", "beta", "k", "norm_region")
        if p.normRegion == .withinChannel {
            lf.unsupported(lf.node("norm_region"), "Crema's LRN normalises across channels only; remove it or use ACROSS_CHANNELS")
        }
        engine(p.engine == .cudnn, lf)
        params.localSize = Int(p.localSize)
        params.alpha = p.alpha
        params.beta = p.beta
        params.k = p.k
        return .lrn(params)
    }

    private static func softmaxAxis(_ p: Caffe_SoftmaxParameter, _ f: MessageFields) -> Int {
        guard let sf = f.message("softmax_param") else { return 1 }
        sf.use("axis")
        engine(p.engine == .cudnn, sf)
        return Int(p.axis)
    }

    private static func softmaxWithLoss(_ m: CaffeLayerMessage, _ f: MessageFields) -> LayerKind {
        var params = SoftmaxWithLossParams()
        params.axis = softmaxAxis(m.softmaxParam, f)
        let p = m.lossParam
        if let lf = f.message("loss_param") {
            lf.use("ignore_label", "normalization", "normalize")
            params.ignoreLabel = p.hasIgnoreLabel ? Int(p.ignoreLabel) : nil
            // Caffe's deprecated `normalize` counts only when `normalization` is not given.
            if p.hasNormalization || !p.hasNormalize {
                switch p.normalization {
                case .full: params.normalization = .full
                case .valid: params.normalization = .valid
                case .batchSize: params.normalization = .batchSize
                case .none: params.normalization = .none
                }
            } else {
                params.normalization = p.normalize ? .valid : .batchSize
            }
        }
        return .softmaxWithLoss(params)
    }

    private static func concat(_ p: Caffe_ConcatParameter, _ f: MessageFields) -> LayerKind? {
        guard let cf = f.message("concat_param") else { return .concat(ConcatParams()) }
        cf.use("axis", "concat_dim")
        if p.hasAxis && p.hasConcatDim {
            cf.problem(cf.node("concat_dim"), "gives both axis and concat_dim; Caffe takes one, so keep axis")
            return nil
        }
        return .concat(ConcatParams(axis: p.hasConcatDim ? Int(p.concatDim) : Int(p.axis)))
    }

    private static func eltwise(_ p: Caffe_EltwiseParameter, _ f: MessageFields) -> LayerKind? {
        guard let ef = f.message("eltwise_param") else { return .eltwise(EltwiseParams()) }
        ef.use("operation", "stable_prod_grad")
        let coeffs = ef.all("coeff")
        let operation: EltwiseOperation
        switch p.operation {
        case .prod: operation = .product
        case .sum: operation = .sum
        case .max: operation = .max
        }
        if !coeffs.isEmpty && operation != .sum {
            ef.problem(coeffs[0], "coefficients apply only to operation: SUM; remove them")
            return nil
        }
        if p.hasStableProdGrad, !p.stableProdGrad {
            ef.note(ef.node("stable_prod_grad"), "ignored: Crema computes the product gradient one way only")
        }
        return .eltwise(EltwiseParams(operation: operation, coeff: p.coeff))
    }
}

import NetDSL

/// One Caffe layer message -> one `LayerSpec` with explicit bottoms and tops as Caffe states
/// them. Problems go to the session; nil when the layer cannot be converted.
enum LayerConversion {
    /// A `layer { type: "Convolution" ... }`.
    static func layer(_ p: Caffe_LayerParameter, _ fields: MessageFields) -> LayerSpec? {
        fields.use("name", "type")
        let f = fields.owned(by: "layer '\(p.name)' (\(p.type.isEmpty ? "no type" : p.type))")
        if let node = f.one("phase") {
            f.unsupported(node, "Caffe sets it itself; use include { phase: TRAIN } or include { phase: TEST }")
        }
        if let node = f.all("blobs").first {
            f.unsupported(node, "a net description carries no weights in Crema; give them with --weights")
        }
        for (value, node) in zip(p.propagateDown, f.all("propagate_down")) where !value {
            f.unsupported(node, "Crema sends gradients to every input that needs one; remove it")
        }
        var params: [ParamSpec] = []
        for (param, pf) in zip(p.param, f.messages("param")) {
            pf.use("name", "lr_mult", "decay_mult", "share_mode")
            if param.shareMode == .permissive {
                pf.unsupported(pf.node("share_mode"), "shared parameters must have equal shapes in Crema; remove it")
            }
            params.append(ParamSpec(name: param.hasName ? param.name : nil, lrMult: param.lrMult, decayMult: param.decayMult))
        }
        return common(typeName: p.type, typeNode: f.node("type"), name: p.name, bottoms: p.bottom, tops: p.top,
                      include: p.include, exclude: p.exclude, lossWeights: p.lossWeight, params: params,
                      isV1: false, f)
    }

    /// A legacy `layers { type: CONVOLUTION blobs_lr: 1 ... }`, upgraded as Caffe's
    /// UpgradeV1LayerParameter does: `blobs_lr`, `weight_decay` and `param` names become the
    /// per-blob lr and decay multipliers and share names.
    static func v1Layer(_ p: Caffe_V1LayerParameter, _ fields: MessageFields) -> LayerSpec? {
        fields.use("name", "type")
        let typeName = CaffeModel.modernTypeName(p.type)
        let f = fields.owned(by: "layer '\(p.name)' (\(p.hasType ? typeName : "no type"))")
        if let node = f.all("blobs").first {
            f.unsupported(node, "a net description carries no weights in Crema; give them with --weights")
        }
        let lrs = f.all("blobs_lr"), decays = f.all("weight_decay"), names = f.all("param")
        for (mode, node) in zip(p.blobShareMode, f.all("blob_share_mode")) where mode == .permissive {
            f.unsupported(node, "shared parameters must have equal shapes in Crema; remove it")
        }
        var params: [ParamSpec] = []
        for i in 0..<max(lrs.count, decays.count, names.count) {
            params.append(ParamSpec(name: i < p.param.count ? p.param[i] : nil,
                                    lrMult: i < p.blobsLr.count ? p.blobsLr[i] : 1,
                                    decayMult: i < p.weightDecay.count ? p.weightDecay[i] : 1))
        }
        return common(typeName: p.hasType ? typeName : "", typeNode: f.node("type"), name: p.name,
                      bottoms: p.bottom, tops: p.top, include: p.include, exclude: p.exclude,
                      lossWeights: p.lossWeight, params: params, isV1: true, f)
    }

    private static func common(typeName: String, typeNode: PrototxtNode?, name: String, bottoms: [String],
                               tops: [String], include: [Caffe_NetStateRule], exclude: [Caffe_NetStateRule],
                               lossWeights: [Float], params: [ParamSpec], isV1: Bool,
                               _ f: MessageFields) -> LayerSpec? {
        let bottomNodes = f.all("bottom"), topNodes = f.all("top")
        guard !typeName.isEmpty else {
            f.problem(nil, "has no type; add one, e.g. type: \"Convolution\"")
            f.markAllRead()
            return nil
        }
        guard let kind = Self.kind(typeName: typeName, typeNode: typeNode, isV1: isV1, tops: tops.count, f) else {
            return nil
        }
        if name.isEmpty { f.problem(nil, "has no name; add one, e.g. name: \"\(typeName.lowercased())1\"") }
        if !kind.isSource && bottoms.isEmpty {
            f.problem(nil, "has no bottom; Caffe's \(typeName) layer reads at least one blob, so name it with bottom: \"...\"")
        }
        if kind.isSource, let node = bottomNodes.first {
            f.problem(node, "a \(typeName) layer reads no blobs; remove its bottom")
        }
        // Caffe names a loss layer's missing top itself; every other layer must name its tops.
        if kind.defaultLossWeight == 0 && kind.traits.producesOutput && topNodes.isEmpty {
            f.problem(nil, "has no top; name the blob it writes with top: \"...\"")
        }
        let phase = phaseRule(include: include, exclude: exclude, f)
        var lossWeight: Float?
        let weightNodes = f.all("loss_weight")
        for (i, (weight, node)) in zip(lossWeights, weightNodes).enumerated() {
            if i == 0 {
                lossWeight = weight
            } else if weight != 0 {
                f.unsupported(node, "Crema weighs only a layer's first top in the loss")
            }
        }
        return LayerSpec(name: name, kind: kind, bottoms: bottoms, tops: tops, phase: phase ?? nil,
                         params: params, lossWeight: lossWeight,
                         location: SourceLocation(fileID: f.session.file, line: f.line))
    }

    /// The kind whose declaration has Caffe's `typeName`, its settings read by the declaration.
    private static func kind(typeName: String, typeNode: PrototxtNode?, isV1: Bool, tops: Int,
                             _ f: MessageFields) -> LayerKind? {
        guard let declaration = LayerKind.declaration(typeName: typeName) else {
            let list = LayerKind.declarations.map { $0.typeName }.filter { $0 != "Split" }.joined(separator: ", ")
            f.problem(typeNode, "layer type '\(typeName)' is not supported by Crema (it has \(list)); replace or remove the layer")
            f.markAllRead()
            return nil
        }
        guard let settings = declaration.read(caffe: PrototxtFields(fields: f, isV1: isV1, topCount: tops)) else {
            // The declaration has said what is wrong; the fields it did not get to would only
            // repeat that as "not supported" (one problem, one message).
            f.markAllRead()
            return nil
        }
        return settings.kind
    }

    /// Caffe's include/exclude rules as Crema's one phase per layer (nil: both). Rules that
    /// name stages or levels have no counterpart.
    private static func phaseRule(include: [Caffe_NetStateRule], exclude: [Caffe_NetStateRule],
                                  _ f: MessageFields) -> Phase?? {
        let includes = f.messages("include"), excludes = f.messages("exclude")
        if !includes.isEmpty && !excludes.isEmpty {
            f.problem(excludes[0].node, "has both include and exclude rules; Caffe takes one kind only, so keep include { phase: ... }")
            return nil
        }
        var phases: Set<Phase> = []
        for (rule, rf) in zip(include + exclude, includes + excludes) {
            rf.use("phase", "min_level", "max_level")
            let staged = rf.all("stage") + rf.all("not_stage")
            for node in [rf.node("min_level"), rf.node("max_level")].compactMap({ $0 }) + staged {
                rf.unsupported(node, "Crema has no net levels or stages; keep only phase: TRAIN or phase: TEST")
            }
            if rule.hasPhase {
                phases.insert(rule.phase == .train ? .train : .test)
            } else {
                phases.formUnion(Phase.allCases)
            }
        }
        if !excludes.isEmpty { phases = Set(Phase.allCases).subtracting(phases) }
        if includes.isEmpty && excludes.isEmpty { return .some(nil) }
        if phases.count == 2 { return .some(nil) }
        guard let only = phases.first else {
            f.problem(nil, "its rules leave it out of both TRAIN and TEST; remove the layer")
            return nil
        }
        return .some(only)
    }
}

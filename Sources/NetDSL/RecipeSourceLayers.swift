// One layer as DSL source: the constructor with labelled arguments, then modifiers for
// whatever differs from the constructor's defaults.

extension RecipeSource {
    /// `layer` (already in `chained` form) as DSL source; `showName` false leaves the name to `Net`.
    static func source(of layer: LayerSpec, showName: Bool) -> LayerSource {
        let named: [String] = showName ? [SwiftLiteral.string(layer.name)] : []
        var code = layer.kind.settings.source(layer, name: named)
        if code.rawSpec { return code }
        if !code.bottomsInConstructor && !layer.bottoms.isEmpty {
            code.modifiers.append(".inputs(\(SwiftLiteral.strings(layer.bottoms)))")
        }
        if layer.tops != code.constructorTops {
            code.modifiers.append(".outputs(\(SwiftLiteral.strings(layer.tops)))")
        }
        code.modifiers += paramModifiers(layer.params)
        if let weight = layer.lossWeight { code.modifiers.append(".lossWeight(\(SwiftLiteral.float(weight)))") }
        return code
    }

    static func fillers(_ weights: Filler, _ bias: Filler) -> [String] {
        (weights == .constant(0) ? [] : [".weights(\(filler(weights)))"])
            + (bias == .constant(0) ? [] : [".bias(\(filler(bias)))"])
    }

    static func filler(_ filler: Filler) -> String {
        let f = SwiftLiteral.float
        switch filler {
        case .constant(let v): return ".constant(\(f(v)))"
        case .gaussian(let mean, let std): return mean == 0 ? ".gaussian(std: \(f(std)))" : ".gaussian(mean: \(f(mean)), std: \(f(std)))"
        case .uniform(let lo, let hi): return ".uniform(min: \(f(lo)), max: \(f(hi)))"
        case .xavier(let norm): return norm == .fanIn ? ".xavier" : ".xavier(\(varianceNorm(norm)))"
        case .msra(let norm): return norm == .fanIn ? ".msra" : ".msra(\(varianceNorm(norm)))"
        case .sparseGaussian(let mean, let std, let n):
            return ".sparseGaussian(" + (mean == 0 ? "" : "mean: \(f(mean)), ") + "std: \(f(std)), nonZero: \(SwiftLiteral.int(n)))"
        case .bilinear: return ".bilinear"
        case .positiveUnitball: return ".positiveUnitball"
        }
    }

    static func varianceNorm(_ norm: Filler.VarianceNorm) -> String {
        switch norm {
        case .fanIn: ".fanIn"
        case .fanOut: ".fanOut"
        case .average: ".average"
        }
    }



    /// `.lrMult(...)` for the usual weights-and-bias pair, `.sharing(...)` for names, else
    /// `.params(...)` spelled out.
    static func paramModifiers(_ params: [ParamSpec]) -> [String] {
        guard !params.isEmpty else { return [] }
        let names = params.compactMap(\.name)
        let allNamed = names.count == params.count
        let defaultMultipliers = params.allSatisfy { $0.lrMult == 1 && $0.decayMult == 1 }
        if allNamed && defaultMultipliers {
            return [".sharing(\(SwiftLiteral.strings(names)))"]
        }
        if params.count == 2 && (allNamed || names.isEmpty) {
            let f = SwiftLiteral.float
            var args = [f(params[0].lrMult)]
            if params[0].decayMult != 1 { args.append("decay: \(f(params[0].decayMult))") }
            if params[1].lrMult != 2 { args.append("bias: \(f(params[1].lrMult))") }
            if params[1].decayMult != 0 { args.append("biasDecay: \(f(params[1].decayMult))") }
            return [".lrMult(\(args.joined(separator: ", ")))"] + (allNamed ? [".sharing(\(SwiftLiteral.strings(names)))"] : [])
        }
        return [".params(\(params.map(paramSpec).joined(separator: ", ")))"]
    }

    static func paramSpec(_ p: ParamSpec) -> String {
        var args: [String] = []
        if let name = p.name { args.append("name: \(SwiftLiteral.string(name))") }
        if p.lrMult != 1 { args.append("lrMult: \(SwiftLiteral.float(p.lrMult))") }
        if p.decayMult != 1 { args.append("decayMult: \(SwiftLiteral.float(p.decayMult))") }
        return "ParamSpec(\(args.joined(separator: ", ")))"
    }
}

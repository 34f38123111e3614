// What a written recipe may leave unsaid: inputs and outputs that implicit chaining supplies,
// and layer names that `Net` would give anyway.

extension RecipeSource {
    /// `net` as a recipe writes it: every layer named as `Net` names it, and every input or
    /// output that implicit chaining would supply left out. It is the same net (its
    /// `resolved(for:)` is unchanged in both phases), and it is exactly the `Net(...).spec` of
    /// the source `RecipeSource` writes for `net`.
    public static func chained(_ net: NetSpec) -> NetSpec {
        var layers = Net(net.name) { net.layers }.spec.layers
        var previous: [Phase: String] = [:]
        for i in layers.indices {
            let layer = layers[i]
            let phases = layer.phase.map { [$0] } ?? Phase.allCases
            let implied = impliedBottoms(of: layer, phases: phases, previous: previous)
            if !layer.bottoms.isEmpty, let implied, implied == layer.bottoms { layers[i].bottoms = [] }
            let bottoms = layer.bottoms.isEmpty ? (implied ?? []) : layer.bottoms
            // The tops resolution would give a layer whose tops are left empty.
            let fallbackTops = !layer.kind.traits.producesOutput ? []
                : layer.kind.runsInPlace ? Array(bottoms.prefix(1)) : [layer.name]
            if !layer.tops.isEmpty, defaultTops(of: layer).isEmpty, layer.tops == fallbackTops {
                layers[i].tops = []
            }
            let tops = layer.tops.isEmpty ? fallbackTops : layer.tops
            if !layer.kind.endsChain, let first = tops.first {
                for phase in phases { previous[phase] = first }
            }
        }
        return NetSpec(name: net.name, layers: layers)
    }

    /// The inputs resolution would give `layer` if it named none, when every phase it lives in
    /// agrees on them; nil when it would have none (sources, joins, nothing before it).
    static func impliedBottoms(of layer: LayerSpec, phases: [Phase], previous: [Phase: String]) -> [String]? {
        guard !layer.kind.isSource, !layer.kind.joinsBranches else { return nil }
        let candidates = phases.map { phase in
            previous[phase].map { layer.kind.takesLabel ? [$0, "label"] : [$0] }
        }
        guard let first = candidates.first, let bottoms = first,
              candidates.allSatisfy({ $0 == bottoms }) else { return nil }
        return bottoms
    }

    /// The outputs the DSL's constructor gives a layer before any `.outputs(...)`.
    static func defaultTops(of layer: LayerSpec) -> [String] {
        layer.kind.settings.source(layer, name: []).constructorTops
    }

    /// Layers whose names may be left to `Net` (sources and activations, as people write them),
    /// where `Net` would give each the very name it has. Layers with parameters always keep
    /// their names in the text, so it is plain which weights a .caffemodel fills.
    static func namesLeftOut(of net: NetSpec) -> Set<Int> {
        var blank = Set(net.layers.indices.filter { i in
            net.layers[i].kind.traits.nameMayBeLeftOut && !net.layers[i].name.isEmpty
        })
        // Leaving one name out can change the number `Net` gives another; drop the ones that
        // come out differently until all that remain come out right.
        while !blank.isEmpty {
            var layers = net.layers
            for i in blank { layers[i].name = "" }
            let named = Net(net.name) { layers }.spec.layers
            let wrong = blank.filter { named[$0].name != net.layers[$0].name }
            if wrong.isEmpty { break }
            blank.subtract(wrong)
        }
        return blank
    }
}

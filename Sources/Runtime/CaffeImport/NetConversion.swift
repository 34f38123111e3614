import NetDSL

/// A Caffe NetParameter -> NetSpec: layers in file order (current `layer` or V1 `layers`),
/// with the legacy net-level `input` blobs as an Input layer first, as Caffe's upgrade does.
enum NetConversion {
    /// The net, and the owner label its fields are reported under.
    static func convert(_ p: Caffe_NetParameter, _ fields: MessageFields, defaultName: String) -> NetSpec {
        fields.use("name")
        let name = p.name.isEmpty ? defaultName : p.name
        let f = fields.owned(by: "net '\(name)'")
        var layers: [LayerSpec] = []
        if let input = legacyInput(p, f) { layers.append(input) }

        let current = f.messages("layer"), legacy = f.messages("layers")
        if let first = current.first, let old = legacy.first {
            f.problem(old.node, "mixes V1 `layers { }` (first on line \(old.line)) with `layer { }` (first on line \(first.line)); Caffe reads one form only, so write every layer in one form")
        }
        for (layer, lf) in zip(p.layer, current) {
            if let spec = LayerConversion.layer(layer, lf) { layers.append(spec) }
        }
        for (layer, lf) in zip(p.layers, legacy) {
            if let spec = LayerConversion.v1Layer(layer, lf) { layers.append(spec) }
        }

        f.use("force_backward", "debug_info")
        if p.forceBackward { f.note(f.node("force_backward"), "ignored: Crema computes the gradients training needs") }
        if p.debugInfo { f.note(f.node("debug_info"), "ignored") }
        if let sf = f.message("state") {
            sf.use("phase", "level")
            if let node = sf.node("level"), p.state.level != 0 {
                sf.unsupported(node, "Crema has no net levels; remove it")
            }
            for node in sf.all("stage") { sf.unsupported(node, "Crema has no net stages; remove it") }
            sf.note(sf.node("phase"), "ignored: Crema compiles each phase as it needs it")
        }
        return NetSpec(name: name, layers: layers)
    }

    /// Caffe's deprecated `input: "data" input_dim: ...` (or `input_shape { }`) before the layers.
    private static func legacyInput(_ p: Caffe_NetParameter, _ f: MessageFields) -> LayerSpec? {
        let inputs = f.all("input"), dims = f.all("input_dim"), shapeFields = f.messages("input_shape")
        shapeFields.forEach { _ = $0.all("dim") }
        guard let first = inputs.first else {
            if let stray = dims.first ?? shapeFields.first?.node {
                f.problem(stray, "gives input dimensions without input: \"name\"; add the input blob's name")
            }
            return nil
        }
        var shapes: [[Int]] = []
        if !p.inputShape.isEmpty {
            if let node = dims.first {
                f.problem(node, "gives both input_shape and input_dim; keep input_shape")
                return nil
            }
            shapes = p.inputShape.map { $0.dim.map { Int(clamping: $0) } }
        } else {
            guard p.inputDim.count == 4 * p.input.count else {
                f.problem(dims.first ?? first, "gives \(p.inputDim.count) input_dim values for \(p.input.count) inputs; give 4 (num, channels, height, width) per input, or use input_shape { dim: ... }")
                return nil
            }
            shapes = stride(from: 0, to: p.inputDim.count, by: 4).map { i in p.inputDim[i..<i + 4].map { Int($0) } }
        }
        guard shapes.count == p.input.count else {
            f.problem(shapeFields.first?.node ?? first, "gives \(shapes.count) input_shape for \(p.input.count) inputs; give one per input")
            return nil
        }
        return LayerSpec(name: "input", kind: .input(InputParams(shapes: shapes)), tops: p.input,
                         location: SourceLocation(fileID: f.session.file, line: first.line))
    }

    /// One net from separate TRAIN and TEST nets (a solver's `train_net` and `test_net`): each
    /// keeps the layers of its phase; layers equal in both become shared (no phase), the rest
    /// are tagged with their phase, in an order that keeps both nets' orders.
    static func merge(train: NetSpec, test: NetSpec) -> NetSpec {
        let a = train.layers(in: .train), b = test.layers(in: .test)
        func same(_ x: LayerSpec, _ y: LayerSpec) -> Bool {
            var x = x, y = y
            x.phase = nil
            y.phase = nil
            return x == y
        }
        // Longest common subsequence of the two layer lists.
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = same(a[i], b[j]) ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var layers: [LayerSpec] = []
        func tagged(_ layer: LayerSpec, _ phase: Phase?) -> LayerSpec {
            var layer = layer
            layer.phase = phase
            return layer
        }
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, same(a[i], b[j]) {
                layers.append(tagged(a[i], nil))
                i += 1
                j += 1
            } else if j == b.count || (i < a.count && table[i + 1][j] >= table[i][j + 1]) {
                layers.append(tagged(a[i], .train))
                i += 1
            } else {
                layers.append(tagged(b[j], .test))
                j += 1
            }
        }
        return NetSpec(name: train.name, layers: layers)
    }
}

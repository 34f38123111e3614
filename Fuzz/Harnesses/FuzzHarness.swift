import Foundation
import NetDSL
import Runtime

/// What one fuzz input did: it was read, or it was refused with a typed error (whose words are
/// kept, so a refusal that says nothing is caught too).
public enum FuzzOutcome: Equatable, Sendable {
    case accepted
    case refused(String)
}

/// The code paths each fuzz target drives, one per parser or decoder that reads what a user or
/// a file controls. The libFuzzer executables (Fuzz/Package.swift) and the regression test that
/// replays the corpora and every kept crasher call these same functions, so a crasher found
/// once stays fixed.
public enum FuzzHarness {
    /// Every target, by the name its executable, corpus and crasher folders carry.
    public static let targets: [String: @Sendable (Foundation.Data) -> FuzzOutcome] = [
        "datum": datum, "blobproto": blobProto, "netparameter": netParameter,
        "solverstate": solverState, "prototxt": prototxt, "jpeg": jpeg, "png": png,
        "listfile": listFile, "overrides": overrides, "recipejson": recipeJSON,
    ]

    /// A Datum record as the Data layer reads one: parsed, decoded when encoded, checked, and
    /// transformed with a crop, mirror and mean values.
    @Sendable public static func datum(_ bytes: Foundation.Data) -> FuzzOutcome {
        outcome {
            let datum = try Caffe_Datum(record: bytes).decoded()
            try datum.checkPixels()
            var params = TransformParams()
            params.mirror = true
            params.scale = 0.5
            params.cropSize = min(Int(datum.height), Int(datum.width), 3)
            params.meanValue = [Float](repeating: 1, count: Int(datum.channels) == 3 ? 3 : 1)
            for phase in [Phase.train, .test] {
                let transformer = try DataTransformer(params: params, phase: phase)
                let shape = try transformer.outputShape(for: datum.shape)
                var out = [Float](repeating: 0, count: shape.reduce(1, *))
                var random = RandomGenerator(seed: 7)
                try out.withUnsafeMutableBufferPointer { buffer in
                    guard let base = buffer.baseAddress else { return }
                    try transformer.transform(datum, into: base, random: &random)
                }
            }
        }
    }

    /// A mean file (`.binaryproto`).
    @Sendable public static func blobProto(_ bytes: Foundation.Data) -> FuzzOutcome {
        outcome { _ = try MeanFile.decode(bytes, path: "fuzz.binaryproto") }
    }

    /// A `.caffemodel` (binary NetParameter, modern or V1 layers).
    @Sendable public static func netParameter(_ bytes: Foundation.Data) -> FuzzOutcome {
        outcome { _ = try CaffeModel.decode(bytes, source: URL(fileURLWithPath: "fuzz.caffemodel")) }
    }

    /// A `.solverstate`, and Crema's resume state inside it when there is one.
    @Sendable public static func solverState(_ bytes: Foundation.Data) -> FuzzOutcome {
        outcome {
            let state = try SolverStateFile.decode(bytes, source: URL(fileURLWithPath: "fuzz.solverstate"))
            if !state.extra.isEmpty { _ = try ResumeState.decode(state.extra) }
        }
    }

    /// A prototxt, imported as a net and as a solver (whose net paths lead nowhere here).
    @Sendable public static func prototxt(_ bytes: Foundation.Data) -> FuzzOutcome {
        let text = String(decoding: bytes, as: UTF8.self)
        let net = outcome { _ = try CaffeImport.parse(netText: text, file: "/nonexistent/fuzz.prototxt") }
        let solver = outcome { _ = try CaffeImport.parse(solverText: text, file: "/nonexistent/fuzz_solver.prototxt") }
        return net == .accepted ? net : solver
    }

    /// A JPEG through our libjpeg wrapper, in colour and grey, then resized as `prepare` does.
    @Sendable public static func jpeg(_ bytes: Foundation.Data) -> FuzzOutcome {
        image { try JPEG.decode(bytes, source: "fuzz.jpg", grey: $0) }
    }

    /// A PNG through our libpng wrapper, in colour and grey, then resized as `prepare` does.
    @Sendable public static func png(_ bytes: Foundation.Data) -> FuzzOutcome {
        image { try PNG.decode(bytes, source: "fuzz.png", grey: $0) }
    }

    /// A `prepare imageset` list file.
    @Sendable public static func listFile(_ bytes: Foundation.Data) -> FuzzOutcome {
        let (entries, problems) = ImagesetConverter.parseList(String(decoding: bytes, as: UTF8.self))
        if let first = problems.first, entries.isEmpty { return .refused(first.message) }
        return .accepted
    }

    /// `--set` assignments, one per line, applied in turn to a LeNet-shaped net and solver, and
    /// each read as a sweep axis too.
    @Sendable public static func overrides(_ bytes: Foundation.Data) -> FuzzOutcome {
        var net = baseNet
        var solver = SolverPlan(baseLR: 0.01, iterations: 100)
        var last = FuzzOutcome.accepted
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).prefix(64) {
            let assignment = String(line)
            last = outcome { try Overrides.apply(assignment, net: &net, solver: &solver) }
            _ = outcome { _ = try SweepAxis.parse(assignment) }
        }
        return last
    }

    /// A run folder's recipe.json, as `export`, `test` and `resume` read it.
    @Sendable public static func recipeJSON(_ bytes: Foundation.Data) -> FuzzOutcome {
        outcome {
            let record = try SpecJSON.decoder().decode(RunRecord.self, from: bytes)
            for phase in Phase.allCases {
                _ = record.net.layers(in: phase)
                _ = record.net.dataLayerIndex(in: phase)
            }
            _ = try SpecJSON.encoder().encode(record)
        }
    }

    /// A small net with a Data layer in each phase, the shape `--set data.*` keys act on.
    static let baseNet: NetSpec = Net("Fuzz") {
        Train { NetDSL.Data(lmdb: "train_lmdb", batch: 64).scale(0.00390625) }
        Test { NetDSL.Data(lmdb: "test_lmdb", batch: 100).scale(0.00390625) }
        Convolution("conv1", outputs: 4, kernel: 5)
        InnerProduct("ip1", outputs: 10)
        SoftmaxWithLoss("loss")
    }.spec

    private static func image(_ decode: (Bool) throws -> Image) -> FuzzOutcome {
        outcome {
            for grey in [false, true] {
                let image = try decode(grey)
                _ = image.caffeBytes()
                _ = try image.resized(width: 7, height: 5)
            }
        }
    }

    private static func outcome(_ body: () throws -> Void) -> FuzzOutcome {
        do {
            try body()
            return .accepted
        } catch {
            return .refused("\(error)")
        }
    }
}

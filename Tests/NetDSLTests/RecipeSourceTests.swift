import Testing
@testable import NetDSL
@testable import Recipes

/// The recipe writer without a compiler: the text's structure, its literals, and the chained
/// form it promises. Tests/ImportedRecipesTests compiles written recipes and checks the rest.
@Suite struct RecipeSourceTests {
    /// `net` with every input and output spelled out, as Caffe's prototxt (and the importer) state them.
    static func explicit(_ net: NetSpec) throws -> NetSpec {
        var out = Net(net.name) { net.layers }.spec
        var resolved: [String: LayerSpec] = [:]
        for phase in Phase.allCases {
            for layer in try out.resolved(for: phase).layers { resolved[layer.name] = layer }
        }
        for i in out.layers.indices {
            let layer = try #require(resolved[out.layers[i].name])
            out.layers[i].bottoms = layer.bottoms
            out.layers[i].tops = layer.tops
        }
        return out
    }

    @Test func aRecipeSpecIsAlreadyChained() {
        #expect(RecipeSource.chained(LeNet().net.spec) == LeNet().net.spec)
        #expect(RecipeSource.chained(CaffeNet().net.spec) == CaffeNet().net.spec)
    }

    @Test func spelledOutInputsAndOutputsChainBackToTheRecipe() throws {
        for spec in [LeNet().net.spec, CaffeNet().net.spec] {
            let full = try Self.explicit(spec)
            #expect(full != spec)
            #expect(full.layers.allSatisfy { !$0.tops.isEmpty })
            #expect(RecipeSource.chained(full) == spec)
            for phase in Phase.allCases {
                #expect(try RecipeSource.chained(full).resolved(for: phase) == full.resolved(for: phase))
            }
        }
    }

    @Test func inputsStayNamedWhereChainingWouldReadAnotherBlob() throws {
        let net = NetSpec(name: "branch", layers: [
            LayerSpec(name: "data", kind: .input(InputParams(shapes: [[1, 4]])), tops: ["data"]),
            LayerSpec(name: "a", kind: .innerProduct(InnerProductParams(numOutput: 2)), bottoms: ["data"], tops: ["a"]),
            LayerSpec(name: "b", kind: .innerProduct(InnerProductParams(numOutput: 2)), bottoms: ["data"], tops: ["b"]),
            LayerSpec(name: "relu", kind: .relu(ReLUParams()), bottoms: ["b"], tops: ["b"]),
            LayerSpec(name: "c", kind: .eltwise(EltwiseParams()), bottoms: ["a", "b"], tops: ["c"]),
            LayerSpec(name: "s", kind: .sigmoid, bottoms: ["c"], tops: ["out"]),
        ])
        let chained = RecipeSource.chained(net).layers
        #expect(chained[1].bottoms.isEmpty && chained[1].tops.isEmpty)
        #expect(chained[2].bottoms == ["data"], "b reads data, not a")
        #expect(chained[3].bottoms.isEmpty && chained[3].tops.isEmpty, "in place on the previous output")
        #expect(chained[4].bottoms == ["a", "b"], "joins keep their inputs")
        #expect(chained[5].tops == ["out"])
        #expect(chained[0].tops == ["data"], "the Input constructor states its outputs")

        let text = try RecipeSource(typeName: "Branch", summary: "", net: net, solver: nil).text()
        #expect(text.contains(#"InnerProduct("b", outputs: 2).inputs("data")"#))
        #expect(text.contains(#"Eltwise("c", .sum, "a", "b")"#))
        #expect(text.contains(#"Sigmoid("s").outputs("out")"#))
        #expect(text.contains("\n            ReLU(\"relu\")\n"))
    }

    @Test func aPhaseOnlyPreviousLayerKeepsInputsNamedWhenThePhasesDisagree() {
        let net = NetSpec(name: "p", layers: [
            LayerSpec(name: "data", kind: .input(InputParams(shapes: [[1, 4]])), tops: ["data"]),
            LayerSpec(name: "t", kind: .sigmoid, bottoms: ["data"], tops: ["t"], phase: .train),
            LayerSpec(name: "u", kind: .tanh, bottoms: ["data"], tops: ["u"]),
        ])
        let chained = RecipeSource.chained(net).layers
        #expect(chained[1].bottoms.isEmpty)
        #expect(chained[2].bottoms == ["data"], "in TRAIN the previous output is t, in TEST data")
    }

    @Test func writesTheRecipeAsAPersonWould() throws {
        let text = try RecipeSource(typeName: "MyCaffeNet", summary: "CaffeNet again", header: ["from a test"],
                                    net: CaffeNet().net.spec, solver: CaffeNet().solver).text()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "// from a test")
        #expect(lines.contains("import NetDSL"))
        #expect(lines.contains("struct MyCaffeNet: Recipe {"))
        #expect(lines.contains(#"    static let summary = "CaffeNet again""#))
        #expect(lines.contains(#"        Net("CaffeNet") {"#))
        #expect(lines.contains("            Train {"))
        #expect(lines.contains(#"                Data(lmdb: "data/ilsvrc12/train_lmdb", batch: 256)"#))
        #expect(lines.contains(#"                    .crop(227).mirror().mean(file: "data/ilsvrc12/imagenet_mean.binaryproto")"#))
        #expect(lines.contains(#"            Convolution("conv1", outputs: 96, kernel: 11, stride: 4)"#))
        #expect(lines.contains("                .weights(.gaussian(std: 0.01)).lrMult(1)"))
        #expect(lines.contains("            ReLU()"), "Net names relu1...relu7 as Caffe does")
        #expect(lines.contains(#"            LRN("norm1", size: 5, alpha: 1e-4, beta: 0.75)"#))
        #expect(lines.contains(#"            Test { Accuracy("accuracy") }"#))
        #expect(lines.contains(#"            SoftmaxWithLoss("loss")"#))
        #expect(lines.contains("        SolverPlan(baseLR: 0.01, policy: .step(gamma: 0.1, every: 100_000), momentum: 0.9,"))
        #expect(lines.contains(#"            .with { $0.snapshotPrefix = "caffenet_train" }"#))
        #expect(!text.contains(".inputs(") && !text.contains(".outputs("))
        #expect(lines.allSatisfy { $0.count <= SourceLayout.width })
        #expect(text.hasSuffix("}\n"))
        // Writing the spelled-out net gives the same text.
        let full = try RecipeSource(typeName: "MyCaffeNet", summary: "CaffeNet again", header: ["from a test"],
                                    net: try Self.explicit(CaffeNet().net.spec), solver: CaffeNet().solver).text()
        #expect(full == text)
    }

    @Test func layerNamesThatNetWouldNumberDifferentlyAreWritten() throws {
        // LeNet's ReLU is the first, so "relu1" is what Net would call it; a net whose first
        // ReLU is called "relu2" must say so.
        var net = LeNet().net.spec
        let i = try #require(net.layers.firstIndex { $0.name == "relu1" })
        net.layers[i].name = "relu2"
        let text = try RecipeSource(typeName: "L", summary: "", net: net, solver: nil).text()
        #expect(text.contains(#"ReLU("relu2")"#))
        #expect(try RecipeSource(typeName: "L", summary: "", net: LeNet().net.spec, solver: nil).text().contains("ReLU()"))
    }

    @Test func dilatedKernelsAreWrittenWithTheirDilation() throws {
        let spec = Net("Atrous") {
            Input("data", shape: [1, 3, 9, 9])
            Convolution("a", outputs: 4, kernel: 3, pad: 2, dilation: 2)
            Convolution("b", outputs: 4, kernel: (3, 3), dilation: (2, 1))
            Deconvolution("up", outputs: 2, kernel: 3, dilation: 3)
        }.spec
        let text = try RecipeSource(typeName: "A", summary: "", net: spec, solver: nil).text()
        #expect(text.contains(#"Convolution("a", outputs: 4, kernel: 3, pad: 2, dilation: 2)"#), "\(text)")
        #expect(text.contains(#"Convolution("b", outputs: 4, kernel: 3, dilation: (2, 1))"#), "\(text)")
        #expect(text.contains(#"Deconvolution("up", outputs: 2, kernel: 3, dilation: 3)"#), "\(text)")
    }

    @Test func anUnnamedSolverIsAMarkedPlaceholder() throws {
        let text = try RecipeSource(typeName: "L", summary: "", net: LeNet().net.spec, solver: nil).text()
        #expect(text.contains("placeholders"))
        #expect(text.contains("SolverPlan(baseLR: 0.01, iterations: 10_000)"))
        #expect(!text.contains("static let summary"))
    }

    @Test func solverSettingsBeyondTheInitialiserGoInWith() throws {
        var plan = SolverPlan(type: .rmsProp, baseLR: 1e-3, policy: .poly(power: 2), iterations: 500)
        plan.rmsDecay = 0.98
        plan.seed = 7
        plan.gamma = 0.5  // not used by poly, but part of the plan
        let lines = RecipeSource.source(of: plan, indent: 0)
        #expect(lines[0] == "SolverPlan(type: .rmsProp, baseLR: 0.001, policy: .poly(power: 2), iterations: 500)")
        #expect(lines[1] == "    .with {")
        #expect(lines.contains("        $0.gamma = 0.5"))
        #expect(lines.contains("        $0.rmsDecay = 0.98"))
        #expect(lines.contains("        $0.seed = 7"))
        #expect(lines.last == "    }")
    }

    @Test func floatsAreShortAndExact() {
        let cases: [(Float, String)] = [
            (1e-4, "1e-4"), (5e-4, "5e-4"), (0.00390625, "0.00390625"), (0.01, "0.01"), (0.005, "0.005"),
            (1, "1"), (0.75, "0.75"), (-1, "-1"), (1e-8, "1e-8"), (4096, "4096"), (1e10, "1e10"),
            (16_777_216, "16777216"), (1.5e-7, "1.5e-7"), (0.1, "0.1"), (0, "0"), (-2.5, "-2.5"),
            (Float.greatestFiniteMagnitude, "3.4028235e38"), (Float.leastNonzeroMagnitude, "1e-45"),
        ]
        for (value, text) in cases {
            #expect(SwiftLiteral.float(value) == text)
            #expect(Float(SwiftLiteral.float(value))?.bitPattern == value.bitPattern)
        }
        #expect(SwiftLiteral.float(.infinity) == "Float.infinity")
        // Every float reads back bit for bit (a sample across the whole range).
        var bits: UInt32 = 1
        while bits < 0x7F80_0000 {
            let x = Float(bitPattern: bits)
            let text = SwiftLiteral.float(x)
            #expect(Float(text)?.bitPattern == bits, "\(x) written as \(text)")
            bits &+= 104_729
        }
    }

    @Test func stringsAndIntegers() {
        #expect(SwiftLiteral.string("a\"b\\c\nd\u{1}é") == #""a\"b\\c\nd\u{1}é""#)
        #expect(SwiftLiteral.string(#"\(x)"#) == #""\\(x)""#)
        #expect(SwiftLiteral.int(450_000, grouped: true) == "450_000")
        #expect(SwiftLiteral.int(1000, grouped: true) == "1_000")
        #expect(SwiftLiteral.int(999, grouped: true) == "999")
        #expect(SwiftLiteral.int(-1_234_567, grouped: true) == "-1_234_567")
        #expect(SwiftLiteral.int(4096) == "4096")
    }

    @Test func typeNamesFromCaffeNetNames() throws {
        #expect(RecipeSource.typeName(forNetName: "CaffeNet") == "CaffeNet")
        #expect(RecipeSource.typeName(forNetName: "bvlc_googlenet") == "BvlcGooglenet")
        #expect(RecipeSource.typeName(forNetName: "VGG_ILSVRC_16_layers") == "VGGILSVRC16Layers")
        #expect(RecipeSource.typeName(forNetName: "3layer-net") == "Net3layerNet")
        #expect(RecipeSource.typeName(forNetName: "Test") == "NetTest", "Test would hide the DSL's Test { }")
        #expect(RecipeSource.typeName(forNetName: "") == "ImportedNet")
        #expect(RecipeSource.typeName(forNetName: "réseau") == "RSeau")
        #expect(!RecipeSource.isValidTypeName("Data"))
        #expect(!RecipeSource.isValidTypeName("lenet"))
        #expect(RecipeSource.isValidTypeName("Le_Net2"))
        #expect(throws: RecipeSourceError.self) {
            try RecipeSource(typeName: "Pooling", summary: "", net: LeNet().net.spec, solver: nil).text()
        }
    }

    @Test func importedRecipesNameTheirFilesAndNotes() throws {
        let source = RecipeSource.imported(typeName: "X", net: LeNet().net.spec, solver: LeNet().solver,
                                           files: ["models/a/solver.prototxt", "models/a/net.prototxt"],
                                           notes: ["models/a/net.prototxt:7: backend: LMDB is the only backend"])
        let text = try source.text()
        #expect(text.hasPrefix("// X: Caffe's net \"LeNet\", written by `experiments import` from\n//   models/a/solver.prototxt\n//   models/a/net.prototxt\n"))
        #expect(text.contains("//   models/a/net.prototxt:7: backend: LMDB is the only backend\n"))
        #expect(source.summary == "Caffe's LeNet, imported from solver.prototxt")
    }
}

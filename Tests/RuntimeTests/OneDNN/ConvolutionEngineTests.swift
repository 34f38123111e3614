import NetDSL
import Testing
@testable import Runtime

@Suite struct ConvolutionEngineTests {
    private let spec = OneDNNCase([1, 4, 6, 6], outputs: 2, kernel: (3, 3)).spec
    private var params: ConvolutionParams { OneDNNCase([1, 4, 6, 6], outputs: 2, kernel: (3, 3)).params }

    @Test func automaticChoiceFollowsTheLibrary() throws {
        let loads = ConvolutionEngine.choice(.auto, oneDNNLoads: true)
        #expect(loads.engine == .onednn && !loads.required)
        let missing = ConvolutionEngine.choice(.auto, oneDNNLoads: false)
        #expect(missing.engine == .im2col && !missing.required)
    }

    @Test func aNamedEngineIsDemanded() throws {
        #expect(ConvolutionEngine.choice(.im2col, oneDNNLoads: true) == (.im2col, true))
        #expect(ConvolutionEngine.choice(.onednn, oneDNNLoads: false) == (.onednn, true))
    }

    @Test func theEnvironmentIsReadIntoOptions() throws {
        #expect(try CompileOptions.reading(environment: [:]) == CompileOptions())
        #expect(try CompileOptions.reading(environment: ["CREMA_CONV_ENGINE": "IM2COL"]).convolutionEngine == .im2col)
        #expect(try CompileOptions.reading(environment: ["CREMA_CONV_ENGINE": "auto"]).convolutionEngine == .auto)
        #expect(try CompileOptions.reading(environment: ["CREMA_PRECISION": "BF16"]).precision == .bf16)
        #expect(throws: OneDNNError.self) { try CompileOptions.reading(environment: ["CREMA_CONV_ENGINE": "mkl"]) }
        #expect(throws: OneDNNError.self) { try CompileOptions.reading(environment: ["CREMA_PRECISION": "fp8"]) }
    }

    @Test func theCompilerBuildsTheEngineItIsGiven() throws {
        let net = NetSpec(name: "one", layers: [
            LayerSpec(name: "in", kind: .input(InputParams(shapes: [[1, 4, 6, 6]])), tops: ["x"]),
            LayerSpec(name: "conv", kind: .convolution(params), bottoms: ["x"], tops: ["y"]),
        ])
        let im2col = try Compiler.compile(net, for: .test, store: ParameterStore(seed: 1),
                                          options: CompileOptions(convolutionEngine: .im2col))
        #expect(im2col.layers[1] is ConvolutionLayer)
        if case .success = OneDNNLibrary.loaded {
            let onednn = try Compiler.compile(net, for: .test, store: ParameterStore(seed: 1),
                                              options: CompileOptions(convolutionEngine: .onednn))
            #expect(onednn.layers[1] is OneDNNConvolutionLayer)
        }
    }

    @Test func missingLibraryFallsBackUnlessDemanded() throws {
        let missing: Result<OneDNNLibrary, OneDNNError> = .failure(OneDNNError("not installed"))
        let auto = try ConvolutionEngine.makeLayer(spec: spec, params: params, engine: .onednn, required: false,
                                                   precision: .f32, library: missing)
        #expect(auto is ConvolutionLayer)
        #expect(throws: LayerError.self) {
            try ConvolutionEngine.makeLayer(spec: spec, params: params, engine: .onednn, required: true,
                                            precision: .f32, library: missing)
        }
        #expect(throws: LayerError.self) {
            try ConvolutionEngine.makeLayer(spec: spec, params: params, engine: .onednn, required: false,
                                            precision: .bf16, library: missing)
        }
    }

    @Test func im2colEngineRefusesBF16() throws {
        #expect(throws: LayerError.self) {
            try ConvolutionEngine.makeLayer(spec: spec, params: params, engine: .im2col, required: true,
                                            precision: .bf16, library: OneDNNLibrary.loaded)
        }
        let plain = try ConvolutionEngine.makeLayer(spec: spec, params: params, engine: .im2col, required: true,
                                                    precision: .f32, library: OneDNNLibrary.loaded)
        #expect(plain is ConvolutionLayer)
    }

    @Test(.enabled(if: OneDNNLibrary.shared != nil, "needs oneDNN (apt-get install libdnnl-dev)"))
    func oneDNNLayerWhereTheLibraryLoads() throws {
        // 64 outputs of 16x16, each 64 x 3 x 3 multiply-adds: 9.4M per image, worth oneDNN.
        let big = OneDNNCase([1, 64, 16, 16], outputs: 64, kernel: (3, 3), pad: (1, 1))
        let layer = try ConvolutionEngine.makeLayer(spec: big.spec, params: big.params, engine: .onednn, required: false,
                                                    precision: .f32, library: OneDNNLibrary.loaded)
        let fast = try #require(layer as? OneDNNConvolutionLayer)
        let x = randomTensor(big.input, seed: 1), y = Tensor()
        try fast.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try fast.reshape(bottoms: [x], tops: [y])
        // oneDNN names its kernels like `jit:avx512_core`, `brg:avx512_core` or `gemm:jit`.
        #expect(fast.engineDescription.hasPrefix("onednn f32 ("), "\(fast.engineDescription)")
        #expect(fast.implementations["forward"]?.isEmpty == false)
        let lib = try #require(OneDNNLibrary.shared)
        #expect(lib.version.hasPrefix("2."))
    }

    /// The automatic choice leaves small convolutions (LeNet's) to im2col; a demanded oneDNN runs them.
    @Test(.enabled(if: OneDNNLibrary.shared != nil, "needs oneDNN (apt-get install libdnnl-dev)"), arguments: [false, true])
    func smallConvolutionsStayOnIm2colUnlessDemanded(required: Bool) throws {
        let layer = try ConvolutionEngine.makeLayer(spec: spec, params: params, engine: .onednn, required: required,
                                                    precision: .f32, library: OneDNNLibrary.loaded)
        let fast = try #require(layer as? OneDNNConvolutionLayer)
        let x = randomTensor([2, 4, 6, 6], seed: 1), y = Tensor()
        try fast.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try fast.reshape(bottoms: [x], tops: [y])
        #expect(fast.engineDescription.hasPrefix(required ? "onednn" : "im2col ("), "\(fast.engineDescription)")
        try fast.forward(bottoms: [x], tops: [y])
        let reference = ConvolutionLayer(spec: spec, params: params), y2 = Tensor()
        try reference.setUp(bottoms: [x], tops: [y2], store: ParameterStore())
        try reference.reshape(bottoms: [x], tops: [y2])
        try reference.forward(bottoms: [x], tops: [y2])
        // With |x| <= 1 the |terms| of output channel o sum to at most sum(|w_o|) + |b_o|; two
        // Float sums of its 37 terms differ by at most 2 * 37 * u times that.
        let w = reference.parameters[0], bias = reference.parameters[1]
        let spatial = y2.shape[2] * y2.shape[3]
        for i in 0..<y2.count {
            let o = (i / spatial) % 2
            let magnitude = (0..<36).reduce(abs(bias.data[o])) { $0 + abs(w.data[o * 36 + $1]) }
            #expect(abs(y.data[i] - y2.data[i]) <= 2 * 37 * floatRoundoff * magnitude)
        }
    }
}

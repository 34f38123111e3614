import Foundation
import Testing
@testable import NetDSL
@testable import Runtime

/// Caffe settings beyond the published nets: legacy forms, rules, rectangular kernels, solvers.
@Suite struct CaffeImportFeatureTests {
    private func net(_ text: String) throws -> CaffeImport {
        try CaffeImport.parse(netText: text, file: "test.prototxt")
    }

    @Test func v1ParamNamesBecomeShareNames() throws {
        let imported = try net("""
        layers { name: "data" type: DATA top: "data" top: "label"
                 data_param { source: "db" batch_size: 4 backend: LMDB scale: 0.5 crop_size: 3 mirror: true mean_file: "m.binaryproto" } }
        layers { name: "a" type: INNER_PRODUCT bottom: "data" top: "a" param: "w" param: "b"
                 blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0 inner_product_param { num_output: 2 } }
        layers { name: "b" type: INNER_PRODUCT bottom: "data" top: "b" param: "w" blobs_lr: 0.5
                 inner_product_param { num_output: 2 } }
        layers { name: "loss" type: SOFTMAX_LOSS bottom: "a" bottom: "label" top: "loss" loss_weight: 2 }
        """)
        let layers = imported.net.layers
        #expect(imported.net.name == "test")
        #expect(layers.map(\.kind.typeName) == ["Data", "InnerProduct", "InnerProduct", "SoftmaxWithLoss"])
        #expect(layers[1].params == [ParamSpec(name: "w", lrMult: 1, decayMult: 1), ParamSpec(name: "b", lrMult: 2, decayMult: 0)])
        #expect(layers[2].params == [ParamSpec(name: "w", lrMult: 0.5, decayMult: 1)])
        #expect(layers[3].lossWeight == 2)
        // V1 data_param transformation settings move into the transformation, as Caffe's upgrade does.
        guard case .data(let data) = layers[0].kind else {
            Issue.record("not a data layer")
            return
        }
        #expect(data.transform.scale == 0.5 && data.transform.cropSize == 3 && data.transform.mirror)
        #expect(data.transform.meanFile == "m.binaryproto")
    }

    @Test func legacyNetInputsBecomeAnInputLayer() throws {
        let dims = try net("""
        name: "deploy"
        input: "data"
        input_dim: 10 input_dim: 3 input_dim: 227 input_dim: 227
        layer { name: "relu" type: "ReLU" bottom: "data" top: "data" relu_param { negative_slope: 0.1 } }
        """)
        #expect(dims.net.layers.first == LayerSpec(name: "input", kind: .input(InputParams(shapes: [[10, 3, 227, 227]])), tops: ["data"]))
        #expect(dims.net.layers.last?.kind == .relu(ReLUParams(negativeSlope: 0.1)))
        let shapes = try net("""
        input: "data" input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
        input: "label" input_shape { dim: 1 }
        layer { name: "s" type: "Sigmoid" bottom: "data" top: "s" }
        """)
        #expect(shapes.net.layers.first?.kind == .input(InputParams(shapes: [[1, 3, 8, 8], [1]])))
        #expect(shapes.net.layers.first?.tops == ["data", "label"])
    }

    @Test func includeAndExcludeRulesGivePhases() throws {
        let imported = try net("""
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }
        layer { name: "a" type: "TanH" bottom: "data" top: "a" include { phase: TRAIN } }
        layer { name: "b" type: "TanH" bottom: "data" top: "b" exclude { phase: TRAIN } }
        layer { name: "c" type: "TanH" bottom: "data" top: "c" include { phase: TRAIN } include { phase: TEST } }
        """)
        #expect(imported.net.layers.map(\.phase) == [nil, .train, .test, nil])
    }

    @Test func rectangularAndGlobalSettings() throws {
        let imported = try net("""
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 dim: 9 dim: 9 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                convolution_param { num_output: 4 kernel_size: 3 kernel_size: 5 stride: 2 pad_h: 1 pad_w: 2 group: 2
                                    bias_term: false weight_filler { type: "msra" variance_norm: FAN_OUT }
                                    engine: CUDNN } }
        layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool"
                pooling_param { pool: AVE kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 } }
        layer { name: "gap" type: "Pooling" bottom: "pool" top: "gap" pooling_param { pool: MAX global_pooling: true } }
        layer { name: "flat" type: "Flatten" bottom: "gap" top: "flat" flatten_param { axis: 1 } }
        layer { name: "cat" type: "Concat" bottom: "flat" bottom: "flat" top: "cat" concat_param { concat_dim: 1 } }
        layer { name: "sum" type: "Eltwise" bottom: "cat" bottom: "cat" top: "sum" eltwise_param { coeff: 1 coeff: -1 } }
        layer { name: "prob" type: "Softmax" bottom: "sum" top: "prob" }
        """)
        var conv = ConvolutionParams(numOutput: 4, kernelH: 3, kernelW: 5)
        (conv.strideH, conv.strideW, conv.padH, conv.padW, conv.group, conv.biasTerm) = (2, 2, 1, 2, 2, false)
        conv.weightFiller = .msra(.fanOut)
        var pool = PoolingParams(method: .average, kernelH: 2, kernelW: 3)
        (pool.strideH, pool.strideW) = (1, 2)
        var global = PoolingParams(method: .max, kernelH: 1, kernelW: 1)
        global.globalPooling = true
        #expect(imported.net.layers.map(\.kind) == [
            .input(InputParams(shapes: [[1, 4, 9, 9]])), .convolution(conv), .pooling(pool), .pooling(global),
            .flatten(FlattenParams()), .concat(ConcatParams()), .eltwise(EltwiseParams(operation: .sum, coeff: [1, -1])),
            .softmax(SoftmaxParams()),
        ])
        #expect(imported.notes == ["test.prototxt:5: layer 'conv' (Convolution): 'convolution_param.engine: CUDNN' ignored: Crema runs its own CPU kernels"])
        // The imported spec compiles: explicit bottoms and tops are what the compiler resolves.
        let graph = try Compiler.compile(imported.net, for: .test, store: ParameterStore())
        #expect(graph.blobs["conv"]?.shape == [1, 4, 5, 5])
        #expect(graph.blobs["pool"]?.shape == [1, 4, 4, 2])
        #expect(graph.blobs["gap"]?.shape == [1, 4, 1, 1])
        #expect(graph.blobs["prob"]?.shape == [1, 8])
    }

    @Test func lossAndAccuracySettings() throws {
        let imported = try net("""
        layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 5 } shape { dim: 2 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" top: "loss"
                loss_param { ignore_label: 3 normalize: false } }
        layer { name: "acc" type: "Accuracy" bottom: "data" bottom: "label" top: "acc" accuracy_param { top_k: 5 } }
        layer { name: "lrn" type: "LRN" bottom: "data" top: "lrn" lrn_param { local_size: 3 alpha: 0.5 beta: 0.25 k: 2 } }
        layer { name: "drop" type: "Dropout" bottom: "lrn" top: "lrn" dropout_param { dropout_ratio: 0.3 } }
        """)
        var loss = SoftmaxWithLossParams()
        loss.ignoreLabel = 3
        loss.normalization = .batchSize
        var lrn = LRNParams()
        (lrn.localSize, lrn.alpha, lrn.beta, lrn.k) = (3, 0.5, 0.25, 2)
        #expect(imported.net.layers.dropFirst().map(\.kind) == [
            .softmaxWithLoss(loss), .accuracy(AccuracyParams(topK: 5)), .lrn(lrn), .dropout(DropoutParams(ratio: 0.3)),
        ])
    }

    @Test func solverFieldsMapToThePlan() throws {
        let text = """
        net_param {
          name: "inline"
          layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
          layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 } }
          layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        }
        type: "Adam"
        base_lr: 0.001
        lr_policy: "multistep"
        gamma: 0.5
        stepvalue: 100 stepvalue: 200
        momentum: 0.9
        momentum2: 0.99
        delta: 1e-6
        weight_decay: 0.0001
        regularization_type: "L1"
        max_iter: 300
        iter_size: 2
        clip_gradients: 10
        display: 10
        average_loss: 5
        test_iter: 4
        test_interval: 50
        test_initialization: false
        snapshot: 100
        snapshot_prefix: "snap/inline"
        random_seed: 42
        device_id: 1
        """
        let imported = try CaffeImport.parse(solverText: text, file: "/tmp/solver.prototxt")
        var expected = SolverPlan(type: .adam, baseLR: 0.001, policy: .multistep(gamma: 0.5, steps: [100, 200]),
                                  momentum: 0.9, weightDecay: 0.0001, iterations: 300, testEvery: 50,
                                  testIterations: 4, snapshotEvery: 100, display: 10)
        expected.momentum2 = 0.99
        expected.delta = 1e-6
        expected.regularization = .l1
        expected.iterSize = 2
        expected.clipGradients = 10
        expected.averageLoss = 5
        expected.testAtStart = false
        expected.snapshotPrefix = "snap/inline"
        expected.seed = 42
        #expect(imported.solver == expected)
        #expect(imported.net.name == "inline")
        #expect(imported.net.layers.map(\.name) == ["data", "ip", "loss"])
        #expect(imported.notes == ["/tmp/solver.prototxt:28: solver: 'device_id: 1' ignored: Crema trains on the CPU"])
    }

    @Test func oldSolverTypeEnum() throws {
        let imported = try CaffeImport.parse(solverText: """
        net: "lenet_train_test.prototxt"
        solver_type: NESTEROV
        base_lr: 0.1
        lr_policy: "step" stepsize: 10 gamma: 0.1
        max_iter: 20
        """, file: CaffeFixtures.path("examples/mnist/s.prototxt"))
        #expect(imported.solver?.type == .nesterov)
        #expect(imported.solver?.policy == .step(gamma: 0.1, every: 10))
    }

    /// A solver's separate train_net and test_net become one spec with phases: here both name
    /// LeNet's train_test file, whose TRAIN and TEST halves merge back into the file's own net.
    @Test func separateTrainAndTestNetsMerge() throws {
        let text = """
        train_net: "lenet_train_test.prototxt"
        test_net: "lenet_train_test.prototxt"
        test_iter: 100
        test_interval: 500
        base_lr: 0.01
        lr_policy: "fixed"
        max_iter: 10
        """
        let imported = try CaffeImport.parse(solverText: text, file: CaffeFixtures.path("examples/mnist/split_solver.prototxt"))
        let whole = try CaffeImport.load(net: CaffeFixtures.path("examples/mnist/lenet_train_test.prototxt"))
        #expect(imported.net == whole.net)
        #expect(imported.net.layers.map(\.phase) == whole.net.layers.map(\.phase))
    }

    @Test func netPathsResolveBesideTheSolverThenFromItsParentFolders() throws {
        let beside = SolverNetLoader.resolve("lenet_train_test.prototxt", solverFile: CaffeFixtures.path("examples/mnist/x.prototxt"))
        #expect(beside == CaffeFixtures.path("examples/mnist/lenet_train_test.prototxt"))
        let fromRoot = SolverNetLoader.resolve("examples/mnist/lenet_train_test.prototxt",
                                               solverFile: CaffeFixtures.path("examples/mnist/x.prototxt"))
        #expect(fromRoot == CaffeFixtures.path("examples/mnist/lenet_train_test.prototxt"))
        #expect(SolverNetLoader.resolve("examples/mnist/none.prototxt", solverFile: CaffeFixtures.path("x.prototxt")) == nil)
    }
}

import Foundation
import Testing
@testable import NetDSL
@testable import Runtime

/// The layers of today's nets (ResNet's BatchNorm and Scale, PReLU, the neuron layers): read from
/// prototxt with Caffe's defaults, written back by the deploy writer, and compiled and run.
@Suite struct ModernLayersTests {
    static let prototxt = """
    name: "Modern"
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 4 dim: 4 } } }
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
            convolution_param { num_output: 4 kernel_size: 3 pad: 2 dilation: 2 bias_term: false weight_filler { type: "msra" } } }
    layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" batch_norm_param { eps: 0.001 } }
    layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" scale_param { bias_term: true } }
    layer { name: "prelu" type: "PReLU" bottom: "conv" top: "conv" prelu_param { channel_shared: true filler { type: "gaussian" std: 0.1 sparse: 2 } } }
    layer { name: "elu" type: "ELU" bottom: "conv" top: "elu" elu_param { alpha: 0.5 } }
    layer { name: "abs" type: "AbsVal" bottom: "elu" top: "abs" }
    layer { name: "bnll" type: "BNLL" bottom: "abs" top: "bnll" }
    layer { name: "pow" type: "Power" bottom: "bnll" top: "pow" power_param { power: 2 scale: 0.5 shift: 1 } }
    layer { name: "exp" type: "Exp" bottom: "pow" top: "exp" exp_param { base: 2 scale: -0.1 } }
    layer { name: "log" type: "Log" bottom: "exp" top: "log" log_param { shift: 1 } }
    layer { name: "clip" type: "Clip" bottom: "log" top: "clip" clip_param { min: -1 max: 2 } }
    layer { name: "swish" type: "Swish" bottom: "clip" top: "swish" swish_param { beta: 2 } }
    layer { name: "bias" type: "Bias" bottom: "swish" top: "bias" bias_param { axis: 1 num_axes: 1 } }
    layer { name: "th" type: "Threshold" bottom: "bias" top: "th" threshold_param { threshold: 0.5 } }
    layer { name: "pf" type: "Pooling" bottom: "th" top: "pf" pooling_param { pool: AVE kernel_size: 3 stride: 2 round_mode: FLOOR } }
    layer { name: "lrn" type: "LRN" bottom: "pf" top: "lrn" lrn_param { local_size: 3 alpha: 5e-05 norm_region: WITHIN_CHANNEL } }
    layer { name: "tile" type: "Tile" bottom: "lrn" top: "tile" tile_param { axis: 2 tiles: 4 } }
    layer { name: "crop" type: "Crop" bottom: "conv" bottom: "tile" top: "crop" crop_param { axis: 2 offset: 0 } }
    layer { name: "slice" type: "Slice" bottom: "crop" top: "s1" top: "s2" slice_param { axis: 1 slice_point: 1 } }
    layer { name: "reshape" type: "Reshape" bottom: "s2" top: "flat" reshape_param { shape { dim: 0 dim: -1 } } }
    layer { name: "sum" type: "Reduction" bottom: "flat" top: "sum" reduction_param { operation: SUMSQ axis: 1 coeff: 0.5 } }
    layer { name: "am" type: "ArgMax" bottom: "flat" top: "am" argmax_param { top_k: 2 out_max_val: true } }
    layer { name: "quiet" type: "Silence" bottom: "s1" }
    """

    @Test func settingsReadWithCaffesDefaults() throws {
        let net = try CaffeImport.parse(netText: Self.prototxt, file: "modern.prototxt").net
        let kinds = Dictionary(uniqueKeysWithValues: net.layers.map { ($0.name, $0.kind) })
        guard case .convolution(let conv) = kinds["conv"] else { Issue.record("conv is not a Convolution"); return }
        #expect((conv.dilationH, conv.dilationW, conv.effectiveKernelH) == (2, 2, 5))
        #expect(kinds["bn"] == .batchNorm(BatchNormParams(useGlobalStats: nil, movingAverageFraction: 0.999, eps: 0.001)))
        #expect(kinds["sc"] == .scale(ScaleParams(biasTerm: true)))
        var prelu = PReLUParams(channelShared: true)
        prelu.filler = .sparseGaussian(std: 0.1, nonZero: 2)
        #expect(kinds["prelu"] == .prelu(prelu))
        #expect(kinds["elu"] == .elu(ELUParams(alpha: 0.5)))
        #expect(kinds["abs"] == .absVal)
        #expect(kinds["pow"] == .power(PowerParams(power: 2, scale: 0.5, shift: 1)))
        #expect(kinds["exp"] == .exp(ExpParams(base: 2, scale: -0.1, shift: 0)))
        #expect(kinds["log"] == .log(LogParams(base: -1, scale: 1, shift: 1)))
        #expect(kinds["clip"] == .clip(ClipParams(min: -1, max: 2)))
        #expect(kinds["swish"] == .swish(SwishParams(beta: 2)))
        #expect(kinds["th"] == .threshold(ThresholdParams(threshold: 0.5)))
        var pool = PoolingParams(method: .average, kernelH: 3, kernelW: 3)
        (pool.strideH, pool.strideW, pool.rounding) = (2, 2, .floor)
        #expect(kinds["pf"] == .pooling(pool))
        var lrn = LRNParams()
        (lrn.localSize, lrn.alpha, lrn.normRegion) = (3, 5e-5, .withinChannel)
        #expect(kinds["lrn"] == .lrn(lrn))
        #expect(kinds["tile"] == .tile(TileParams(axis: 2, tiles: 4)))
        #expect(kinds["crop"] == .crop(CropParams(axis: 2, offset: [0])))
        #expect(kinds["slice"] == .slice(SliceParams(axis: 1, slicePoints: [1])))
        #expect(kinds["reshape"] == .reshape(ReshapeParams(shape: [0, -1])))
        #expect(kinds["sum"] == .reduction(ReductionParams(.sumOfSquares, axis: 1, coeff: 0.5)))
        #expect(kinds["am"] == .argMax(ArgMaxParams(topK: 2, outMaxVal: true)))
        #expect(kinds["quiet"] == .silence)
        #expect(net.layers.last?.tops == [])
        // In place as the prototxt says.
        #expect(net.layers.first { $0.name == "bn" }?.tops == ["conv"])
    }

    @Test func deployTextReadsBackAsTheSameNet() throws {
        let net = try CaffeImport.parse(netText: Self.prototxt, file: "modern.prototxt").net
        let text = try DeployPrototxt.text(for: net)
        let again = try CaffeImport.parse(netText: text, file: "deploy.prototxt").net
        #expect(again == net, "\(text)")
        #expect(text.contains("batch_norm_param {\n    eps: 0.001\n  }"))
    }

    @Test func theNetTrainsAStepAndItsJSONRoundTrips() throws {
        var net = try CaffeImport.parse(netText: Self.prototxt, file: "modern.prototxt").net
        let data = try SpecJSON.encoder().encode(net)
        #expect(try SpecJSON.decoder().decode(NetSpec.self, from: data) == net)
        net.layers[0].kind = .input(InputParams(shapes: [[2, 3, 4, 4], [2]]))
        net.layers[0].tops = ["data", "label"]
        net.layers.append(LayerSpec(name: "ip", kind: .innerProduct(InnerProductParams(numOutput: 3)), bottoms: ["th"], tops: ["ip"]))
        net.layers.append(LayerSpec(name: "loss", kind: .softmaxWithLoss(SoftmaxWithLossParams()), bottoms: ["ip", "label"], tops: ["loss"]))
        for phase in Phase.allCases {
            let graph = try Compiler.compile(net, for: phase, store: ParameterStore(seed: 3))
            let x = randomTensor([2, 3, 4, 4], seed: 9)
            graph.blobs["data"]?.copy(from: x.values)
            graph.blobs["label"]?.copy(from: [0, 2])
            let loss = try graph.forward()
            #expect(loss.isFinite)
            if phase == .train { graph.backward() }
        }
    }

    @Test func badSettingsNameTheirLines() throws {
        let text = """
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }
        layer { name: "clip" type: "Clip" bottom: "data" top: "clip" clip_param { min: 2 max: 1 } }
        layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn"
                batch_norm_param { eps: "small" } }
        layer { name: "exp" type: "Exp" bottom: "data" top: "exp" exp_param { base: -2 } }
        layer { name: "sc" type: "Scale" bottom: "data" top: "sc" scale_param { num_axes: -3 unknown_field: 1 } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                convolution_param { num_output: 2 kernel_size: 3 dilation: 1 dilation: 0 } }
        """
        do {
            _ = try CaffeImport.parse(netText: text, file: "bad.prototxt")
            Issue.record("accepted bad settings")
        } catch let error as CaffeImportError {
            let lines = error.problems.map(\.line)
            let messages = error.problems.map(\.message)
            #expect(lines == [2, 4, 5, 6, 8], "\(messages)")
            #expect(messages[0].contains("min 2.0 is above max 1.0"))
            #expect(messages[1].contains("'batch_norm_param.eps: \"small\"' cannot be read: the value is not a number"))
            #expect(messages[2].contains("base must be -1 (for e) or positive"))
            #expect(messages[3].contains("num_axes must be -1"), "one problem for the layer, not also its unread field")
            #expect(messages[4].contains("dilations must be positive"))
        }
    }
}

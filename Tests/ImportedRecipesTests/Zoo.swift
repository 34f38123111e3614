import NetDSL

/// A net with every layer kind and every setting away from its default somewhere, with its
/// inputs and outputs spelled out as a prototxt states them; Written/WrittenZoo.swift is what
/// RecipeSource writes for it.
enum Zoo {
    static var spec: NetSpec {
        var train = DataParams(source: "a/b \"q\" \\ lmdb", batchSize: 7)
        train.transform.cropSize = 3
        train.transform.mirror = true
        train.transform.meanValue = [104, 117.5, 1e-7]
        train.transform.scale = 0.00390625
        var val = DataParams(source: "val", batchSize: 3)
        val.transform.meanFile = "m.binaryproto"

        var conv1 = ConvolutionParams(numOutput: 4, kernelH: 3, kernelW: 2)
        (conv1.strideH, conv1.padW, conv1.group, conv1.biasTerm) = (2, 1, 2, false)
        conv1.weightFiller = .gaussian(mean: 0.5, std: 0.01)
        conv1.biasFiller = .uniform(min: -0.1, max: 0.2)
        var conv = ConvolutionParams(numOutput: 8, kernelH: 3, kernelW: 3)
        conv.weightFiller = .msra(.fanOut)
        conv.biasFiller = .constant(0.1)
        var ip = InnerProductParams(numOutput: 10)
        (ip.axis, ip.weightFiller, ip.biasTerm, ip.transpose) = (2, .xavier(.average), false, true)
        var global = PoolingParams(method: .average, kernelH: 1, kernelW: 1)
        global.globalPooling = true
        var globalNoKernel = PoolingParams(method: .max, kernelH: 0, kernelW: 0)
        globalNoKernel.globalPooling = true
        var pool = PoolingParams(method: .max, kernelH: 3, kernelW: 3)
        (pool.strideH, pool.strideW, pool.padH, pool.padW) = (2, 2, 1, 1)
        var lrn = LRNParams()
        (lrn.k, lrn.alpha) = (2, 1e-4)
        var loss = SoftmaxWithLossParams()
        (loss.axis, loss.ignoreLabel, loss.normalization) = (2, -1, .none)
        var scale = ScaleParams(axis: 1, numAxes: 1, biasTerm: true)
        (scale.filler, scale.biasFiller) = (.gaussian(std: 0.2), .constant(0.1))
        var bias = BiasParams(axis: 1, numAxes: 2)
        bias.filler = .uniform(min: -1, max: 1)
        var prelu = PReLUParams(channelShared: true)
        prelu.filler = .sparseGaussian(std: 0.2, nonZero: 3)
        var accuracy = AccuracyParams(topK: 5)
        (accuracy.axis, accuracy.ignoreLabel) = (2, 3)

        return NetSpec(name: "Zoo \"net\"", layers: [
            LayerSpec(name: "data", kind: .data(train), tops: ["data", "label"], phase: .train),
            LayerSpec(name: "vdata", kind: .data(val), tops: ["data"], phase: .test),
            LayerSpec(name: "in", kind: .input(InputParams(shapes: [[1, 2], [3], [4, 5, 6]])), tops: ["x", "label", "z"],
                      phase: .test),
            LayerSpec(name: "conv1", kind: .convolution(conv1), bottoms: ["data"], tops: ["conv1"],
                      params: [ParamSpec(name: "w", lrMult: 0, decayMult: 0)]),
            LayerSpec(name: "relu1", kind: .relu(ReLUParams(negativeSlope: 0.1)), bottoms: ["conv1"], tops: ["conv1"]),
            LayerSpec(name: "conv2", kind: .convolution(conv), bottoms: ["conv1"], tops: ["c2"],
                      params: [ParamSpec(lrMult: 1, decayMult: 1), ParamSpec(lrMult: 2, decayMult: 0)]),
            LayerSpec(name: "conv3", kind: .convolution(conv), bottoms: ["conv1"], tops: ["conv3"],
                      params: [ParamSpec(name: "a"), ParamSpec(name: "b")]),
            LayerSpec(name: "conv4", kind: .convolution(conv), bottoms: ["conv1"], tops: ["conv4"],
                      params: [ParamSpec(name: "a", lrMult: 3, decayMult: 1), ParamSpec(name: "b", lrMult: 4, decayMult: 0.5)]),
            LayerSpec(name: "up", kind: .deconvolution(DeconvolutionParams(conv1)), bottoms: ["conv1"], tops: ["up"]),
            LayerSpec(name: "up2", kind: .deconvolution(DeconvolutionParams(Self.bilinear)), bottoms: ["up"], tops: ["up2"]),
            LayerSpec(name: "cat", kind: .concat(ConcatParams(axis: 1)), bottoms: ["c2", "conv3", "conv4"], tops: ["cat"]),
            LayerSpec(name: "sum", kind: .eltwise(EltwiseParams(operation: .sum, coeff: [1, -1])),
                      bottoms: ["conv3", "conv4"], tops: ["sum"]),
            LayerSpec(name: "prod", kind: .eltwise(EltwiseParams(operation: .product)), bottoms: ["sum", "conv3"]),
            LayerSpec(name: "split", kind: .split, bottoms: ["prod"], tops: ["p1", "p2"]),
            LayerSpec(name: "sig", kind: .sigmoid, bottoms: ["p1"], tops: ["sig"]),
            LayerSpec(name: "tanh1", kind: .tanh, bottoms: ["sig"], tops: ["tanh1"]),
            LayerSpec(name: "gp", kind: .pooling(global), bottoms: ["tanh1"], tops: ["gp"]),
            LayerSpec(name: "gp2", kind: .pooling(globalNoKernel), bottoms: ["gp"], tops: ["gp2"]),
            LayerSpec(name: "pool3", kind: .pooling(pool), bottoms: ["gp2"], tops: ["pool3"]),
            LayerSpec(name: "norm", kind: .lrn(lrn), bottoms: ["pool3"], tops: ["norm"]),
            LayerSpec(name: "bn", kind: .batchNorm(BatchNormParams(useGlobalStats: true, movingAverageFraction: 0.9, eps: 1e-3)),
                      bottoms: ["norm"], tops: ["norm"]),
            LayerSpec(name: "bn2", kind: .batchNorm(BatchNormParams()), bottoms: ["norm"], tops: ["normed"]),
            LayerSpec(name: "sc", kind: .scale(scale), bottoms: ["normed"], tops: ["scaled"]),
            LayerSpec(name: "sc2", kind: .scale(ScaleParams(axis: 0, numAxes: -1)), bottoms: ["scaled", "norm"], tops: ["sc2"]),
            LayerSpec(name: "bias", kind: .bias(bias), bottoms: ["sc2"], tops: ["biased"]),
            LayerSpec(name: "prelu", kind: .prelu(prelu), bottoms: ["biased"], tops: ["biased"]),
            LayerSpec(name: "elu", kind: .elu(ELUParams(alpha: 0.5)), bottoms: ["biased"], tops: ["elu"]),
            LayerSpec(name: "abs", kind: .absVal, bottoms: ["elu"], tops: ["abs"]),
            LayerSpec(name: "bnll", kind: .bnll, bottoms: ["abs"], tops: ["abs"]),
            LayerSpec(name: "pow", kind: .power(PowerParams(power: 2, scale: 0.5, shift: 1)), bottoms: ["abs"], tops: ["pow"]),
            LayerSpec(name: "exp", kind: .exp(ExpParams(base: 2, scale: -1, shift: 0.5)), bottoms: ["pow"], tops: ["exp"]),
            LayerSpec(name: "log", kind: .log(LogParams(base: 10, scale: 2, shift: 1)), bottoms: ["exp"], tops: ["log"]),
            LayerSpec(name: "th", kind: .threshold(ThresholdParams(threshold: 0.5)), bottoms: ["log"], tops: ["th"]),
            LayerSpec(name: "clip", kind: .clip(ClipParams(min: -1, max: 1)), bottoms: ["th"], tops: ["clip"]),
            LayerSpec(name: "swish", kind: .swish(SwishParams(beta: 2)), bottoms: ["clip"], tops: ["swish"]),
            LayerSpec(name: "rs", kind: .reshape(ReshapeParams(shape: [0, -1], axis: 1, numAxes: 2)), bottoms: ["swish"], tops: ["rs"]),
            LayerSpec(name: "tile", kind: .tile(TileParams(axis: 1, tiles: 2)), bottoms: ["rs"], tops: ["tiled"]),
            LayerSpec(name: "cut", kind: .slice(SliceParams(axis: 1, slicePoints: [3])), bottoms: ["tiled"], tops: ["sa", "sb"]),
            LayerSpec(name: "crop", kind: .crop(CropParams(axis: 1, offset: [1])), bottoms: ["sa", "sb"], tops: ["cropped"]),
            LayerSpec(name: "mean", kind: .reduction(ReductionParams(.mean, axis: 1, coeff: 2)), bottoms: ["cropped"], tops: ["red"]),
            LayerSpec(name: "am", kind: .argMax(ArgMaxParams(topK: 3, outMaxVal: true, axis: 0)), bottoms: ["red"], tops: ["am"]),
            LayerSpec(name: "quiet", kind: .silence, bottoms: ["am"]),
            LayerSpec(name: "drop", kind: .dropout(DropoutParams(ratio: 0.3)), bottoms: ["swish"], tops: ["dropped"]),
            LayerSpec(name: "flat", kind: .flatten(FlattenParams(axis: 2, endAxis: 3)), bottoms: ["dropped"], tops: ["flat"]),
            LayerSpec(name: "ip", kind: .innerProduct(ip), bottoms: ["flat"], tops: ["ip"], params: [ParamSpec(lrMult: 1.5)]),
            LayerSpec(name: "prob", kind: .softmax(SoftmaxParams(axis: 2)), bottoms: ["ip"], tops: ["prob"], phase: .test),
            LayerSpec(name: "acc", kind: .accuracy(accuracy), bottoms: ["ip", "label"], tops: ["acc"], phase: .test,
                      lossWeight: 0),
            LayerSpec(name: "loss", kind: .softmaxWithLoss(loss), bottoms: ["ip", "label"], tops: ["loss"], lossWeight: 0.5),
            LayerSpec(name: "loss2", kind: .softmaxWithLoss(SoftmaxWithLossParams()), bottoms: ["p2", "label"],
                      tops: ["loss2"], phase: .train),
        ])
    }

    static var bilinear: ConvolutionParams {
        var p = ConvolutionParams(numOutput: 4, kernelH: 4, kernelW: 4)
        (p.strideH, p.strideW, p.biasTerm, p.weightFiller) = (2, 2, false, .bilinear)
        return p
    }

    static var plan: SolverPlan {
        var p = SolverPlan(type: .adam, baseLR: 1e-3, policy: .multistep(gamma: 0.5, steps: [100, 20_000]),
                           iterations: 123_456)
        (p.power, p.stepsize, p.momentum2, p.delta, p.rmsDecay) = (0.25, 7, 0.99, 1e-6, 0.9)
        (p.regularization, p.iterSize, p.clipGradients, p.averageLoss) = (.l1, 2, 35, 10)
        (p.testAtStart, p.snapshotPrefix, p.seed) = (false, "snap/zoo", 1701)
        return p
    }
}

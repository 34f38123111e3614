// Written by RecipeSource from Zoo.spec (Tests/ImportedRecipesTests/Zoo.swift).

import NetDSL

/// Every layer kind and setting RecipeSource writes
struct WrittenZoo: Recipe {
    static let summary = "Every layer kind and setting RecipeSource writes"

    var net: Net {
        Net("Zoo \"net\"") {
            Train {
                Data(lmdb: "a/b \"q\" \\ lmdb", batch: 7)
                    .crop(3).mirror().mean(values: 104, 117.5, 1e-7).scale(0.00390625)
            }
            Test {
                Data("vdata", lmdb: "val", batch: 3).mean(file: "m.binaryproto").outputs("data")
                Input("in", shapes: [[1, 2], [3], [4, 5, 6]]).outputs("x", "label", "z")
            }

            Convolution("conv1", outputs: 4, kernel: (3, 2), stride: (2, 1), pad: (0, 1), group: 2,
                        bias: false)
                .weights(.gaussian(mean: 0.5, std: 0.01)).bias(.uniform(min: -0.1, max: 0.2))
                .inputs("data").params(ParamSpec(name: "w", lrMult: 0, decayMult: 0))
            ReLU(negativeSlope: 0.1)
            Convolution("conv2", outputs: 8, kernel: 3)
                .weights(.msra(.fanOut)).bias(.constant(0.1)).outputs("c2").lrMult(1)
            Convolution("conv3", outputs: 8, kernel: 3)
                .weights(.msra(.fanOut)).bias(.constant(0.1)).inputs("conv1").sharing("a", "b")
            Convolution("conv4", outputs: 8, kernel: 3)
                .weights(.msra(.fanOut)).bias(.constant(0.1)).inputs("conv1")
                .lrMult(3, bias: 4, biasDecay: 0.5).sharing("a", "b")
            Deconvolution("up", outputs: 4, kernel: (3, 2), stride: (2, 1), pad: (0, 1), group: 2,
                          bias: false)
                .weights(.gaussian(mean: 0.5, std: 0.01)).bias(.uniform(min: -0.1, max: 0.2))
                .inputs("conv1")
            Deconvolution("up2", outputs: 4, kernel: 4, stride: 2, bias: false).weights(.bilinear)
            Concat("cat", "c2", "conv3", "conv4")
            Eltwise("sum", .sum, "conv3", "conv4", coeff: [1, -1])
            Eltwise("prod", .product, "sum", "conv3")
            [LayerSpec(name: "split", kind: .split, tops: ["p1", "p2"])]
            Sigmoid("sig")
            TanH()
            Pooling.global("gp", .average)
            Pooling("gp2", .max, kernel: 0).globalPooling()
            Pooling("pool3", .max, kernel: 3, stride: 2, pad: 1)
            LRN("norm", size: 5, alpha: 1e-4, beta: 0.75, k: 2)
            BatchNorm("bn", useGlobalStats: true, movingAverageFraction: 0.9, eps: 0.001)
            BatchNorm("bn2").outputs("normed")
            Scale("sc", bias: true)
                .scales(.gaussian(std: 0.2)).bias(.constant(0.1)).outputs("scaled")
            Scale("sc2", axis: 0, numAxes: -1).inputs("scaled", "norm").outputs("sc2")
            Bias("bias", numAxes: 2).bias(.uniform(min: -1, max: 1)).outputs("biased")
            PReLU("prelu", channelShared: true)
                .slopes(.sparseGaussian(std: 0.2, nonZero: 3)).outputs("biased")
            ELU("elu", alpha: 0.5)
            AbsVal("abs")
            BNLL("bnll").outputs("abs")
            Power("pow", power: 2, scale: 0.5, shift: 1)
            Exp("exp", base: 2, scale: -1, shift: 0.5)
            Log("log", base: 10, scale: 2, shift: 1)
            Threshold("th", threshold: 0.5)
            Clip("clip", min: -1, max: 1)
            Swish("swish", beta: 2)
            Reshape("rs", shape: [0, -1], axis: 1, numAxes: 2)
            Tile("tile", tiles: 2).outputs("tiled")
            Slice("cut", at: [3]).outputs("sa", "sb")
            Crop("crop", "sa", like: "sb", axis: 1, offset: [1]).outputs("cropped")
            Reduction("mean", .mean, axis: 1, coeff: 2).outputs("red")
            ArgMax("am", topK: 3, outMaxVal: true, axis: 0)
            Silence("quiet", "am")
            Dropout("drop", ratio: 0.3).inputs("swish").outputs("dropped")
            Flatten("flat", axis: 2, endAxis: 3)
            InnerProduct("ip", outputs: 10, bias: false)
                .weights(.xavier(.average)).axis(2).transposed().params(ParamSpec(lrMult: 1.5))
            Test { Softmax("prob", axis: 2) }

            Test {
                Accuracy("acc", topK: 5, ignoreLabel: 3).axis(2).inputs("ip", "label").lossWeight(0)
            }
            SoftmaxWithLoss("loss", ignoreLabel: -1, normalization: .none)
                .axis(2).inputs("ip", "label").lossWeight(0.5)
            Train { SoftmaxWithLoss("loss2").inputs("p2", "label") }
        }
    }

    var solver: SolverPlan {
        SolverPlan(type: .adam, baseLR: 0.001, policy: .multistep(gamma: 0.5, steps: [100, 20_000]),
                   iterations: 123_456)
            .with {
                $0.power = 0.25
                $0.stepsize = 7
                $0.momentum2 = 0.99
                $0.delta = 1e-6
                $0.rmsDecay = 0.9
                $0.regularization = .l1
                $0.iterSize = 2
                $0.clipGradients = 35
                $0.averageLoss = 10
                $0.testAtStart = false
                $0.snapshotPrefix = "snap/zoo"
                $0.seed = 1701
            }
    }
}

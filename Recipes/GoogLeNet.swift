import NetDSL

/// GoogLeNet (Szegedy et al. 2014) as Caffe's bvlc_googlenet trains it with its quick solver:
/// nine Inception modules and two auxiliary classifiers whose losses weigh 0.3 each, on the
/// ILSVRC12 data (224x224 crops, per-channel means). Layer names are Caffe's, so its published
/// weights load into it.
struct GoogLeNet: Recipe {
    static let summary = "Caffe's bvlc_googlenet with its quick solver (poly policy, three losses) on ILSVRC12"

    var net: Net {
        Net("GoogleNet") {
            Train { Data(lmdb: CaffeNet.trainLMDB, batch: 32).crop(224).mirror().mean(values: 104, 117, 123) }
            Test { Data(lmdb: CaffeNet.valLMDB, batch: 50).crop(224).mean(values: 104, 117, 123) }

            convolution("conv1/7x7_s2", outputs: 64, kernel: 7, stride: 2, relu: "conv1/relu_7x7")
            Pooling("pool1/3x3_s2", .max, kernel: 3, stride: 2)
            LRN("pool1/norm1", size: 5, alpha: 1e-4, beta: 0.75)
            convolution("conv2/3x3_reduce", outputs: 64, kernel: 1, relu: "conv2/relu_3x3_reduce")
            convolution("conv2/3x3", outputs: 192, kernel: 3, relu: "conv2/relu_3x3")
            LRN("conv2/norm2", size: 5, alpha: 1e-4, beta: 0.75)
            Pooling("pool2/3x3_s2", .max, kernel: 3, stride: 2)

            inception("3a", input: "pool2/3x3_s2", Widths(64, 96, 128, 16, 32, 32))
            inception("3b", input: "inception_3a/output", Widths(128, 128, 192, 32, 96, 64))
            Pooling("pool3/3x3_s2", .max, kernel: 3, stride: 2)

            inception("4a", input: "pool3/3x3_s2", Widths(192, 96, 208, 16, 48, 64))
            auxiliaryClassifier("loss1")
            inception("4b", input: "inception_4a/output", Widths(160, 112, 224, 24, 64, 64))
            inception("4c", input: "inception_4b/output", Widths(128, 128, 256, 24, 64, 64))
            inception("4d", input: "inception_4c/output", Widths(112, 144, 288, 32, 64, 64))
            auxiliaryClassifier("loss2")
            inception("4e", input: "inception_4d/output", Widths(256, 160, 320, 32, 128, 128))
            Pooling("pool4/3x3_s2", .max, kernel: 3, stride: 2)

            inception("5a", input: "pool4/3x3_s2", Widths(256, 160, 320, 32, 128, 128))
            inception("5b", input: "inception_5a/output", Widths(384, 192, 384, 48, 128, 128))
            Pooling("pool5/7x7_s1", .average, kernel: 7)
            Dropout("pool5/drop_7x7_s1", ratio: 0.4)
            InnerProduct("loss3/classifier", outputs: 1000).weights(.xavier).lrMult(1)
            SoftmaxWithLoss("loss3/loss3").lossWeight(1)
            Test {
                Accuracy("loss3/top-1")
                Accuracy("loss3/top-5", topK: 5)
            }
        }
    }

    var solver: SolverPlan {
        SolverPlan(baseLR: 0.01, policy: .poly(power: 0.5), momentum: 0.9, weightDecay: 2e-4,
                   iterations: 2_400_000, testEvery: 4_000, testIterations: 1_000,
                   snapshotEvery: 40_000, display: 40)
            .with {
                $0.averageLoss = 40
                $0.testAtStart = false
                $0.snapshotPrefix = "bvlc_googlenet_quick"
            }
    }
}

/// The output widths of an Inception module's branches: 1x1; 3x3 after its 1x1 reduction;
/// 5x5 after its reduction; the 1x1 projection after 3x3 max pooling.
private struct Widths {
    var oneByOne, reduce3, threeByThree, reduce5, fiveByFive, poolProjection: Int
    init(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ e: Int, _ f: Int) {
        (oneByOne, reduce3, threeByThree, reduce5, fiveByFive, poolProjection) = (a, b, c, d, e, f)
    }
}

/// A convolution as GoogLeNet has them all: xavier weights, biases 0.2, "same" padding, and a
/// ReLU named `relu` after it.
@NetBuilder
private func convolution(_ name: String, input: String? = nil, outputs: Int, kernel: Int, stride: Int = 1,
                         relu: String) -> [LayerSpec] {
    let layer = Convolution(name, outputs: outputs, kernel: kernel, stride: stride, pad: kernel / 2)
        .weights(.xavier).bias(.constant(0.2)).lrMult(1)
    if let input { layer.inputs(input) } else { layer }
    ReLU(relu)
}

/// An Inception module: four branches from `input`, joined along the channels into
/// `inception_<name>/output`.
@NetBuilder
private func inception(_ name: String, input: String, _ w: Widths) -> [LayerSpec] {
    let p = "inception_\(name)/"
    convolution(p + "1x1", input: input, outputs: w.oneByOne, kernel: 1, relu: p + "relu_1x1")
    convolution(p + "3x3_reduce", input: input, outputs: w.reduce3, kernel: 1, relu: p + "relu_3x3_reduce")
    convolution(p + "3x3", outputs: w.threeByThree, kernel: 3, relu: p + "relu_3x3")
    convolution(p + "5x5_reduce", input: input, outputs: w.reduce5, kernel: 1, relu: p + "relu_5x5_reduce")
    convolution(p + "5x5", outputs: w.fiveByFive, kernel: 5, relu: p + "relu_5x5")
    Pooling(p + "pool", .max, kernel: 3, pad: 1).inputs(input)
    convolution(p + "pool_proj", outputs: w.poolProjection, kernel: 1, relu: p + "relu_pool_proj")
    Concat(p + "output", p + "1x1", p + "3x3", p + "5x5", p + "pool_proj")
}

/// An auxiliary classifier on the previous module's output, its loss weighing 0.3.
@NetBuilder
private func auxiliaryClassifier(_ name: String) -> [LayerSpec] {
    Pooling("\(name)/ave_pool", .average, kernel: 5, stride: 3)
    convolution("\(name)/conv", outputs: 128, kernel: 1, relu: "\(name)/relu_conv")
    InnerProduct("\(name)/fc", outputs: 1024).weights(.xavier).bias(.constant(0.2)).lrMult(1)
    ReLU("\(name)/relu_fc")
    Dropout("\(name)/drop_fc", ratio: 0.7)
    InnerProduct("\(name)/classifier", outputs: 1000).weights(.xavier).lrMult(1)
    SoftmaxWithLoss("\(name)/loss").outputs("\(name)/\(name)").lossWeight(0.3)
    Test {
        Accuracy("\(name)/top-1")
        Accuracy("\(name)/top-5", topK: 5)
    }
}

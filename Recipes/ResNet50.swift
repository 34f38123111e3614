import NetDSL

/// ResNet-50 as He et al. published it for Caffe (ResNet-50-deploy.prototxt): BatchNorm and
/// Scale after every convolution, bottleneck blocks with projection shortcuts where a stage
/// begins, trained on the ILSVRC12 data as CaffeNet is (224x224 crops of the 256x256 images).
/// Layer names are the published ones, so Caffe's ResNet-50 weights load into it.
struct ResNet50: Recipe {
    static let summary = "ResNet-50 (He et al. 2015, the published Caffe model) on ILSVRC12 (224x224 crops)"

    var net: Net {
        Net("ResNet-50") {
            Train { Data(lmdb: CaffeNet.trainLMDB, batch: 32).crop(224).mirror().mean(file: CaffeNet.meanFile) }
            Test { Data(lmdb: CaffeNet.valLMDB, batch: 50).crop(224).mean(file: CaffeNet.meanFile) }

            Convolution("conv1", outputs: 64, kernel: 7, stride: 2, pad: 3).weights(.msra)
            BatchNorm("bn_conv1")
            Scale("scale_conv1", bias: true)
            ReLU("conv1_relu")
            Pooling("pool1", .max, kernel: 3, stride: 2)

            // Stages 2-5 (res2a ... res5c); each but the first starts by halving the image. Each
            // block reads the one before it (pool1 for the first).
            for (stage, shape) in stages.enumerated() {
                for block in 0..<shape.blocks {
                    bottleneck(blockName(stage, block), width: shape.width,
                               stride: block == 0 && stage > 0 ? 2 : 1, projection: block == 0)
                }
            }

            Pooling("pool5", .average, kernel: 7)
            InnerProduct("fc1000", outputs: 1000).weights(.msra)
            Test {
                Accuracy("accuracy")
                Accuracy("accuracy_top5", topK: 5)
            }
            SoftmaxWithLoss("loss")
        }
    }

    var solver: SolverPlan {
        // He et al.: SGD with momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at plateaus
        // (here every 30 epochs of 1.28M images at batch 256, scaled to batch 32).
        SolverPlan(baseLR: 0.1 * 32 / 256, policy: .step(gamma: 0.1, every: 1_200_000), momentum: 0.9,
                   weightDecay: 1e-4, iterations: 3_600_000, testEvery: 10_000, testIterations: 1_000,
                   snapshotEvery: 40_000, display: 20)
            .with { $0.snapshotPrefix = "resnet50_train" }
    }
}

/// ResNet-50's four stages: how many bottlenecks each has and their width.
private let stages = [(blocks: 3, width: 64), (blocks: 4, width: 128), (blocks: 6, width: 256), (blocks: 3, width: 512)]

/// `2a`, `2b`, ... `5c`: stage 2 is the first.
private func blockName(_ stage: Int, _ block: Int) -> String {
    "\(stage + 2)\(["a", "b", "c", "d", "e", "f"][block])"
}

/// A convolution without bias, then BatchNorm and Scale in place, as every ResNet convolution
/// is; named res<tag>, bn<tag> and scale<tag> as in the published prototxt.
@NetBuilder
private func convolution(_ tag: String, input: String? = nil, outputs: Int, kernel: Int, stride: Int = 1,
                         relu: Bool) -> [LayerSpec] {
    if let input {
        Convolution("res\(tag)", outputs: outputs, kernel: kernel, stride: stride, pad: kernel / 2, bias: false)
            .weights(.msra).inputs(input)
    } else {
        Convolution("res\(tag)", outputs: outputs, kernel: kernel, stride: stride, pad: kernel / 2, bias: false)
            .weights(.msra)
    }
    BatchNorm("bn\(tag)")
    Scale("scale\(tag)", bias: true)
    if relu { ReLU("res\(tag)_relu") }
}

/// The bottleneck: 1x1 to `width`, 3x3, 1x1 to 4 x `width`, added to the shortcut (a strided
/// 1x1 projection where the block changes the shape), then a ReLU. The block is named for its
/// output, res<name>, as the published prototxt names the blob.
private func bottleneck(_ name: String, width: Int, stride: Int, projection: Bool) -> Block {
    Block("res\(name)") { input in
        if projection {
            convolution("\(name)_branch1", input: input, outputs: 4 * width, kernel: 1, stride: stride, relu: false)
        }
        convolution("\(name)_branch2a", input: input, outputs: width, kernel: 1, stride: stride, relu: true)
        convolution("\(name)_branch2b", outputs: width, kernel: 3, relu: true)
        convolution("\(name)_branch2c", outputs: 4 * width, kernel: 1, relu: false)
        Eltwise("res\(name)", .sum, projection ? "res\(name)_branch1" : input, "res\(name)_branch2c")
        ReLU("res\(name)_relu")
    }
}

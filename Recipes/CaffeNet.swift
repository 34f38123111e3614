import NetDSL

/// CaffeNet: AlexNet as Caffe's bvlc_reference_caffenet trains it (no relighting, pooling
/// before LRN), layer for layer and number for number.
struct CaffeNet: Recipe {
    static let summary = "Caffe's bvlc_reference_caffenet on ILSVRC12 (227x227 crops, 1000 classes)"

    static let trainLMDB = "data/ilsvrc12/train_lmdb"
    static let valLMDB = "data/ilsvrc12/val_lmdb"
    static let meanFile = "data/ilsvrc12/imagenet_mean.binaryproto"

    var net: Net {
        Net("CaffeNet") {
            Train { Data(lmdb: Self.trainLMDB, batch: 256).crop(227).mirror().mean(file: Self.meanFile) }
            Test { Data(lmdb: Self.valLMDB, batch: 50).crop(227).mean(file: Self.meanFile) }

            Convolution("conv1", outputs: 96, kernel: 11, stride: 4)
                .weights(.gaussian(std: 0.01)).bias(.constant(0)).lrMult(1)
            ReLU()
            Pooling("pool1", .max, kernel: 3, stride: 2)
            LRN("norm1", size: 5, alpha: 1e-4, beta: 0.75)

            Convolution("conv2", outputs: 256, kernel: 5, pad: 2, group: 2)
                .weights(.gaussian(std: 0.01)).bias(.constant(1)).lrMult(1)
            ReLU()
            Pooling("pool2", .max, kernel: 3, stride: 2)
            LRN("norm2", size: 5, alpha: 1e-4, beta: 0.75)

            Convolution("conv3", outputs: 384, kernel: 3, pad: 1)
                .weights(.gaussian(std: 0.01)).bias(.constant(0)).lrMult(1)
            ReLU()
            Convolution("conv4", outputs: 384, kernel: 3, pad: 1, group: 2)
                .weights(.gaussian(std: 0.01)).bias(.constant(1)).lrMult(1)
            ReLU()
            Convolution("conv5", outputs: 256, kernel: 3, pad: 1, group: 2)
                .weights(.gaussian(std: 0.01)).bias(.constant(1)).lrMult(1)
            ReLU()
            Pooling("pool5", .max, kernel: 3, stride: 2)

            InnerProduct("fc6", outputs: 4096).weights(.gaussian(std: 0.005)).bias(.constant(1)).lrMult(1)
            ReLU()
            Dropout("drop6", ratio: 0.5)
            InnerProduct("fc7", outputs: 4096).weights(.gaussian(std: 0.005)).bias(.constant(1)).lrMult(1)
            ReLU()
            Dropout("drop7", ratio: 0.5)
            InnerProduct("fc8", outputs: 1000).weights(.gaussian(std: 0.01)).bias(.constant(0)).lrMult(1)

            Test { Accuracy("accuracy") }
            SoftmaxWithLoss("loss")
        }
    }

    var solver: SolverPlan {
        SolverPlan(baseLR: 0.01, policy: .step(gamma: 0.1, every: 100_000), momentum: 0.9,
                   weightDecay: 5e-4, iterations: 450_000, testEvery: 1_000, testIterations: 1_000,
                   snapshotEvery: 10_000, display: 20)
            .with { $0.snapshotPrefix = "caffenet_train" }
    }
}

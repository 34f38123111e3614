import NetDSL

/// Caffe's MNIST LeNet, trained on Fashion-MNIST (`experiments prepare fashion-mnist` makes the
/// databases; `experiments lenet` makes them itself when they are missing).
struct LeNet: Recipe {
    static let summary = "Caffe's MNIST LeNet on Fashion-MNIST (28x28 grey, 10 classes)"

    var net: Net {
        Net("LeNet") {
            Train { Data(lmdb: "data/fashion-mnist/train_lmdb", batch: 64).scale(0.00390625) }
            Test { Data(lmdb: "data/fashion-mnist/test_lmdb", batch: 100).scale(0.00390625) }
            Convolution("conv1", outputs: 20, kernel: 5).weights(.xavier).lrMult(1, bias: 2, biasDecay: 1)
            Pooling("pool1", .max, kernel: 2, stride: 2)
            Convolution("conv2", outputs: 50, kernel: 5).weights(.xavier).lrMult(1, bias: 2, biasDecay: 1)
            Pooling("pool2", .max, kernel: 2, stride: 2)
            InnerProduct("ip1", outputs: 500).weights(.xavier).lrMult(1, bias: 2, biasDecay: 1)
            ReLU("relu1")
            InnerProduct("ip2", outputs: 10).weights(.xavier).lrMult(1, bias: 2, biasDecay: 1)
            Test { Accuracy("accuracy") }
            SoftmaxWithLoss("loss")
        }
    }

    var solver: SolverPlan {
        SolverPlan(baseLR: 0.01, policy: .inv(gamma: 1e-4, power: 0.75), momentum: 0.9,
                   weightDecay: 5e-4, iterations: 10_000, testEvery: 500, testIterations: 100,
                   snapshotEvery: 5_000, display: 100)
    }
}

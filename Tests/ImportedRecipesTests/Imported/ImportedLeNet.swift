// ImportedLeNet: Caffe's net "LeNet", written by `experiments import` from
//   Tests/RuntimeTests/Fixtures/caffe/examples/mnist/lenet_solver.prototxt
// Layer names are Caffe's, so .caffemodel weights load into it by name.
// From here on it is a recipe like any other: edit it freely.
//
// Caffe settings the import accepted but that have no effect here:
//   Tests/RuntimeTests/Fixtures/caffe/examples/mnist/lenet_solver.prototxt:25: solver: 'solver_mode: GPU' ignored: Crema trains on the CPU

import NetDSL

/// Caffe's LeNet, imported from lenet_solver.prototxt
struct ImportedLeNet: Recipe {
    static let summary = "Caffe's LeNet, imported from lenet_solver.prototxt"

    var net: Net {
        Net("LeNet") {
            Train {
                Data("mnist", lmdb: "examples/mnist/mnist_train_lmdb", batch: 64).scale(0.00390625)
            }
            Test {
                Data("mnist", lmdb: "examples/mnist/mnist_test_lmdb", batch: 100).scale(0.00390625)
            }

            Convolution("conv1", outputs: 20, kernel: 5).weights(.xavier).lrMult(1, biasDecay: 1)
            Pooling("pool1", .max, kernel: 2, stride: 2)
            Convolution("conv2", outputs: 50, kernel: 5).weights(.xavier).lrMult(1, biasDecay: 1)
            Pooling("pool2", .max, kernel: 2, stride: 2)
            InnerProduct("ip1", outputs: 500).weights(.xavier).lrMult(1, biasDecay: 1)
            ReLU()
            InnerProduct("ip2", outputs: 10).weights(.xavier).lrMult(1, biasDecay: 1)

            Test { Accuracy("accuracy") }
            SoftmaxWithLoss("loss")
        }
    }

    var solver: SolverPlan {
        SolverPlan(baseLR: 0.01, policy: .inv(gamma: 1e-4, power: 0.75), momentum: 0.9,
                   weightDecay: 5e-4, iterations: 10_000, testEvery: 500, testIterations: 100,
                   snapshotEvery: 5_000, display: 100)
            .with { $0.snapshotPrefix = "examples/mnist/lenet" }
    }
}

// ImportedCaffeNet: Caffe's net "CaffeNet", written by `experiments import` from
//   Tests/RuntimeTests/Fixtures/caffe/models/bvlc_reference_caffenet/solver.prototxt
// Layer names are Caffe's, so .caffemodel weights load into it by name.
// From here on it is a recipe like any other: edit it freely.
//
// Caffe settings the import accepted but that have no effect here:
//   Tests/RuntimeTests/Fixtures/caffe/models/bvlc_reference_caffenet/solver.prototxt:14: solver: 'solver_mode: GPU' ignored: Crema trains on the CPU

import NetDSL

/// Caffe's CaffeNet, imported from solver.prototxt
struct ImportedCaffeNet: Recipe {
    static let summary = "Caffe's CaffeNet, imported from solver.prototxt"

    var net: Net {
        Net("CaffeNet") {
            Train {
                Data(lmdb: "examples/imagenet/ilsvrc12_train_lmdb", batch: 256)
                    .crop(227).mirror().mean(file: "data/ilsvrc12/imagenet_mean.binaryproto")
            }
            Test {
                Data(lmdb: "examples/imagenet/ilsvrc12_val_lmdb", batch: 50)
                    .crop(227).mean(file: "data/ilsvrc12/imagenet_mean.binaryproto")
            }

            Convolution("conv1", outputs: 96, kernel: 11, stride: 4)
                .weights(.gaussian(std: 0.01)).lrMult(1)
            ReLU()
            Pooling("pool1", .max, kernel: 3, stride: 2)
            LRN("norm1", size: 5, alpha: 1e-4, beta: 0.75)
            Convolution("conv2", outputs: 256, kernel: 5, pad: 2, group: 2)
                .weights(.gaussian(std: 0.01)).bias(.constant(1)).lrMult(1)
            ReLU()
            Pooling("pool2", .max, kernel: 3, stride: 2)
            LRN("norm2", size: 5, alpha: 1e-4, beta: 0.75)
            Convolution("conv3", outputs: 384, kernel: 3, pad: 1)
                .weights(.gaussian(std: 0.01)).lrMult(1)
            ReLU()
            Convolution("conv4", outputs: 384, kernel: 3, pad: 1, group: 2)
                .weights(.gaussian(std: 0.01)).bias(.constant(1)).lrMult(1)
            ReLU()
            Convolution("conv5", outputs: 256, kernel: 3, pad: 1, group: 2)
                .weights(.gaussian(std: 0.01)).bias(.constant(1)).lrMult(1)
            ReLU()
            Pooling("pool5", .max, kernel: 3, stride: 2)
            InnerProduct("fc6", outputs: 4096)
                .weights(.gaussian(std: 0.005)).bias(.constant(1)).lrMult(1)
            ReLU()
            Dropout("drop6", ratio: 0.5)
            InnerProduct("fc7", outputs: 4096)
                .weights(.gaussian(std: 0.005)).bias(.constant(1)).lrMult(1)
            ReLU()
            Dropout("drop7", ratio: 0.5)
            InnerProduct("fc8", outputs: 1000).weights(.gaussian(std: 0.01)).lrMult(1)

            Test { Accuracy("accuracy") }
            SoftmaxWithLoss("loss")
        }
    }

    var solver: SolverPlan {
        SolverPlan(baseLR: 0.01, policy: .step(gamma: 0.1, every: 100_000), momentum: 0.9,
                   weightDecay: 5e-4, iterations: 450_000, testEvery: 1_000, testIterations: 1_000,
                   snapshotEvery: 10_000, display: 20)
            .with { $0.snapshotPrefix = "models/bvlc_reference_caffenet/caffenet_train" }
    }
}

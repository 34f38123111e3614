import NetDSL

/// LeNet at three learning rates and two momenta: a sweep declared in Swift, run with
/// `experiments lenet-lr` like any recipe (and resumed, and compared, like any sweep).
struct LeNetRates: Experiment {
    static let name = "lenet-lr"
    static let summary = "LeNet at three learning rates and two momenta (a sweep of six runs)"

    var runs: [ExperimentRun] {
        for rate: Float in [0.02, 0.01, 0.005] {
            for momentum: Float in [0.9, 0.95] {
                ExperimentRun(LeNet.self, .solver(\.baseLR, rate), .solver(\.momentum, momentum))
            }
        }
    }
}

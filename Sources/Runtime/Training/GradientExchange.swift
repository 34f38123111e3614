/// Averages the parameter gradients across a replica group while the backward pass runs, as
/// PyTorch's DDP and Horovod do: a parameter's gradient is complete once the last layer that
/// uses it (in backward order) is done; complete gradients gather into buckets, and each
/// bucket's sum starts as soon as it is full, so the sums overlap the layers still running.
final class GradientExchange {
    let group: ReplicaGroup
    /// The learned parameters whose gradients are complete once layer `i` is done.
    private let readyAfter: [Int: [Parameter]]
    /// Learned parameters no TRAIN layer uses (their gradients stay zero), summed last.
    private let unused: [Parameter]
    /// Floats per bucket before its sum starts.
    private let bucketFloats: Int
    private var pending: [(pointer: UnsafeMutablePointer<Float>, count: Int)] = []
    private var pendingFloats = 0

    /// Seconds the trainer waited for sums after backward, and the seconds summing took, since
    /// the trainer last read them.
    var waitedSeconds = 0.0
    var summedSeconds = 0.0

    init(group: ReplicaGroup, graph: Graph, store: ParameterStore, bucketFloats: Int = 1 << 20) {
        self.group = group
        self.bucketFloats = max(bucketFloats, 1)
        let learned = store.parameters.filter(\.learned)
        var lastUser: [ObjectIdentifier: Int] = [:]
        for (i, layer) in graph.layers.enumerated() {
            for tensor in layer.parameters {
                let id = ObjectIdentifier(tensor)
                lastUser[id] = min(lastUser[id] ?? i, i)
            }
        }
        var ready: [Int: [Parameter]] = [:]
        var unused: [Parameter] = []
        for parameter in learned {
            if let i = lastUser[ObjectIdentifier(parameter.tensor)] {
                ready[i, default: []].append(parameter)
            } else {
                unused.append(parameter)
            }
        }
        readyAfter = ready
        self.unused = unused
    }

    /// Call after each layer's backward, in backward order, on the last batch of an update.
    func layerDone(_ index: Int) {
        guard let parameters = readyAfter[index] else { return }
        for parameter in parameters {
            pending.append((parameter.tensor.diff, parameter.tensor.count))
            pendingFloats += parameter.tensor.count
        }
        if pendingFloats >= bucketFloats { flush() }
    }

    /// Starts what is left and waits for every sum: the gradients are then the group's average.
    func finish() throws {
        for parameter in unused {
            pending.append((parameter.tensor.diff, parameter.tensor.count))
        }
        flush()
        let clock = ContinuousClock()
        let start = clock.now
        try group.finishSums()
        let waited = clock.now - start
        waitedSeconds += waited.seconds
        summedSeconds += group.takeSumSeconds()
    }

    private func flush() {
        guard !pending.isEmpty else { return }
        group.startSum(pending, scale: 1 / Float(group.size))
        pending = []
        pendingFloats = 0
    }
}

import Foundation
import NetDSL

/// Receives what a training run reports: Caffe-shaped log messages, metric values and progress.
public protocol TrainingObserver: AnyObject {
    /// A log message in Caffe's words (without glog's prefix) and the Caffe source tag it
    /// imitates, e.g. ("Iteration 100, lr = 0.01", "sgd_solver.cpp:138").
    func log(_ message: String, source: String)
    /// One scalar: training loss and outputs at display intervals, test outputs after each test.
    func metric(iteration: Int, phase: Phase, name: String, value: Double)
    /// Called after every iteration, for live progress lines.
    func progress(iteration: Int, of total: Int, loss: Float, imagesPerSecond: Double)
}

/// What a finished (or stopped) run amounts to.
public struct TrainingSummary: Codable, Sendable {
    public var iterations: Int
    public var seconds: Double
    public var imagesPerSecond: Double
    public var finalLoss: Float?
    /// The training loss of this run's first iteration, to tell whether the loss fell.
    public var firstLoss: Float? = nil
    /// The last test pass's outputs (e.g. accuracy, loss), by name.
    public var finalTest: [String: Double]
    /// The best value each test output reached, with the iteration (max for accuracy, min for loss).
    public var bestTest: [String: BestValue]
    public var weights: String?
    /// Set when replicas trained together: how long they spent averaging gradients.
    public var communication: CommunicationSummary? = nil

    public struct BestValue: Codable, Sendable {
        public var value: Double
        public var iteration: Int
    }
}

import Foundation
import NetDSL
import Runtime

/// Tells a finished run that learnt from one that only ran: test accuracy no better than
/// guessing, or a training loss that never fell. Such a run is flagged in summary.json and by
/// `compare` rather than reported as plainly finished.
enum LearningCheck {
    /// Why a run looks as if it did not learn.
    struct Verdict: Codable, Equatable {
        var learnt: Bool
        /// Each sign that it did not, in words (empty when it learnt).
        var reasons: [String]
    }

    /// An accuracy is at chance level while its best value stays under chance plus this share
    /// of the room above chance, `chance + margin * chance * (1 - chance)` with chance k/classes:
    /// 0.145 among 10 classes, 0.625 between 2, 0.0015 among 1000. A net that learns anything
    /// clears it within a test pass or two.
    static let chanceMargin = 0.5
    /// The loss has fallen when the last smoothed loss is below this fraction of the first.
    static let fallenFraction: Float = 0.95

    /// `classes` maps each accuracy output to (classes, k), read from the TEST net's shapes.
    /// `fromScratch` says the run trained from its fillers from iteration 0 to its end (not
    /// resumed, fine-tuned or stopped), the only runs whose first loss says where learning began.
    static func verdict(for summary: TrainingSummary, classes: [String: (classes: Int, topK: Int)],
                        fromScratch: Bool) -> Verdict {
        var reasons: [String] = []
        for (name, entry) in classes.sorted(by: { $0.key < $1.key }) where entry.classes > 1 {
            guard let best = summary.bestTest[name]?.value ?? summary.finalTest[name] else { continue }
            let chance = Double(min(entry.topK, entry.classes)) / Double(entry.classes)
            if chance < 1, best < chance + chanceMargin * chance * (1 - chance) {
                reasons.append(String(format: "%@ never rose above chance level (best %.4f; guessing among %d classes gives %.4f)",
                                      name, best, entry.classes, chance))
            }
        }
        if fromScratch, let first = summary.firstLoss, let last = summary.finalLoss, first.isFinite, last.isFinite,
           first > 0, summary.iterations > 1, !(last < first * fallenFraction) {
            reasons.append(String(format: "the training loss did not fall (%.4g at the first iteration, %.4g at the last)",
                                  first, last))
        }
        return Verdict(learnt: reasons.isEmpty, reasons: reasons)
    }

    /// The classes and k of each Accuracy output of the TEST net.
    static func accuracyOutputs(of net: NetSpec, testGraph: Graph?) -> [String: (classes: Int, topK: Int)] {
        guard let testGraph, let resolved = try? net.resolved(for: .test) else { return [:] }
        var result: [String: (classes: Int, topK: Int)] = [:]
        for layer in resolved.layers {
            guard case .accuracy(let p) = layer.kind, let scores = layer.bottoms.first,
                  let shape = testGraph.blobs[scores]?.shape, !shape.isEmpty else { continue }
            let axis = p.axis < 0 ? p.axis + shape.count : p.axis
            guard shape.indices.contains(axis), let top = layer.tops.first else { continue }
            result[top] = (shape[axis], p.topK)
        }
        return result
    }
}

import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    @Suite struct LearningCheckTests {
        func summary(first: Float?, last: Float?, accuracy: Double?, iterations: Int = 500) -> TrainingSummary {
            var test: [String: Double] = [:]
            var best: [String: TrainingSummary.BestValue] = [:]
            if let accuracy {
                test["accuracy"] = accuracy
                best["accuracy"] = .init(value: accuracy, iteration: iterations)
            }
            return TrainingSummary(iterations: iterations, seconds: 1, imagesPerSecond: 1, finalLoss: last,
                                   firstLoss: first, finalTest: test, bestTest: best, weights: nil)
        }

        @Test func aRunThatLearntIsNotFlagged() {
            let verdict = LearningCheck.verdict(for: summary(first: 2.3, last: 0.6, accuracy: 0.78),
                                                classes: ["accuracy": (10, 1)])
            #expect(verdict == .init(learnt: true, reasons: []))
        }

        @Test func accuracyAtChanceLevelIsFlagged() throws {
            let verdict = try #require(LearningCheck.verdict(for: summary(first: 2.3, last: 1.0, accuracy: 0.11),
                                                             classes: ["accuracy": (10, 1)]))
            #expect(!verdict.learnt)
            #expect(verdict.reasons.count == 1)
            #expect(verdict.reasons[0].contains("chance level"))
            #expect(verdict.reasons[0].contains("10 classes gives 0.1000"))
            // Top-5 among 10 classes: guessing gives 0.5, so 0.6 is still chance.
            let top5 = LearningCheck.verdict(for: summary(first: 2.3, last: 1.0, accuracy: 0.6),
                                             classes: ["accuracy": (10, 5)])
            #expect(top5?.learnt == false)
            // 0.02 among 1000 classes is twenty times chance: it learnt something.
            let imagenet = LearningCheck.verdict(for: summary(first: 6.9, last: 5.0, accuracy: 0.02),
                                                 classes: ["accuracy": (1000, 1)])
            #expect(imagenet?.learnt == true)
        }

        @Test func aLossThatDidNotFallIsFlagged() throws {
            let flat = try #require(LearningCheck.verdict(for: summary(first: 2.30, last: 2.29, accuracy: nil), classes: [:]))
            #expect(!flat.learnt)
            #expect(flat.reasons.first?.contains("did not fall") == true)
            let rising = LearningCheck.verdict(for: summary(first: 2.3, last: 87.3, accuracy: nil), classes: [:])
            #expect(rising?.learnt == false)
            let falling = LearningCheck.verdict(for: summary(first: 2.3, last: 2.0, accuracy: nil), classes: [:])
            #expect(falling?.learnt == true)
        }
    }
}

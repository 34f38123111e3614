import Foundation
import NetDSL
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
                                                classes: ["accuracy": (10, 1)], fromScratch: true)
            #expect(verdict == .init(learnt: true, reasons: []))
        }

        @Test func accuracyAtChanceLevelIsFlagged() throws {
            let verdict = LearningCheck.verdict(for: summary(first: 2.3, last: 1.0, accuracy: 0.11),
                                                classes: ["accuracy": (10, 1)], fromScratch: true)
            #expect(!verdict.learnt)
            #expect(verdict.reasons.count == 1)
            #expect(verdict.reasons[0].contains("chance level"))
            #expect(verdict.reasons[0].contains("10 classes gives 0.1000"))
            // Top-5 among 10 classes: guessing gives 0.5, so 0.6 is still chance, 0.7 is not.
            let top5 = LearningCheck.verdict(for: summary(first: 2.3, last: 1.0, accuracy: 0.6),
                                             classes: ["accuracy": (10, 5)], fromScratch: true)
            #expect(!top5.learnt)
            #expect(LearningCheck.verdict(for: summary(first: 2.3, last: 1.0, accuracy: 0.7),
                                          classes: ["accuracy": (10, 5)], fromScratch: true).learnt)
            // Two classes: 0.7 is a classifier, 0.55 a coin.
            #expect(LearningCheck.verdict(for: summary(first: 0.7, last: 0.5, accuracy: 0.7),
                                          classes: ["accuracy": (2, 1)], fromScratch: true).learnt)
            #expect(!LearningCheck.verdict(for: summary(first: 0.7, last: 0.5, accuracy: 0.55),
                                           classes: ["accuracy": (2, 1)], fromScratch: true).learnt)
            // 0.02 among 1000 classes is twenty times chance: it learnt something.
            let imagenet = LearningCheck.verdict(for: summary(first: 6.9, last: 5.0, accuracy: 0.02),
                                                 classes: ["accuracy": (1000, 1)], fromScratch: true)
            #expect(imagenet.learnt)
        }

        @Test func theClassesComeFromTheTestNetsAccuracyInputs() throws {
            let net = Net("Classes") {
                Input("data", shapes: [[4, 6], [4]]).outputs("data", "label")
                InnerProduct("scores", outputs: 7)
                Test {
                    Accuracy("top1")
                    Accuracy("top3", topK: 3)
                }
                SoftmaxWithLoss("loss")
            }.spec
            let graph = try Compiler.compile(net, for: .test, store: ParameterStore(seed: 1))
            let found = LearningCheck.accuracyOutputs(of: net, testGraph: graph)
            #expect(found.keys.sorted() == ["top1", "top3"])
            #expect(found["top1"].map { [$0.classes, $0.topK] } == [7, 1])
            #expect(found["top3"].map { [$0.classes, $0.topK] } == [7, 3])
            #expect(LearningCheck.accuracyOutputs(of: net, testGraph: nil).isEmpty)
        }

        @Test func aLossThatDidNotFallIsFlagged() throws {
            let flat = LearningCheck.verdict(for: summary(first: 2.30, last: 2.29, accuracy: nil), classes: [:], fromScratch: true)
            #expect(!flat.learnt)
            #expect(flat.reasons.first?.contains("did not fall") == true)
            let rising = LearningCheck.verdict(for: summary(first: 2.3, last: 87.3, accuracy: nil), classes: [:], fromScratch: true)
            #expect(!rising.learnt)
            let falling = LearningCheck.verdict(for: summary(first: 2.3, last: 2.0, accuracy: nil), classes: [:], fromScratch: true)
            #expect(falling.learnt)
            // A resumed or fine-tuned run starts low: its flat loss says nothing.
            #expect(LearningCheck.verdict(for: summary(first: 0.30, last: 0.29, accuracy: nil), classes: [:], fromScratch: false).learnt)
        }
    }
}

import Foundation
import Testing
@testable import FuzzHarnesses

/// Replays every seed and every input a fuzzer once found to crash through the same harness
/// the fuzzers drive: none may crash, each refusal says why, and the real files among the seeds
/// are read, not refused (a harness that refused everything would fuzz nothing).
@Suite struct FuzzCorpusTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func files(_ folder: String, _ target: String) -> [URL] {
        let url = fuzz.appendingPathComponent(folder).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { url.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzHarness.targets.keys.sorted())
    func seedsAndCrashersReplay(_ target: String) throws {
        let harness = try #require(FuzzHarness.targets[target])
        let seeds = Self.files("Corpus", target)
        #expect(!seeds.isEmpty, "Fuzz/Corpus/\(target) has no seeds; run python3 Fuzz/make_seeds.py")
        for file in seeds + Self.files("Crashers", target) {
            let outcome = harness(try Data(contentsOf: file))
            if case .refused(let reason) = outcome {
                #expect(!reason.trimmingCharacters(in: .whitespaces).isEmpty, "\(file.lastPathComponent) refused without a reason")
            }
        }
    }

    /// Seeds that are real, valid files, and what each harness must make of them.
    @Test(arguments: [
        ("datum", "raw_3x4x5"), ("datum", "grey_1x2x2"), ("datum", "floats_1x2x3"),
        ("datum", "encoded_jpeg"), ("datum", "encoded_png"),
        ("blobproto", "mean_1x3x2x2"), ("blobproto", "mean_legacy"), ("blobproto", "mean_chw"),
        ("netparameter", "tiny_blobshape.caffemodel"), ("netparameter", "tiny_v1_legacy.caffemodel"),
        ("solverstate", "caffe_sgd"), ("solverstate", "legacy_no_step"), ("solverstate", "crema_resume"),
        ("prototxt", "lenet_train_test.prototxt"), ("prototxt", "tiny.prototxt"),
        ("jpeg", "grey.jpg"), ("jpeg", "progressive.jpg"), ("jpeg", "cmyk.jpg"),
        ("png", "grey1.png"), ("png", "palette4.png"), ("png", "greyalpha.png"),
        ("listfile", "list.txt"), ("recipejson", "lenet_recipe.json"),
    ])
    func realFilesAreRead(_ target: String, _ name: String) throws {
        let harness = try #require(FuzzHarness.targets[target])
        let data = try Data(contentsOf: Self.fuzz.appendingPathComponent("Corpus/\(target)/\(name)"))
        #expect(harness(data) == .accepted)
    }

    @Test(arguments: ["syntax.prototxt", "unclosed.prototxt", "unknown_type.prototxt", "bad_value.prototxt"])
    func badPrototxtsAreRefusedWithTheirLine(_ name: String) throws {
        let data = try Data(contentsOf: Self.fuzz.appendingPathComponent("Corpus/prototxt/\(name)"))
        guard case .refused(let reason) = FuzzHarness.prototxt(data) else {
            Issue.record("\(name) was accepted")
            return
        }
        #expect(reason.contains("fuzz"), "\(reason)")
    }

    @Test func overridesApplyAndAnUnknownKeyIsRefused() {
        #expect(FuzzHarness.overrides(Data("solver.base_lr=0.001\ndata.train.batch_size=8".utf8)) == .accepted)
        guard case .refused(let reason) = FuzzHarness.overrides(Data("solver.nonsense=1".utf8)) else {
            Issue.record("an unknown key was accepted")
            return
        }
        #expect(reason.contains("solver.nonsense"))
    }

    /// What each kept crasher was, and the refusal that replaced the crash.
    @Test(arguments: [
        ("blobproto", "shape-product-overflow", "cannot be read"),
        ("jpeg", "huge-progressive-header", "above the limit"),
    ])
    func crashersAreRefusedWithTheirReason(_ target: String, _ name: String, _ reason: String) throws {
        let harness = try #require(FuzzHarness.targets[target])
        let data = try Data(contentsOf: Self.fuzz.appendingPathComponent("Crashers/\(target)/\(name)"))
        guard case .refused(let why) = harness(data) else {
            Issue.record("\(name) was accepted")
            return
        }
        #expect(why.contains(reason), "\(why)")
    }

    @Test func bytesThatAreNoFileAreRefused() {
        for target in FuzzHarness.targets.keys.sorted() where !["listfile", "overrides", "prototxt"].contains(target) {
            let outcome = FuzzHarness.targets[target]?(Data([0xFF, 0x00, 0x13, 0x37]))
            #expect(outcome != .accepted, "\(target) accepted four random bytes")
        }
    }
}

import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct DataTransformerTests {
    /// A 1x5x5 record with pixel (h, w) = 5h + w, or `channels` of them offset by 100 per channel.
    func ramp(channels: Int = 1, label: Int = 0) -> Caffe_Datum {
        Caffe_Datum(channels: channels, height: 5, width: 5,
                    bytes: (0..<(channels * 25)).map { UInt8(($0 / 25) * 100 + $0 % 25) }, label: label)
    }

    func run(_ t: DataTransformer, _ d: Caffe_Datum, seed: UInt64 = 1) throws -> [Float] {
        let shape = try t.outputShape(for: d.shape)
        var out = [Float](repeating: .nan, count: shape.reduce(1, *))
        var random = RandomGenerator(seed: seed)
        try out.withUnsafeMutableBufferPointer { try t.transform(d, into: $0.baseAddress!, random: &random) }
        return out
    }

    @Test func noSettingsCopiesThePixels() throws {
        let t = try DataTransformer(params: TransformParams(), phase: .train)
        let expected: [Float] = (0..<25).map(Float.init)
        #expect(try run(t, ramp()) == expected)
    }

    @Test func testPhaseCropsTheCentre() throws {
        var p = TransformParams()
        p.cropSize = 3
        let t = try DataTransformer(params: p, phase: .test)
        #expect(try t.outputShape(for: [1, 5, 5]) == [1, 3, 3])
        // Offset (5 - 3) / 2 = 1 in both directions, whatever the seed.
        let centre: [Float] = [6, 7, 8, 11, 12, 13, 16, 17, 18]
        #expect(try run(t, ramp(), seed: 1) == centre)
        #expect(try run(t, ramp(), seed: 99) == centre)
    }

    @Test func trainPhaseCropsAtRandomOffsetsInRange() throws {
        var p = TransformParams()
        p.cropSize = 3
        let t = try DataTransformer(params: p, phase: .train)
        var offsets = Set<[Int]>()
        for seed in 0..<60 {
            let out = try run(t, ramp(), seed: UInt64(seed))
            let (h, w) = (Int(out[0]) / 5, Int(out[0]) % 5)
            #expect(h <= 2 && w <= 2)
            // The window is contiguous at that offset.
            let window: [Float] = (0..<9).map { i in Float((h + i / 3) * 5 + w + i % 3) }
            #expect(out == window)
            offsets.insert([h, w])
        }
        // 60 draws over 9 offsets: all but impossible to miss more than a few.
        #expect(offsets.count >= 6)
    }

    @Test func meanFileIsSubtractedAtTheCropOffset() throws {
        var p = TransformParams()
        p.cropSize = 3
        p.scale = 2
        let mean = MeanImage(channels: 1, height: 5, width: 5, values: (0..<25).map { Float($0) * 0.25 })
        let t = try DataTransformer(params: p, phase: .test, mean: mean)
        // pixel i minus mean i (= 0.75 i) at the same full-size position, times 2.
        let expected: [Float] = [6, 7, 8, 11, 12, 13, 16, 17, 18].map { (i: Int) -> Float in Float(i) * 0.75 * 2 }
        #expect(try run(t, ramp()) == expected)
    }

    @Test func meanFileIsReadFromTheParams() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let url = dir.appendingPathComponent("mean.binaryproto")
        try MeanFile.write(MeanImage(channels: 1, height: 5, width: 5, values: Array(repeating: 10, count: 25)), to: url)
        var p = TransformParams()
        p.meanFile = url.path
        let t = try DataTransformer(params: p, phase: .train)
        let expected: [Float] = (0..<25).map { (i: Int) -> Float in Float(i) - 10 }
        #expect(try run(t, ramp()) == expected)
    }

    @Test func meanValuesPerChannelOrOneForAll() throws {
        var p = TransformParams()
        p.meanValue = [1, 50]
        p.scale = 0.5
        let two = try DataTransformer(params: p, phase: .train)
        let out = try run(two, ramp(channels: 2))
        let first: [Float] = (0..<25).map { (i: Int) -> Float in (Float(i) - 1) * 0.5 }
        let second: [Float] = (0..<25).map { (i: Int) -> Float in (Float(100 + i) - 50) * 0.5 }
        #expect(Array(out[0..<25]) == first)
        #expect(Array(out[25..<50]) == second)

        p.meanValue = [3]
        let one = try DataTransformer(params: p, phase: .train)
        let shared = try run(one, ramp(channels: 2))
        let sharedSecond: [Float] = (0..<25).map { (i: Int) -> Float in (Float(100 + i) - 3) * 0.5 }
        #expect(Array(shared[25..<50]) == sharedSecond)

        p.meanValue = [1, 2, 3]
        let wrong = try DataTransformer(params: p, phase: .train)
        #expect(throws: DataError.self) { try wrong.outputShape(for: [2, 5, 5]) }
    }

    @Test func mirrorFlipsRowsOnACoinToss() throws {
        var p = TransformParams()
        p.mirror = true
        p.cropSize = 3
        // Caffe mirrors in TEST too when asked (do_mirror = mirror && Rand(2)).
        let t = try DataTransformer(params: p, phase: .test)
        let plain: [Float] = [6, 7, 8, 11, 12, 13, 16, 17, 18]
        let flipped: [Float] = [8, 7, 6, 13, 12, 11, 18, 17, 16]
        var seen = (plain: 0, flipped: 0)
        for seed in 0..<40 {
            let out = try run(t, ramp(), seed: UInt64(seed))
            if out == plain { seen.plain += 1 } else if out == flipped { seen.flipped += 1 }
            else { Issue.record("output \(out) is neither the crop nor its mirror") }
        }
        #expect(seen.plain > 0 && seen.flipped > 0)
    }

    @Test func sameSeedSameOutput() throws {
        var p = TransformParams()
        p.mirror = true
        p.cropSize = 2
        p.meanValue = [4]
        let t = try DataTransformer(params: p, phase: .train)
        var outputs = Set<[Float]>()
        for seed in 0..<10 {
            let a = try run(t, ramp(), seed: UInt64(seed))
            let b = try run(t, ramp(), seed: UInt64(seed))
            #expect(a == b)
            outputs.insert(a)
        }
        #expect(outputs.count > 1)
    }

    @Test func floatRecordsAreTransformedToo() throws {
        var p = TransformParams()
        p.scale = 10
        let t = try DataTransformer(params: p, phase: .train)
        let d = Caffe_Datum(channels: 1, height: 1, width: 3, floats: [0.5, -0.25, 1], label: 0)
        #expect(try run(t, d) == [5, -2.5, 10])
    }

    @Test func settingsThatDoNotFitAreErrors() throws {
        var p = TransformParams()
        p.cropSize = 6
        let big = try DataTransformer(params: p, phase: .train)
        #expect(throws: DataError.self) { try big.outputShape(for: [1, 5, 5]) }

        let mean = MeanImage(channels: 1, height: 4, width: 4, values: Array(repeating: 0, count: 16))
        let wrongMean = try DataTransformer(params: TransformParams(), phase: .train, mean: mean)
        #expect { try wrongMean.outputShape(for: [1, 5, 5]) } throws: { error in
            "\(error)".contains("1x4x4") && "\(error)".contains("1x5x5")
        }

        var both = TransformParams()
        both.meanFile = "mean.binaryproto"
        both.meanValue = [1]
        #expect(throws: DataError.self) { try DataTransformer(params: both, phase: .train) }

        var encoded = ramp()
        encoded.encoded = true
        let t = try DataTransformer(params: TransformParams(), phase: .train)
        // Encoded records are decoded; bytes that are no image are an error saying so.
        #expect { try run(t, encoded) } throws: { error in
            guard case DataError.badRecord(_, _, let problem) = error else { return false }
            return problem.contains("not a JPEG or PNG")
        }
    }
}

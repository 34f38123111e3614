import Foundation
import NetDSL
import Testing
@testable import Runtime

/// A root folder of images and a list, as `convert_imageset` reads them.
struct ImagesetFixture {
    let folder: URL
    let root: URL
    let list: URL

    /// `lines` are written as the list; `files` maps a path under the root to a fixture or photo.
    init(_ label: String = #function, files: [String: URL], extra: [String: Foundation.Data] = [:], lines: [String]) throws {
        folder = try DataFixtures.folder(label)
        root = folder.appendingPathComponent("images")
        let fm = FileManager.default
        for (path, source) in files {
            let target = root.appendingPathComponent(path)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.copyItem(at: source, to: target)
        }
        for (path, bytes) in extra {
            let target = root.appendingPathComponent(path)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try bytes.write(to: target)
        }
        list = folder.appendingPathComponent("list.txt")
        try Foundation.Data(lines.joined(separator: "\n").utf8).write(to: list)
    }

    func output(_ name: String = "db") -> URL { folder.appendingPathComponent(name) }

    func convert(_ options: ImagesetOptions, into name: String = "db") throws -> ImagesetSummary {
        try ImagesetConverter.convert(root: root.path, list: list, output: output(name), options: options)
    }

    /// Every record in key order.
    func records(_ name: String = "db") throws -> [(key: String, datum: Caffe_Datum)] {
        let reader = try LMDBReader(path: output(name).path)
        let cursor = try reader.makeCursor()
        return try (0..<reader.count()).map { _ in
            let entry = try cursor.next()
            return (entry.keyText, try Caffe_Datum(record: entry.value))
        }
    }

    /// The folder's entries other than the list and images (what a conversion left).
    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "images" && $0 != "list.txt" }.sorted()
    }

    /// What the converter should store for `path`: decoded, made colour (or grey), resized.
    func expectedImage(_ path: String, channels: Int = 3, width: Int? = nil, height: Int? = nil) throws -> Image {
        var image = try ImageDecoder.decode(file: root.appendingPathComponent(path).path).converted(toChannels: channels)
        if let width, let height { image = try image.resized(width: width, height: height) }
        return image
    }

    func cleanUp() { DataFixtures.cleanUp(folder) }
}

@Suite struct ImagesetConverterTests {
    static let variants = ["progressive.jpg", "grey.jpg", "cmyk.jpg", "palette.png", "grey16.png", "rgba.png", "interlaced.png"]

    static func variantFiles() -> [String: URL] {
        var files: [String: URL] = [:]
        for name in variants { files["variants/\(name)"] = ImageFixtures.fixture(name) }
        return files
    }

    static func damaged() throws -> [String: Foundation.Data] {
        let jpeg = try Foundation.Data(contentsOf: ImageFixtures.fixture("progressive.jpg"))
        var png = try Foundation.Data(contentsOf: ImageFixtures.fixture("palette.png"))
        if let idat = png.range(of: Foundation.Data("IDAT".utf8)) {
            for i in idat.upperBound + 8..<idat.upperBound + 40 { png[i] ^= 0xFF }
        }
        return ["broken/cut.jpg": jpeg.prefix(jpeg.count / 3), "broken/bad.png": png,
                "broken/notes.jpg": Foundation.Data("not an image".utf8)]
    }

    @Test func parsesListsAsCaffeDoes() {
        let text = "a/b.jpg 3\r\nwith space/c d.png 12\n\n  e.png\t4  \nno-label.jpg\nf.jpg cat\ng.jpg -1\nh.jpg 99999999999\n"
        let (entries, problems) = ImagesetConverter.parseList(text)
        #expect(entries == [ImageListEntry(line: 1, path: "a/b.jpg", label: 3),
                            ImageListEntry(line: 2, path: "with space/c d.png", label: 12),
                            ImageListEntry(line: 4, path: "e.png", label: 4)])
        #expect(problems.map(\.line) == [5, 6, 7, 8])
        #expect(problems.allSatisfy { $0.kind == .badLine })
        #expect(problems[0].message.contains("no label"))
        #expect(problems[1].message.contains("'cat'") && problems[1].message.contains("not an integer"))
        #expect(problems[2].message.contains("negative"))
        #expect("\(problems[3])".hasPrefix("line 8: "))
    }

    @Test func joinsRootAndPathAsCaffeDoesOrWithASlash() throws {
        let folder = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(folder) }
        #expect(ImagesetConverter.imagePath(root: folder.path + "/", path: "a.jpg") == folder.path + "/a.jpg")
        #expect(ImagesetConverter.imagePath(root: folder.path, path: "a.jpg") == folder.path + "/a.jpg")
        // Not a folder: a prefix, as Caffe's plain concatenation.
        #expect(ImagesetConverter.imagePath(root: folder.path + "/img_", path: "a.jpg") == folder.path + "/img_a.jpg")
        #expect(ImagesetConverter.imagePath(root: "", path: "a.jpg") == "a.jpg")
    }

    @Test(.enabled(if: ImageFixtures.photosPresent, ImageFixtures.photosMissing))
    func convertsPhotosAndVariantsAndSkipsBadInput() throws {
        var files = Self.variantFiles()
        files["photos/chelsea.png"] = ImageFixtures.photo("chelsea.png")
        files["photos/rocket.jpg"] = ImageFixtures.photo("rocket.jpg")
        files["with space/cat photo.png"] = ImageFixtures.photo("chelsea.png")
        let good = ["photos/chelsea.png", "photos/rocket.jpg"] + Self.variants.map { "variants/\($0)" } + ["with space/cat photo.png"]
        var lines = good.enumerated().map { "\($0.element) \($0.offset % 4)" }
        lines.insert("broken/cut.jpg 1", at: 3)          // line 4
        lines.insert("photos/missing.jpg 2", at: 5)      // line 6
        lines += ["broken/bad.png 0", "broken/notes.jpg 0", "variants/grey.jpg", "variants/grey.jpg two", ""]
        let fixture = try ImagesetFixture(files: files, extra: try Self.damaged(), lines: lines)
        defer { fixture.cleanUp() }

        var options = ImagesetOptions()
        options.resizeWidth = 32
        options.resizeHeight = 24
        var reported: [ImagesetProblem] = []
        var progress: [ImagesetProgress] = []
        let summary = try ImagesetConverter.convert(root: fixture.root.path, list: fixture.list, output: fixture.output(),
                                                    options: options, progress: { progress.append($0) },
                                                    skipped: { reported.append($0) })
        #expect(summary.written == good.count)
        #expect(summary.shape == [3, 24, 32])
        #expect(summary.skipped.map(\.line) == [4, 6, 13, 14, 15, 16])
        #expect(Set(reported.map(\.line)) == Set(summary.skipped.map(\.line)))
        let kinds = Dictionary(uniqueKeysWithValues: summary.skippedByKind.map { ($0.kind, $0.count) })
        #expect(kinds == [.badLine: 2, .truncated: 1, .unreadable: 1, .corrupt: 1, .unsupported: 1])
        #expect(summary.skipped[1].message.contains("photos/missing.jpg") && summary.skipped[1].message.contains("does not exist"))
        #expect("\(summary)".contains("skipped 6"))
        #expect(progress.last?.processed == progress.last?.total)
        #expect(try fixture.leftovers() == ["db"])

        let records = try fixture.records()
        #expect(records.count == good.count)
        // Keys number the usable list lines (the first 14) in order, so skipped images leave gaps.
        let usable = lines.prefix(14).map { $0.split(separator: " ").dropLast().joined(separator: " ") }
        #expect(records.map { String($0.key.dropFirst(9)) } == good)
        for (key, datum) in records {
            let path = String(key.dropFirst(9))
            let index = try #require(usable.firstIndex(of: path))
            #expect(key == Caffe_Datum.key(index: index, name: path))
            #expect(Int(datum.label) == good.firstIndex(of: path).map { $0 % 4 }, "\(key)")
            #expect(datum.shape == [3, 24, 32] && !datum.encoded && datum.floatData.isEmpty)
            let expected = try fixture.expectedImage(path, width: 32, height: 24)
            #expect([UInt8](datum.data) == expected.caffeBytes(), "\(key)")
            // Blue first: the first byte is the top-left pixel's blue.
            #expect(datum.data.first == expected.pixel(x: 0, y: 0)?[2])
        }
        // A grey source is stored as three equal planes.
        let grey = try #require(records.first { $0.key.hasSuffix("variants/grey.jpg") })
        let plane = 24 * 32
        #expect(grey.datum.data.prefix(plane) == grey.datum.data.dropFirst(plane).prefix(plane))
    }

    @Test func strictStopsAtTheFirstBadLineOrImageAndLeavesNothing() throws {
        let fixture = try ImagesetFixture(files: Self.variantFiles(), extra: try Self.damaged(),
                                          lines: ["variants/palette.png 0", "broken/cut.jpg 1", "variants/rgba.png 2"])
        defer { fixture.cleanUp() }
        var options = ImagesetOptions()
        options.strict = true
        #expect { try fixture.convert(options) } throws: { error in
            guard case ImagesetError.badInput(let problem) = error else { return false }
            return problem.line == 2 && problem.kind == .truncated && "\(error)".contains("--strict")
        }
        #expect(try fixture.leftovers().isEmpty)

        try Foundation.Data("variants/palette.png 0\nvariants/rgba.png x\n".utf8).write(to: fixture.list)
        #expect { try fixture.convert(options) } throws: { error in
            guard case ImagesetError.badInput(let problem) = error else { return false }
            return problem.line == 2 && problem.kind == .badLine
        }
        #expect(try fixture.leftovers().isEmpty)

        // Without --strict the same list converts the good line.
        options.strict = false
        #expect(try fixture.convert(options).written == 1)
    }

    @Test func anExistingOutputIsReplacedOnlyWithForce() throws {
        let fixture = try ImagesetFixture(files: Self.variantFiles(), lines: ["variants/palette.png 0", "variants/rgba.png 1"])
        defer { fixture.cleanUp() }
        var options = ImagesetOptions()
        #expect(try fixture.convert(options).written == 2)
        try Foundation.Data("variants/interlaced.png 5\n".utf8).write(to: fixture.list)
        #expect(throws: ImagesetError.outputExists(path: fixture.output().standardizedFileURL.path)) { try fixture.convert(options) }
        #expect(try fixture.records().count == 2)

        options.force = true
        #expect(try fixture.convert(options).written == 1)
        let records = try fixture.records()
        #expect(records.map(\.key) == ["00000000_variants/interlaced.png"] && records[0].datum.label == 5)
        #expect(try fixture.leftovers() == ["db"])
    }

    @Test func removesWorkAbandonedByAKilledConversion() throws {
        let fixture = try ImagesetFixture(files: Self.variantFiles(), lines: ["variants/palette.png 0"])
        defer { fixture.cleanUp() }
        // A partial database from a process that no longer exists (pid 2^22 + 1 is above Linux's limit).
        let abandoned = fixture.folder.appendingPathComponent(".db.partial-4194305")
        try FileManager.default.createDirectory(at: abandoned, withIntermediateDirectories: true)
        try Foundation.Data([1, 2, 3]).write(to: abandoned.appendingPathComponent("data.mdb"))
        _ = try fixture.convert(ImagesetOptions())
        #expect(try fixture.leftovers() == ["db"])
    }

    @Test func allBadInputIsAnErrorNotAnEmptyDatabase() throws {
        let fixture = try ImagesetFixture(files: [:], extra: try Self.damaged(), lines: ["broken/cut.jpg 0", "nothing.png 1", "x"])
        defer { fixture.cleanUp() }
        #expect { try fixture.convert(ImagesetOptions()) } throws: { error in
            guard case ImagesetError.nothingWritten(_, let skipped) = error else { return false }
            return skipped.count == 3
        }
        #expect(try fixture.leftovers().isEmpty)
    }

    @Test func checkSizeNamesTheLineOfTheOddImage() throws {
        var files = Self.variantFiles()
        files["small.png"] = ImageFixtures.fixture("palette.png")
        let fixture = try ImagesetFixture(files: files, extra: ["odd.png": try PNG.encode(try Image(width: 3, height: 2, channels: 1, pixels: [0, 1, 2, 3, 4, 5]))],
                                          lines: ["variants/palette.png 0", "variants/cmyk.jpg 1", "odd.png 2"])
        defer { fixture.cleanUp() }
        var options = ImagesetOptions()
        options.checkSize = true
        #expect { try fixture.convert(options) } throws: { error in
            guard case let ImagesetError.sizeMismatch(line, path, shape, firstLine, firstShape) = error else { return false }
            return line == 3 && path == "odd.png" && shape == [3, 2, 3] && firstLine == 1 && firstShape == [3, 64, 96]
        }
        #expect(try fixture.leftovers().isEmpty)
        // Without the check, sizes may vary.
        options.checkSize = false
        let summary = try fixture.convert(options)
        #expect(summary.written == 3 && summary.shape == nil)
    }

    @Test func shuffleIsDeterministicForASeed() throws {
        let names = Self.variants
        let fixture = try ImagesetFixture(files: Self.variantFiles(), lines: names.enumerated().map { "variants/\($0.element) \($0.offset)" })
        defer { fixture.cleanUp() }
        var options = ImagesetOptions()
        options.resizeWidth = 8
        options.resizeHeight = 8
        options.shuffle = true
        options.seed = 3
        _ = try fixture.convert(options, into: "a")
        _ = try fixture.convert(options, into: "b")
        options.seed = 4
        _ = try fixture.convert(options, into: "c")
        let a = try fixture.records("a"), b = try fixture.records("b"), c = try fixture.records("c")
        #expect(a.map(\.key) == b.map(\.key) && a.map(\.datum) == b.map(\.datum))
        #expect(a.map(\.key) != c.map(\.key))
        // Keys still count 0, 1, 2... in the shuffled order; each keeps its label.
        #expect(a.enumerated().allSatisfy { $0.element.key.hasPrefix(String(format: "%08d_", $0.offset)) })
        let order = a.map { String($0.key.dropFirst(9)) }
        #expect(order != names.map { "variants/\($0)" } && Set(order) == Set(names.map { "variants/\($0)" }))
        for (key, datum) in a {
            #expect(names.firstIndex(of: String(key.split(separator: "/").last!)) == Int(datum.label))
        }
    }

    @Test func grayStoresOneLumaChannel() throws {
        let fixture = try ImagesetFixture(files: Self.variantFiles(), lines: ["variants/cmyk.jpg 0", "variants/grey16.png 1"])
        defer { fixture.cleanUp() }
        var options = ImagesetOptions()
        options.gray = true
        _ = try fixture.convert(options)
        let records = try fixture.records()
        #expect(records.map(\.datum.shape) == [[1, 64, 96], [1, 64, 96]])
        #expect([UInt8](records[0].datum.data) == (try fixture.expectedImage("variants/cmyk.jpg", channels: 1)).pixels)
        #expect([UInt8](records[1].datum.data) == (try fixture.expectedImage("variants/grey16.png", channels: 1)).pixels)
    }

    @Test func encodedKeepsOriginalBytesOrReencodes() throws {
        let fixture = try ImagesetFixture(files: Self.variantFiles(),
                                          lines: ["variants/progressive.jpg 0", "variants/grey.jpg 1", "variants/rgba.png 2"])
        defer { fixture.cleanUp() }
        var options = ImagesetOptions()
        options.encoded = true
        _ = try fixture.convert(options, into: "same")
        let same = try fixture.records("same")
        func bytes(_ name: String) throws -> Foundation.Data { try Foundation.Data(contentsOf: fixture.root.appendingPathComponent("variants/\(name)")) }
        #expect(same.allSatisfy { $0.datum.encoded })
        // Colour files as they are; the grey JPEG is stored in colour, so it is re-encoded.
        #expect(same[0].datum.data == (try bytes("progressive.jpg")))
        #expect(same[2].datum.data == (try bytes("rgba.png")))
        let greyFile = try bytes("grey.jpg")
        #expect(ImageFormat(sniffing: same[1].datum.data) == .jpeg && same[1].datum.data != greyFile)
        #expect(try same[1].datum.decoded().shape == [3, 64, 96])
        #expect(same.map(\.datum.shape) == [[3, 64, 96], [3, 64, 96], [3, 64, 96]])

        options.encodeType = .png
        _ = try fixture.convert(options, into: "png")
        let png = try fixture.records("png")
        #expect(png.allSatisfy { ImageFormat(sniffing: $0.datum.data) == .png })
        #expect(png[2].datum.data == (try bytes("rgba.png")))
        // PNG is lossless: decoding gives exactly the raw conversion.
        _ = try fixture.convert(ImagesetOptions(), into: "raw")
        let raw = try fixture.records("raw")
        #expect(try png.map { try $0.datum.decoded() } == raw.map(\.datum))
    }

    @Test func encodedRecordsFeedTheDataLayerAsRawOnesDo() throws {
        let fixture = try ImagesetFixture(files: Self.variantFiles(), lines: Self.variants.enumerated().map { "variants/\($0.element) \($0.offset)" })
        defer { fixture.cleanUp() }
        var options = ImagesetOptions()
        options.resizeWidth = 20
        options.resizeHeight = 16
        _ = try fixture.convert(options, into: "raw")
        options.encoded = true
        options.encodeType = .png
        _ = try fixture.convert(options, into: "encoded")

        var t = TransformParams()
        t.cropSize = 12
        t.mirror = true
        t.meanValue = [100, 110, 120]
        let (rawLayer, rawTops) = try DataFixtures.dataLayer(fixture.output("raw").path, batch: 3, transform: t, seed: 9)
        let (encLayer, encTops) = try DataFixtures.dataLayer(fixture.output("encoded").path, batch: 3, transform: t, seed: 9)
        #expect(encLayer.recordShape == [3, 16, 20] && encTops[0].shape == [3, 3, 12, 12])
        let expected = try DataFixtures.batches(rawLayer, rawTops, 4)
        let actual = try DataFixtures.batches(encLayer, encTops, 4)
        for (e, a) in zip(expected, actual) {
            #expect(e.0 == a.0 && e.1 == a.1)
        }
        // The transformer decodes an encoded record given to it directly.
        let record = try fixture.records("encoded")[0].datum
        let transformer = try DataTransformer(params: TransformParams(), phase: .test)
        var out = [Float](repeating: 0, count: 3 * 16 * 20)
        var random = RandomGenerator(seed: 1)
        try out.withUnsafeMutableBufferPointer { try transformer.transform(record, into: $0.baseAddress!, random: &random) }
        #expect(out == (try record.decoded()).data.map { Float($0) })
    }

    @Test func meanMatchesADirectComputation() throws {
        let fixture = try ImagesetFixture(files: Self.variantFiles(), lines: Self.variants.enumerated().map { "variants/\($0.element) \($0.offset)" })
        defer { fixture.cleanUp() }
        var options = ImagesetOptions()
        options.resizeWidth = 10
        options.resizeHeight = 6
        _ = try fixture.convert(options, into: "raw")
        options.encoded = true
        options.encodeType = .png
        _ = try fixture.convert(options, into: "encoded")

        let records = try fixture.records("raw").map(\.datum)
        var direct = [Double](repeating: 0, count: 3 * 6 * 10)
        for r in records { for (i, v) in r.data.enumerated() { direct[i] += Double(v) } }
        let expected = direct.map { Float($0 / Double(records.count)) }

        var progress: [MeanProgress] = []
        for threads in [1, 2] {
            let mean = try MeanFile.compute(database: fixture.output("raw").path, threads: threads) { progress.append($0) }
            #expect(mean.shape == [3, 6, 10] && mean.values == expected)
        }
        #expect(progress.last?.processed == records.count && progress.last?.total == records.count)
        #expect(try MeanFile.compute(database: fixture.output("encoded").path) { _ in }.values == expected)
        #expect(try MeanFile.compute(database: fixture.output("raw").path).values == expected)

        let mean = try MeanFile.compute(database: fixture.output("raw").path) { _ in }
        let plane = 60.0
        for c in 0..<3 {
            let sum = (0..<60).map { Double(expected[c * 60 + $0]) }.reduce(0, +)
            #expect(abs(mean.channelMeans[c] - sum / plane) < 1e-9)
        }
    }

    @Test func meanRejectsRecordsOfDifferentSizes() throws {
        let fixture = try ImagesetFixture(files: Self.variantFiles(), extra: ["odd.png": try PNG.encode(try Image(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 9, count: 12)))],
                                          lines: ["variants/palette.png 0", "odd.png 1"])
        defer { fixture.cleanUp() }
        _ = try fixture.convert(ImagesetOptions())
        #expect { try MeanFile.compute(database: fixture.output().path) { _ in } } throws: { error in
            "\(error)".contains("00000001_odd.png") && "\(error)".contains("3x2x2")
        }
    }
}

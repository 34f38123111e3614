import ArgumentParser
import Dispatch
import Foundation
import NetDSL
import Runtime

/// Throughput benchmarks, run in release: `swift run -c release benchmarks <name>`.
/// Compute: `gemm`, `layers`, `caffenet`, `lenet` (each checks its results before timing and
/// prints medians); data road: `imageset`, `data-layer`; clusters: `allreduce` (under mpirun),
/// `scaling-model`; load: `soak`. Benchmarks/peers/ times the same nets
/// in PyTorch and ONNX Runtime. Speed goals live here, not in timed test assertions.
@main
struct Benchmarks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmarks",
        abstract: "Measure Crema: sgemm, CaffeNet's layers, CaffeNet and LeNet steps, and the data road.",
        subcommands: [GemmBenchmark.self, LayerBenchmark.self, CaffeNetBenchmark.self, LeNetBenchmark.self,
                      ImagesetBenchmark.self, DataLayerBenchmark.self, AllreduceBenchmark.self, ScalingModel.self, SoakBenchmark.self])
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("crema-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `prepare imageset --resize 256x256` on JPEGs of ImageNet's typical size (about 500x375),
/// made from the shared photos.
struct ImagesetBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "imageset")

    @Option(help: "JPEG files to convert.") var images = 1000
    @Option(name: .customLong("repeat"), help: "Timed conversions.") var repetitions = 3
    @Option(help: "Folder with source photos.") var photos = "../shared/data/images"

    func run() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sources = try FileManager.default.contentsOfDirectory(atPath: photos).sorted()
            .filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }
            .map { try ImageDecoder.decode(file: "\(photos)/\($0)") }
        guard !sources.isEmpty else { throw ValidationError("no photos in \(photos)") }
        var list = ""
        var random = RandomGenerator(seed: 1)
        for i in 0..<images {
            let photo = sources[i % sources.count]
            let width = 400 + random.below(200), height = 300 + random.below(150)
            let jpeg = try JPEG.encode(try photo.resized(width: width, height: height), quality: 90)
            try jpeg.write(to: folder.appendingPathComponent("img\(i).jpg"))
            list += "img\(i).jpg \(i % 1000)\n"
        }
        try Data(list.utf8).write(to: folder.appendingPathComponent("list.txt"))
        var options = ImagesetOptions()
        (options.resizeWidth, options.resizeHeight) = (256, 256)
        options.force = true
        var rates: [Double] = []
        for r in 0..<repetitions {
            let time = try seconds {
                _ = try ImagesetConverter.convert(root: folder.path + "/", list: folder.appendingPathComponent("list.txt"),
                                                  output: folder.appendingPathComponent("lmdb"), options: options,
                                                  progress: { _ in }, skipped: { _ in })
            }
            rates.append(Double(images) / time)
            print(String(format: "run %d: %.1f images/s", r + 1, rates.last ?? 0))
        }
        print(String(format: "prepare imageset --resize 256x256, %d JPEGs of about 500x375, %d threads: median %.1f images/s",
                     images, options.threads, median(rates)))
    }
}

/// The Data layer as CaffeNet's TRAIN phase uses it: batches of 256 records of 3x256x256 bytes,
/// random 227 crops, mirroring and the mean image, read and transformed ahead of the net.
struct DataLayerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data-layer")

    @Option(help: "Batches to time.") var batches = 20
    @Option(help: "Images per batch.") var batch = 256
    @Flag(help: "Store the records as JPEG (decoded while training) rather than raw pixels.") var encoded = false

    func run() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("train_lmdb").path
        let writer = try LMDBWriter(path: db)
        var random = RandomGenerator(seed: 2)
        let records = 2 * batch
        for i in 0..<records {
            // Smooth random images, so JPEG sizes resemble photos rather than noise.
            var pixels = [UInt8](repeating: 0, count: 3 * 256 * 256)
            let base = (0..<3).map { _ in random.below(200) }
            for c in 0..<3 { for p in 0..<(256 * 256) { pixels[c * 65536 + p] = UInt8(base[c] + (p / 256 + p % 256) % 56) } }
            var datum = Caffe_Datum(channels: 3, height: 256, width: 256, bytes: pixels, label: i % 1000)
            if encoded {
                let image = try Image(caffeBytes: pixels, channels: 3, height: 256, width: 256)
                datum = Caffe_Datum()
                datum.data = try JPEG.encode(image)
                datum.encoded = true
                datum.label = Int32(i % 1000)
            }
            try writer.put(key: Caffe_Datum.key(index: i, name: "img\(i).JPEG"), value: try datum.serializedData())
        }
        try writer.close()
        let mean = folder.appendingPathComponent("mean.binaryproto")
        try MeanFile.write(MeanImage(channels: 3, height: 256, width: 256, values: [Float](repeating: 110, count: 3 * 65536)), to: mean)

        var params = DataParams(source: db, batchSize: batch)
        params.transform.cropSize = 227
        params.transform.mirror = true
        params.transform.meanFile = mean.path
        let spec = LayerSpec(name: "data", kind: .data(params), tops: ["data", "label"])
        let layer = try DataLayer(spec: spec, params: params, phase: .train, seed: 3)
        let tops = [Tensor(), Tensor()]
        try layer.setUp(bottoms: [], tops: tops, store: ParameterStore())
        try layer.reshape(bottoms: [], tops: tops)
        try layer.forward(bottoms: [], tops: tops)  // warm-up: the prefetch threads start
        var times: [Double] = []
        for _ in 0..<batches {
            times.append(try seconds { try layer.forward(bottoms: [], tops: tops) })
        }
        let perBatch = median(times) * 1000
        print(String(format: "Data layer, %@ records, batch %d, crop 227, mirror, mean file: median %.1f ms per batch (%.0f images/s) with the net idle",
                     encoded ? "JPEG" : "raw", batch, perBatch, Double(batch) / median(times)))
        print("Compare with the net's time per batch: swift run -c release experiments time caffenet --batch \(batch)")
    }
}

import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    /// `prepare imageset` against OpenCV's imread and resize (what Caffe's convert_imageset
    /// calls), byte for byte, on the shared photos turned into the cases that used to differ:
    /// all eight Exif orientations, CMYK, enlarging as well as shrinking, and grey.
    @Suite(.serialized) struct OpenCVImagesetTests {
        static let venv = URL(fileURLWithPath: "/tmp/crema-opencv-venv")

        /// Makes the images with Pillow (another tool's bytes) and writes OpenCV's result for each
        /// at each size as raw rows: `<image>.<W>x<H>.bgr` and `.grey` (`0x0`: as read).
        static let script = """
            import sys, cv2, numpy as np
            from PIL import Image
            photos, folder, sizes = sys.argv[1], sys.argv[2], [tuple(map(int, s.split('x'))) for s in sys.argv[3:]]
            names = []
            rocket = Image.open(photos + '/rocket.jpg').convert('RGB').resize((50, 30))
            for o in range(1, 9):
                exif = Image.Exif(); exif[0x0112] = o
                rocket.save(f'{folder}/orientation{o}.jpg', quality=90, exif=exif.tobytes()); names.append(f'orientation{o}.jpg')
            cat = Image.open(photos + '/chelsea.png').convert('RGB')
            cat.resize((80, 60)).convert('CMYK').save(f'{folder}/cmyk.jpg', quality=95); names.append('cmyk.jpg')
            cat.resize((40, 40)).save(f'{folder}/small.png'); names.append('small.png')
            cat.resize((451, 300)).save(f'{folder}/large.png'); names.append('large.png')
            open(f'{folder}/list.txt', 'w').write(''.join(f'{n} {i}\\n' for i, n in enumerate(names)))
            for n in names:
                for mode, flag in (('bgr', cv2.IMREAD_COLOR), ('grey', cv2.IMREAD_GRAYSCALE)):
                    image = cv2.imread(f'{folder}/{n}', flag)
                    for (w, h) in sizes:
                        out = image if w == 0 else cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
                        open(f'{folder}/{n}.{w}x{h}.{mode}', 'wb').write(np.ascontiguousarray(out).tobytes())
                        open(f'{folder}/{n}.{w}x{h}.shape', 'w').write(f'{out.shape[1]} {out.shape[0]}')
                        # Caffe's encoded grey record of a colour file: the grey image re-encoded in
                        # the file's format (imencode: JPEG quality 95), read back.
                        ext = '.jpg' if n.endswith('.jpg') else '.png'
                        again = cv2.imdecode(cv2.imencode(ext, out)[1], flag)
                        open(f'{folder}/{n}.{w}x{h}.{mode}-encoded', 'wb').write(np.ascontiguousarray(again).tobytes())
            """

        @Test func convertedImagesMatchOpenCVByteForByte() throws {
            guard let python = try TestData.pythonVenv(Self.venv, imports: "cv2, numpy, PIL",
                                                       packages: ["opencv-python-headless<5", "numpy", "pillow"], check: "OpenCV") else { return }
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let sizes = ["0x0", "64x64", "227x113", "31x200"]
            let (status, output) = try TestData.capture(python, ["-c", Self.script, ShardedPreparationTests.images.path, root.path] + sizes)
            try #require(status == 0, "the OpenCV script failed: \(output)")
            let list = root.appendingPathComponent("list.txt")
            for size in sizes {
                for (encoded, grey) in size == "0x0" ? [(false, false), (true, false), (false, true), (true, true)] : [(false, false), (false, true)] {
                    let out = root.appendingPathComponent("db-\(size)\(encoded ? "-encoded" : "")\(grey ? "-grey" : "")")
                    let (converted, log) = try TestData.capture(binary, ["prepare", "imageset", root.path + "/", list.path, out.path, "--quiet"]
                                                                + (size == "0x0" ? [] : ["--resize", size]) + (encoded ? ["--encoded"] : [])
                                                                + (grey ? ["--gray"] : []))
                    try #require(converted == 0, "\(log)")
                    let reader = try RecordDatabases.open(path: out.path)
                    let cursor = try reader.makeCursor()
                    for _ in 0..<(try reader.count()) {
                        let record = try cursor.next()
                        let name = String(record.keyText.drop { $0 != "_" }.dropFirst())
                        // Encoded records keep the file; the Data layer decodes them as OpenCV would.
                        let datum = try Caffe_Datum(record: record.value).decoded()
                        // An encoded colour record keeps the file; a grey one of a colour file is re-encoded.
                        let kind = (grey ? "grey" : "bgr") + (encoded && grey ? "-encoded" : "")
                        let expected = [UInt8](try Data(contentsOf: root.appendingPathComponent("\(name).\(size).\(kind)")))
                        let shape = try String(contentsOf: root.appendingPathComponent("\(name).\(size).shape"), encoding: .utf8)
                        #expect("\(datum.width) \(datum.height)" == shape, "\(name) at \(size)")
                        // Datum pixels are channels first; OpenCV's rows interleave them.
                        let (c, h, w) = (Int(datum.channels), Int(datum.height), Int(datum.width))
                        let planes = [UInt8](datum.data)
                        guard planes.count == c * h * w, expected.count == planes.count else {
                            Issue.record("\(name) at \(size): \(planes.count) bytes, OpenCV \(expected.count)")
                            continue
                        }
                        var differing = 0
                        for y in 0..<h {
                            for x in 0..<w {
                                for k in 0..<c where planes[(k * h + y) * w + x] != expected[(y * w + x) * c + k] { differing += 1 }
                            }
                        }
                        #expect(differing == 0, "\(name) at \(size)\(encoded ? " (encoded)" : "")\(grey ? " (grey)" : ""): \(differing) of \(planes.count) bytes differ from OpenCV's")
                    }
                }
            }
        }
    }
}

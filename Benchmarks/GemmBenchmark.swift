import ArgumentParser
import Foundation
import Runtime

/// cblas_sgemm through Runtime's BLAS wrapper on the products CaffeNet makes, plus 1024^3.
///
/// Convolutions are written as one product over the whole batch's im2col matrix
/// (`m = outputs / group`, `n = batch * output pixels`, `k = inputs / group * kernel area`);
/// batch 1 gives Caffe's per-image shapes. Each product is checked against a double-precision
/// reference on sampled entries before it is timed.
struct GemmBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of sgemm on CaffeNet's conv and fc products and on 1024^3.")

    @OptionGroup var options: ComputeOptions

    @Option(help: "Batch sizes for CaffeNet's products, comma-separated (1 gives Caffe's per-image shapes).")
    var batches = "32,256"

    @Option(help: "Only products whose name contains this (e.g. conv2, fc6, 1024).")
    var only: String?

    @Option(help: "Entries of each product checked against the double-precision reference.")
    var samples = 64

    func run() throws {
        try options.apply(title: "benchmarks gemm: cblas_sgemm through Runtime.BLAS, row-major Float32")
        var cases = [GemmCase(name: "square 1024^3", m: 1024, n: 1024, k: 1024, transA: false, transB: false)]
        for b in try parseBatches(batches) { cases += GemmCase.caffeNet(batch: b) }
        if let only { cases = cases.filter { $0.name.contains(only) } }
        guard !cases.isEmpty else { throw ValidationError("no product matches --only \(only ?? "")") }

        var table = Table("product", "m", "n", "k", "op", "GFLOP", "median ms", "GFLOP/s median", "best", "checked (max rel. error)")
        var random = RandomGenerator(seed: 42)
        for c in cases {
            let a = UnsafeMutablePointer<Float>.allocate(capacity: c.m * c.k)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: c.k * c.n)
            let out = UnsafeMutablePointer<Float>.allocate(capacity: c.m * c.n)
            defer { a.deallocate(); b.deallocate(); out.deallocate() }
            fillUniform(a, c.m * c.k, -1, 1, random: &random)
            fillUniform(b, c.k * c.n, -1, 1, random: &random)
            out.initialize(repeating: .nan, count: c.m * c.n)

            c.run(a, b, out)  // warm-up, and the product the check reads
            let error = try c.check(a, b, out, samples: samples, random: &random)
            var times: [Double] = []
            for _ in 0..<options.repetitions { times.append(milliseconds { c.run(a, b, out) }) }
            let gflop = 2 * Double(c.m) * Double(c.n) * Double(c.k) / 1e9
            let best = times.min() ?? 0
            table.add(c.name, "\(c.m)", "\(c.n)", "\(c.k)", c.op, format(gflop, 3), format(median(times)),
                      format(gflop / median(times) * 1000, 1), format(gflop / best * 1000, 1),
                      String(format: "ok (%.1e)", error))
        }
        table.print()
    }
}

/// One product C (m x n) = op(A) (m x k) * op(B) (k x n).
struct GemmCase {
    var name: String
    var m: Int, n: Int, k: Int
    var transA: Bool, transB: Bool

    var op: String { (transA ? "A'" : "A") + "*" + (transB ? "B'" : "B") }

    func run(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0, c: c)
    }

    /// Sampled entries (the four corners and random ones) against a double-precision sum. The
    /// bound scales with the sum of |a b| terms, which float rounding grows with.
    func check(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
               samples: Int, random: inout RandomGenerator) throws -> Double {
        var points = [(0, 0), (0, n - 1), (m - 1, 0), (m - 1, n - 1)]
        for _ in 0..<max(samples - 4, 0) { points.append((random.below(m), random.below(n))) }
        var worst = 0.0
        for (i, j) in points {
            var sum = 0.0, magnitude = 0.0
            for p in 0..<k {
                let x = Double(transA ? a[p * m + i] : a[i * k + p])
                let y = Double(transB ? b[j * k + p] : b[p * n + j])
                sum += x * y
                magnitude += abs(x * y)
            }
            let got = Double(c[i * n + j])
            let error = abs(got - sum) / max(magnitude, 1e-30)
            guard error <= 1e-5 else {
                throw BenchmarkError("sgemm \(name) (\(m)x\(n)x\(k), \(op)) is wrong at (\(i), \(j)): got \(got), the double-precision reference is \(sum) (error \(error) of the sum of |terms|); OpenBLAS core \(BLAS.coreName)")
            }
            worst = max(worst, error)
        }
        return worst
    }

    /// CaffeNet's products at one batch size: each conv layer's forward, data gradient (not
    /// for conv1, whose input is data) and weight gradient, per group; each fc layer's three.
    static func caffeNet(batch b: Int) -> [GemmCase] {
        // (name, outputs per group, output pixels, inputs per group * kernel area)
        let convs = [("conv1", 96, 55 * 55, 3 * 11 * 11), ("conv2", 128, 27 * 27, 48 * 25),
                     ("conv3", 384, 13 * 13, 256 * 9), ("conv4", 192, 13 * 13, 192 * 9),
                     ("conv5", 128, 13 * 13, 192 * 9)]
        var cases: [GemmCase] = []
        for (name, outputs, pixels, inputs) in convs {
            let columns = b * pixels
            cases.append(GemmCase(name: "\(name) fwd b\(b)", m: outputs, n: columns, k: inputs, transA: false, transB: false))
            if name != "conv1" {
                cases.append(GemmCase(name: "\(name) bwd-data b\(b)", m: inputs, n: columns, k: outputs, transA: true, transB: false))
            }
            cases.append(GemmCase(name: "\(name) bwd-weights b\(b)", m: outputs, n: inputs, k: columns, transA: false, transB: true))
        }
        for (name, inputs, outputs) in [("fc6", 9216, 4096), ("fc7", 4096, 4096), ("fc8", 4096, 1000)] {
            cases.append(GemmCase(name: "\(name) fwd b\(b)", m: b, n: outputs, k: inputs, transA: false, transB: true))
            cases.append(GemmCase(name: "\(name) bwd-data b\(b)", m: b, n: inputs, k: outputs, transA: false, transB: false))
            cases.append(GemmCase(name: "\(name) bwd-weights b\(b)", m: outputs, n: inputs, k: b, transA: true, transB: false))
        }
        return cases
    }
}

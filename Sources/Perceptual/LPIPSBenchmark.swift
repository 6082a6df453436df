import Foundation
import TensorCore

/// Timings of LPIPS and of the GEMM under it, for `audioplane bench` and `audioplane lpips --bench`.
/// What is timed: the best of `repeats` runs after one warm-up, wall clock, on
/// `ThreadSettings.threadCount` threads, through a reused `LPIPSSession` (buffers already allocated).
public enum LPIPSBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        /// One 512×512 pair: forward through both images + distance (target ≤ 150 ms).
        public var forward512Milliseconds: Double
        /// One 128×128 pair: forward + backward w.r.t. the first image (target ≤ 30 ms).
        public var forwardBackward128Milliseconds: Double
        /// GEMM throughput on 1024×1024×1024 (`Gemm.multiply`, A·B).
        public var gemmGFLOPS: Double
        /// GEMM throughput on the largest LPIPS product (conv2 of a 512² pair: 7938×192×1600).
        public var gemmConv2GFLOPS: Double
        /// Whether the installed weights were used (else random weights of the same shapes; the
        /// timing does not depend on the values).
        public var installedWeights: Bool
        public var threads: Int
        /// Mean milliseconds per stage of the 512×512 forward (`LPIPSSession.timings`), in run order.
        public var forward512Stages: [(stage: String, milliseconds: Double)]

        public var description: String {
            [
                String(format: "lpips forward 512x512 pair:          %7.1f ms (target <= 150)", forward512Milliseconds),
                String(format: "lpips forward+backward 128x128 pair: %7.1f ms (target <= 30)", forwardBackward128Milliseconds),
                String(format: "gemm 1024^3:                         %7.1f GFLOP/s", gemmGFLOPS),
                String(format: "gemm 7938x192x1600 (conv2 @512):     %7.1f GFLOP/s", gemmConv2GFLOPS),
                "(\(threads) threads, best of runs after warm-up, \(installedWeights ? "installed" : "random") weights)",
                "512x512 forward stages (mean ms): " + forward512Stages.map { String(format: "%@ %.1f", $0.stage, $0.milliseconds) }.joined(separator: ", "),
            ].joined(separator: "\n")
        }
    }

    /// Runs the benchmark with `network` (default: the installed weights, else random ones).
    public static func run(network: LPIPS? = nil, repeats: Int = 5) -> Report {
        let installed = network == nil ? (try? LPIPS.loadInstalled()) ?? nil : nil
        let net = network ?? installed ?? LPIPS(weights: .random(seed: 1))
        let session = LPIPSSession(network: net)
        var rng = SeededRandom(seed: 7)
        func image(_ side: Int) -> [Float] { (0..<(side * side * 3)).map { _ in rng.uniform() } }
        let (a512, b512, a128, b128) = (image(512), image(512), image(128), image(128))
        let forward = best(repeats) { _ = session.distance(a512, b512, height: 512, width: 512) }
        let stages = session.timings.order.map { ($0, session.timings.meanMilliseconds($0)) }
        session.timings.reset()
        let backward = best(repeats) { _ = session.distanceAndGradient(a128, b128, height: 128, width: 128) }
        return Report(forward512Milliseconds: forward * 1000, forwardBackward128Milliseconds: backward * 1000,
                      gemmGFLOPS: gemmRate(m: 1024, n: 1024, k: 1024, repeats: repeats, rng: &rng),
                      gemmConv2GFLOPS: gemmRate(m: 7938, n: 192, k: 1600, repeats: repeats, rng: &rng),
                      installedWeights: network == nil && installed != nil, threads: ThreadSettings.threadCount,
                      forward512Stages: stages)
    }

    /// GFLOP/s (2·M·N·K per product) of `Gemm.multiply` on random matrices, B packed inside the call.
    public static func gemmRate(m: Int, n: Int, k: Int, repeats: Int = 5, rng: inout SeededRandom) -> Double {
        let a = (0..<(m * k)).map { _ in rng.uniform(-1, 1) }
        let b = (0..<(k * n)).map { _ in rng.uniform(-1, 1) }
        var c = [Float](repeating: 0, count: m * n)
        let seconds = best(repeats) { Gemm.multiply(a, b, m: m, n: n, k: k, into: &c, accumulate: false) }
        return 2 * Double(m * n * k) / seconds / 1e9
    }

    /// Best wall-clock seconds of `repeats` runs after one warm-up run.
    static func best(_ repeats: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = monotonicSeconds()
            body()
            best = min(best, monotonicSeconds() - start)
        }
        return best
    }
}

import Foundation
import TensorCore
import NeuralNet
import Splatting

/// Timing of the Audio-Plane model for one fine-stage frame (DESIGN.md §5 expects ≈ 5 ms for the
/// per-Gaussian plane query of 30k Gaussians and ≈ 6.5 ms for the two MLPs; release build).
///
/// Scene: `gaussians` random Gaussians (SH degree 2) uniformly inside the head box [−0.12, 0.12]³,
/// default config (H = 64, D = 16, s ∈ {1,2,3,4}, concat fusion, cross attention, dynamism on),
/// C = 32 audio channels, a random audio window. Timed separately (median over `repeats` after one
/// warm-up): audio encoder (incl. per-scale attention is in "plane query"), plane query (attention,
/// normalisation, spatial order, lookup), decoders (D1 + D2 forward), deformation (d back to
/// Gaussian order, G + d·ΔG), and the backward stages given a dense random ∂L/∂G'. The machine's
/// load matters (2 vCPUs): compare builds by alternating runs, not against old numbers.
public enum AudioPlaneBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public var gaussians: Int
        public var threads: Int
        public var stages: [(stage: String, milliseconds: Double)]
        public var description: String {
            var s = "audio-plane model: \(gaussians) Gaussians, \(threads) threads (median per stage)\n"
            for (name, ms) in stages {
                s += "  " + name.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: " %8.2f ms\n", ms)
            }
            s += String(format: "  total forward+backward   %8.2f ms\n", stages.reduce(0) { $0 + $1.milliseconds })
            return s
        }
    }

    public static func run(gaussians n: Int = 30_000, repeats: Int = 5, seed: UInt64 = 7) throws -> Report {
        var config = AudioPlaneConfig(audioChannels: 32)
        config.seed = seed
        let box = HeadBox(min: SIMD3(repeating: -0.12), max: SIMD3(repeating: 0.12))
        let model = try AudioPlaneModel(config: config, headBox: box)
        var rng = SeededRandom(seed: seed &+ 1)
        let cloud = randomCloud(count: n, box: box, rng: &rng)
        let window = (0..<(8 * 16 * 32)).map { _ in rng.normal() }
        var grads = SplatGradients()
        grads.means = (0..<(3 * n)).map { _ in rng.uniform(-1, 1) }
        grads.rotations = (0..<(4 * n)).map { _ in rng.uniform(-1, 1) }
        grads.logScales = (0..<(3 * n)).map { _ in rng.uniform(-1, 1) }
        grads.opacityLogits = (0..<n).map { _ in rng.uniform(-1, 1) }
        grads.shCoefficients = (0..<(27 * n)).map { _ in rng.uniform(-1, 1) }
        grads.extras = (0..<n).map { _ in rng.uniform(-1, 1) }
        var samples: [String: [Double]] = [:]
        var order: [String] = []
        var modelGrads = model.zerosLike()
        for r in 0...repeats {
            modelGrads.zeroAll()
            let (_, state) = model.forward(cloud, audioWindow: window)
            var t = state.timings
            _ = model.backward(state, grads, gradients: &modelGrads, timings: &t)
            guard r > 0 else { continue }
            for name in t.order {
                if samples[name] == nil { order.append(name) }
                samples[name, default: []].append(t.meanMilliseconds(name))
            }
        }
        let stages = order.map { name -> (String, Double) in
            let v = samples[name]!.sorted()
            return (name, v[v.count / 2])
        }
        return Report(gaussians: n, threads: ThreadSettings.threadCount, stages: stages)
    }

    /// Random Gaussians inside `box` (SH degree 2), for timing and tests.
    public static func randomCloud(count n: Int, box: HeadBox, rng: inout SeededRandom) -> GaussianCloud {
        var cloud = GaussianCloud(shDegree: 2)
        for _ in 0..<n {
            let u = SIMD3<Float>(rng.uniform(), rng.uniform(), rng.uniform())
            cloud.append(mean: box.min + u * (box.max - box.min),
                         rotation: SIMD4(1 + 0.1 * rng.normal(), 0.1 * rng.normal(), 0.1 * rng.normal(), 0.1 * rng.normal()),
                         logScale: SIMD3(repeating: -5 + 0.3 * rng.normal()), opacityLogit: rng.normal(),
                         sh: (0..<27).map { _ in 0.2 * rng.normal() })
        }
        return cloud
    }
}

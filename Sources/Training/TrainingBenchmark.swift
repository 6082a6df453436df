import Foundation
import Perceptual
import Splatting
import TensorCore

/// One fine-stage training iteration, timed stage by stage (`audioplane bench --only train`).
///
/// The trainer runs the `quick` preset's fine stage from its first iteration on `data`, starting
/// from `head` (a realistic canonical head; random Gaussians in the head box when nil — larger and
/// more overlapping, so slower to rasterize), the coarse stage skipped, densification off (the
/// count stays fixed), LPIPS crops when the weights are installed. After `warmUp` untimed
/// iterations, `iterations` are timed; every stage is reported as milliseconds per iteration:
/// data (cached frame → sample), audio encoder, plane query, decoders, deformation, render
/// (rasterize RGB + dynamism), loss (L1 + LPIPS crops + mask + lip L1, and their gradients),
/// render backward, the model's backward stages, optimisers (networks and grids; Gaussians).
public enum TrainingBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public var width: Int, height: Int, gaussians: Int, iterations: Int
        public var perceptual: String
        /// What the canonical head was.
        public var head: String
        public var timings: StageTimings
        public var totalSeconds: Double
        public var description: String {
            var s = "training: one fine-stage iteration at \(width)×\(height), \(gaussians) Gaussians (\(head)), \(perceptual) crops, \(ThreadSettings.threadCount) threads (mean of \(iterations))\n"
            s += timings.table(perUnit: iterations)
            s += String(format: "  %@ %8.2f ms  (target ≤ 150 ms)\n", "total".padding(toLength: 24, withPad: " ", startingAt: 0),
                        1000 * totalSeconds / Double(iterations))
            return s
        }
    }

    public static func run(data: TalkingHeadTrainingData, head: GaussianCloud? = nil, gaussians: Int = 30_000,
                           iterations: Int = 20, warmUp: Int = 3, lpips: LPIPS?) throws -> Report {
        var config = TrainingConfig.quick(audioChannels: data.audioChannels)
        config.coarseIterations = 0
        config.fineIterations = warmUp + iterations
        config.initialGaussians = head?.count ?? gaussians
        config.densification.maxGaussians = config.initialGaussians
        config.densification.stopIteration = 0
        let trainer = try TalkingHeadTrainer(config: config, data: data, lpips: lpips)
        if let head { trainer.setInitialCloud(head) }
        trainer.showProgress = false
        for _ in 0..<warmUp { try trainer.step() }
        trainer.timings.reset()
        let start = monotonicSeconds()
        for _ in 0..<iterations { try trainer.step() }
        let total = monotonicSeconds() - start
        return Report(width: data.dataset.width, height: data.dataset.height, gaussians: trainer.cloud.count, iterations: iterations,
                      perceptual: trainer.loss.perceptualName, head: head == nil ? "random in the head box" : "given head", timings: trainer.timings, totalSeconds: total)
    }
}

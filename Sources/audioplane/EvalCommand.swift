import ArgumentParser
import DataIO
import Foundation
import TensorCore
import Training

extension TalkingHeadEvaluator.Split: ExpressibleByArgument {}

/// `audioplane eval --model MODEL --data DIR [--json]`: image metrics of a trained head on a
/// dataset's frames (wiring only; `TalkingHeadEvaluator` does the work).
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a trained talking head on a dataset: PSNR, SSIM, LPIPS and mouth-region PSNR/SSIM.",
        discussion: """
        Each frame is rendered from its own audio features and camera, composited over its own torso and
        background, and compared with gt_imgs. The mouth metrics use ER-NeRF's lips rectangle. With
        --split auto, a model's own training dataset is measured on its val split and any other dataset
        (a held-out recording) on all its frames. PSNR of identical images is reported as inf.
        """)

    @Option(name: .long, help: "Model folder written by `audioplane train`.")
    var model: String

    @Option(name: .long, help: "Dataset to evaluate on (ER-NeRF layout, same person and size).")
    var data: String

    @Option(name: .long, help: "Frames: val, all, or auto (val on the training dataset, all on another).")
    var split: TalkingHeadEvaluator.Split = .auto

    @Option(name: .customLong("max-frames"), help: "At most this many frames, evenly spaced (training validates 20).")
    var maxFrames: Int?

    @Option(name: .long, help: "Also write a side-by-side video (prediction | ground truth) to this mp4.")
    var comparison: String?

    @Flag(name: .long, help: "Print the result as one line of JSON on stdout.")
    var json = false

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let maxFrames { guard maxFrames > 0 else { throw ValidationError("--max-frames must be positive") } }
    }

    func run() throws {
        let head = try TrainedTalkingHead.load(URL(fileURLWithPath: model))
        let dataset = try TalkingHeadDataset(folder: URL(fileURLWithPath: data), cacheBytes: 64 << 20)
        let synthesizer = try TalkingHeadSynthesizer(head: head, poses: dataset)
        let indices = TalkingHeadEvaluator.frames(of: dataset, split: split, trainedOn: head.config.dataset?.path, maxFrames: maxFrames)
        let metrics = try ImageMetrics.withInstalledLPIPS()
        let writer = try comparison.map {
            try VideoWriter(url: URL(fileURLWithPath: $0), width: 2 * dataset.width, height: dataset.height)
        }
        let progress = ProgressReporter(stage: "eval", total: indices.count, quiet: quiet)
        let report: MetricsReport = try withInterruptsCaught("eval") {
            do {
                let report = try TalkingHeadEvaluator.evaluate(synthesizer, indices: indices, metrics: metrics, comparison: writer,
                                                               progress: { progress.update($0) }, shouldStop: interrupted)
                _ = try writer?.finish()
                return report
            } catch {
                writer?.cancel()
                throw error
            }
        }
        if json {
            print(report.jsonLine())
            return
        }
        func db(_ v: Double?) -> String { v.map { $0.isInfinite ? "inf" : String(format: "%.2f dB", $0) } ?? "n/a" }
        func plain(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "n/a (LPIPS weights not installed)" }
        print("\(data): \(report.frames) frames")
        print("  PSNR        \(db(report.psnr))")
        print("  SSIM        \(String(format: "%.4f", report.ssim))")
        print("  LPIPS       \(plain(report.lpips))")
        print("  mouth PSNR  \(db(report.mouthPSNR))   (lips rectangle, \(report.mouthFrames) frames)")
        print("  mouth SSIM  \(report.mouthSSIM.map { String(format: "%.4f", $0) } ?? "n/a")")
        if let comparison { print("  comparison video: \(comparison)") }
    }
}

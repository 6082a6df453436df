import ArgumentParser
import DataIO
import Foundation
import Perceptual
import SyntheticSpeaker
import TensorCore
import Training

/// `audioplane demo`: the whole product in one command — synthesize a speaker, train a talking
/// head on it with the `quick` preset, make it say a sentence it never heard, and measure it on a
/// held-out recording. Every step writes atomically; the datasets and a finished model are reused
/// when the command runs again (training resumes from its checkpoint), the short render and eval
/// steps are redone. A new speaker dataset (other --size or --seconds) discards the old model.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Synthetic speaker → trained talking head → new lip-synced video + held-out metrics, in one command.",
        discussion: """
        Writes OUT/speaker (the training dataset), OUT/heldout (new sentences of the same person),
        OUT/model (the trained head), OUT/new-sentence.mp4 (a sentence the model never heard),
        OUT/heldout-comparison.mp4 (prediction | ground truth on the held-out recording) and
        OUT/metrics.json. Run it again after an interruption to continue.
        """)

    @Option(help: "Output folder.")
    var out: String = "out/demo"
    @Option(help: "Frame size in pixels (256 or 512).")
    var size: Int = 256
    @Option(help: "Seconds of training video.")
    var seconds: Double = 60
    @Option(help: "Random seed of training.")
    var seed: UInt64 = 0
    @Option(help: "Sentence for the new video.")
    var text: String = "Hello! I am a talking head made of Gaussian splats, and I can say anything you type."
    @Option(help: "Fine-stage iterations (default: the quick preset's 8,000; fewer for a fast look).")
    var iterations: Int?
    @Option(name: .customLong("coarse-iterations"), help: "Coarse-stage iterations (default: the quick preset's 1,000).")
    var coarseIterations: Int?

    static let heldOutSeconds = 12.0

    func validate() throws {
        guard [256, 512].contains(size) else { throw ValidationError("--size must be 256 or 512") }
        guard seconds >= 5 && seconds <= 600 else { throw ValidationError("--seconds must be between 5 and 600") }
        guard (iterations ?? 0) >= 0, (coarseIterations ?? 0) >= 0 else { throw ValidationError("iteration counts must be ≥ 0") }
    }

    func run() throws {
        let root = URL(fileURLWithPath: out)
        try createFolder(root)
        let start = monotonicSeconds()
        let speaker = root.appendingPathComponent("speaker"), heldOut = root.appendingPathComponent("heldout")
        let modelDir = root.appendingPathComponent("model")

        logLine("demo 1/5: synthesize the speaker (\(Int(seconds)) s at \(size)×\(size)) → \(speaker.path)")
        if try synthesize(speaker, seconds: seconds, textSeed: 1) {
            // A new speaker dataset (another --size or --seconds): an earlier model does not belong to it.
            for stale in ["model", "metrics.json"] { try? FileManager.default.removeItem(at: root.appendingPathComponent(stale)) }
        }
        logLine("demo 2/5: synthesize a held-out recording (new sentences, \(Int(Self.heldOutSeconds)) s) → \(heldOut.path)")
        try synthesize(heldOut, seconds: Self.heldOutSeconds, textSeed: 2)

        logLine("demo 3/5: train the talking head (quick preset) → \(modelDir.path)")
        try train(data: speaker, model: modelDir)

        let head = try TrainedTalkingHead.load(modelDir)
        let video = root.appendingPathComponent("new-sentence.mp4")
        logLine("demo 4/5: say a new sentence → \(video.path)")
        let synthesizer = try TalkingHeadSynthesizer(head: head, poses: TalkingHeadDataset(folder: speaker, cacheBytes: 64 << 20))
        let speech = try SpeechInput.text(text, voice: "en-us", temporaryFolder: FileManager.default.temporaryDirectory)
        defer { speech.removeTemporaryFiles() }
        let renderProgress = ProgressReporter(stage: "render", total: speech.frameCount)
        let rendered = try withInterruptsCaught("demo") {
            try TalkingHeadVideo.render(synthesizer, speech: speech, to: video, progress: { done, _ in renderProgress.update(done) },
                                        shouldStop: interrupted)
        }

        let comparison = root.appendingPathComponent("heldout-comparison.mp4")
        logLine("demo 5/5: evaluate on the held-out recording → \(comparison.path)")
        let heldOutData = try TalkingHeadDataset(folder: heldOut, cacheBytes: 64 << 20)
        let evaluator = try TalkingHeadSynthesizer(head: head, poses: heldOutData)
        let indices = TalkingHeadEvaluator.frames(of: heldOutData, split: .all, trainedOn: nil, maxFrames: nil)
        let writer = try VideoWriter(url: comparison, width: 2 * heldOutData.width, height: heldOutData.height,
                                     audio: heldOutData.layout.audio)
        let evalProgress = ProgressReporter(stage: "eval", total: indices.count)
        let metrics = try ImageMetrics.withInstalledLPIPS()
        let report: MetricsReport = try withInterruptsCaught("demo") {
            do {
                let report = try TalkingHeadEvaluator.evaluate(evaluator, indices: indices, metrics: metrics, comparison: writer,
                                                               progress: { evalProgress.update($0) }, shouldStop: interrupted)
                _ = try writer.finish()
                return report
            } catch {
                writer.cancel()
                throw error
            }
        }
        try writeAtomically(Data((report.jsonLine() + "\n").utf8), to: root.appendingPathComponent("metrics.json"))

        let log = head.config
        let lastRow = (try? String(contentsOf: TalkingHeadCheckpoint.logURL(modelDir), encoding: .utf8)).flatMap(TrainingLogRow.parse)?.last
        func db(_ v: Double?) -> String { v.map { String(format: "%.2f dB", $0) } ?? "n/a" }
        print("""
        demo finished in \(ProgressReporter.clock(monotonicSeconds() - start)) (\(out))
          model:            \(modelDir.path) (\(head.cloud.count) Gaussians, \(log.totalIterations) iterations; training val PSNR \(db(lastRow?.psnr)), mouth \(db(lastRow?.mouthPSNR)))
          new sentence:     \(video.path) (\(rendered.frames) frames, rendered at \(String(format: "%.1f", rendered.framesPerSecond)) frames/s)
          held-out video:   \(comparison.path) (prediction | ground truth)
          held-out metrics: PSNR \(db(report.psnr)), SSIM \(String(format: "%.4f", report.ssim)), LPIPS \(report.lpips.map { String(format: "%.4f", $0) } ?? "n/a (weights not installed)"), mouth PSNR \(db(report.mouthPSNR)) over \(report.frames) frames (\(root.appendingPathComponent("metrics.json").path))
        """)
    }

    /// Generates a dataset of the demo speaker (identity seed 1) unless a complete one with these
    /// settings is there; true when it generated one.
    @discardableResult
    func synthesize(_ folder: URL, seconds: Double, textSeed: UInt64) throws -> Bool {
        let settings = SynthSettings(seconds: seconds, size: size, identitySeed: 1, textSeed: textSeed)
        if let existing = try? SyntheticDataset.readMetadata(folder), existing.complete, existing.settings == settings {
            logLine("  (already there)")
            return false
        }
        try? FileManager.default.removeItem(at: folder)
        _ = try SyntheticDataset.generate(settings, to: folder)
        return true
    }

    /// Trains (or resumes, or skips a finished) quick-preset model; Ctrl-C checkpoints and exits 130.
    func train(data folder: URL, model: URL) throws {
        let data = try TalkingHeadTrainingData(folder: folder)
        let lpips = try LPIPS.loadInstalled()
        let trainer: TalkingHeadTrainer
        if FileManager.default.fileExists(atPath: TalkingHeadCheckpoint.weightsURL(model).path) {
            trainer = try TalkingHeadCheckpoint.resume(from: model, data: data, lpips: lpips, fineIterations: iterations)
            if trainer.isFinished { logLine("  (already trained)"); return }
            logLine("  resuming at iteration \(trainer.iteration)")
        } else {
            var config = TrainingConfig.quick(audioChannels: data.audioChannels)
            config.seed = seed
            if let iterations { config.fineIterations = iterations }
            if let coarseIterations { config.coarseIterations = coarseIterations }
            trainer = try TalkingHeadTrainer(config: config, data: data, lpips: lpips)
        }
        if try withInterruptsCaught("demo", { try trainer.train(output: model, shouldStop: interrupted) }) == .interrupted {
            print("demo: interrupted during training at iteration \(trainer.iteration); checkpoint written — run the same command again to continue")
            throw ExitCode(130)
        }
    }
}

import ArgumentParser
import AudioFeatures
import AudioPlane
import DataIO
import Foundation
import Perceptual
import Splatting
import SyntheticSpeaker
import TensorCore
import Training

/// `audioplane bench`: per-stage timings of every engine, each saying what exactly it times.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Per-stage timings (release build; run on an otherwise idle machine).",
        discussion: """
        Stages: splat (30k-Gaussian head at 512×512: projection, sort/binning, blend, backward,
        reference comparison), audio (60 s of speech features, batch and streaming), lpips
        (512×512 forward, 128×128 forward+backward, GEMM rate), model (Audio-Plane model forward and
        backward stages for 30k Gaussians), train (one fine-stage training iteration at 512×512 with 30k
        Gaussians on a 2 s synthetic speaker, stage by stage), inference (a trained model saying 10 s of speech at
        512×512, end to end: features, encoder, plane query, decoders, rasterization, compositing,
        video encoding; needs a model: --model, default out/demo/model from `audioplane demo`).
        Times are medians of repeats.
        """)

    enum Stage: String, ExpressibleByArgument, CaseIterable { case splat, audio, lpips, model, train, inference }

    @Option(parsing: .upToNextOption, help: "Stages to run (default: all): splat audio lpips model train inference.")
    var only: [Stage] = []
    @Option(help: "Gaussians in the splatting scene.")
    var gaussians: Int = 30_000
    @Option(help: "Repeats per measurement.")
    var repeats: Int = 15
    @Option(help: "Trained model for the inference stage.")
    var model: String = "out/demo/model"
    @Option(help: "Dataset giving poses and backgrounds for the inference stage (default: the model's own).")
    var data: String?
    @Option(name: .customLong("inference-size"), help: "Frame size of the inference stage (the splats are rendered natively at this size).")
    var inferenceSize: Int = 512
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard gaussians > 0, repeats > 0 else { throw ValidationError("--gaussians and --repeats must be positive") }
        guard (16...4096).contains(inferenceSize), inferenceSize % 2 == 0 else {
            throw ValidationError("--inference-size must be even and from 16 to 4096 pixels")
        }
    }

    func run() throws {
        try threadOptions.apply()
        let stages = only.isEmpty ? Stage.allCases : only
        print("machine: \(machineDescription())")
        #if DEBUG
        print("warning: this is a debug build; numbers are meaningless (use ./run bench)")
        #endif
        for stage in stages {
            switch stage {
            case .splat: print(SplatBenchmark.run(gaussians: gaussians, repeats: repeats))
            case .audio: print(try AudioFeatureBenchmark.run())
            case .lpips: print(LPIPSBenchmark.run())
            case .model: print(try AudioPlaneBenchmark.run())
            case .train: try benchTraining()
            case .inference: try benchInference()
            }
        }
    }
}

extension BenchCommand {
    /// 10 s of espeak-ng speech through a trained model at `inferenceSize`² (skipped with a note
    /// when there is no model).
    func benchInference() throws {
        let dir = URL(fileURLWithPath: model)
        guard FileManager.default.fileExists(atPath: TalkingHeadCheckpoint.weightsURL(dir).path) else {
            print("inference: skipped — no trained model at \(model) (run `./run demo` first, or pass --model DIR)\n")
            return
        }
        let head = try TrainedTalkingHead.load(dir)
        guard var path = data ?? head.config.dataset?.path else { throw ValidationError("\(model): pass --data for poses and backgrounds") }
        // A synthetic-speaker model trained at another size: 10 s of the same person at the bench
        // size, so torso/background decoding costs what it costs at that size.
        var temporary: URL?
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        if data == nil, let trained = head.config.dataset, trained.width != inferenceSize,
           let identity = (try? SyntheticDataset.readMetadata(URL(fileURLWithPath: path)))??.settings.identitySeed {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("audioplane-bench-poses-\(getpid())")
            temporary = folder
            _ = try SyntheticDataset.generate(SynthSettings(seconds: 10, size: inferenceSize, identitySeed: identity, textSeed: 99),
                                              to: folder, quiet: true)
            path = folder.path
        }
        let synthesizer = try TalkingHeadSynthesizer(head: head, poses: TalkingHeadDataset(folder: URL(fileURLWithPath: path), cacheBytes: 64 << 20),
                                                     allowOtherSize: true)
        synthesizer.outputWidth = inferenceSize
        synthesizer.outputHeight = inferenceSize
        let text = "Good evening. Here is the news. A small team has built a talking head that runs on an ordinary processor, "
            + "and it speaks whatever you type, in real time."
        let start = monotonicSeconds()
        let spoken = try SpeechInput.text(text, voice: "en-us", temporaryFolder: FileManager.default.temporaryDirectory)
        let featureMs = 1000 * (monotonicSeconds() - start)
        // Exactly 10 s when espeak made more (the report states the length either way).
        let tenSeconds = 10 * 16_000
        var speech = spoken
        if spoken.samples.count > tenSeconds {
            spoken.removeTemporaryFiles()
            speech = try SpeechInput.samples(Array(spoken.samples.prefix(tenSeconds)), temporaryFolder: FileManager.default.temporaryDirectory)
        }
        defer { speech.removeTemporaryFiles() }
        let source = "model \(model) (trained at \(head.config.dataset.map { "\($0.width)×\($0.height)" } ?? "?"), iteration \(head.iteration)); speech: espeak-ng en-us, text to speech + features \(String(format: "%.1f", featureMs)) ms"
        print(try withInterruptsCaught("bench") {
            try InferenceBenchmark.run(synthesizer, speech: speech, featureMilliseconds: speech.featureMilliseconds, source: source,
                                       shouldStop: interrupted)
        })
    }
}

extension BenchCommand {
    /// One fine-stage iteration at 512×512 with `gaussians` Gaussians on a fresh 2 s synthetic speaker.
    func benchTraining() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("audioplane-bench-train-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try SyntheticDataset.generate(SynthSettings(seconds: 2, size: 512, identitySeed: 1, textSeed: 1), to: folder, quiet: true)
        let data = try TalkingHeadTrainingData(folder: folder)
        // The speaker's own head (neutral mouth) at the detail that gives `gaussians` Gaussians: a
        // realistic canonical head for the rasterizer's cost.
        let identity = SpeakerIdentity(seed: 1)
        var detail = Float(gaussians) / Float(HeadModel(identity: identity, detail: 1).count)
        detail *= Float(gaussians) / Float(HeadModel(identity: identity, detail: detail).count)   // counts grow sub-linearly
        let head = HeadModel(identity: identity, detail: detail).cloud(mouth: MouthParameters(), blink: 0)
        var report = try TrainingBenchmark.run(data: data, head: head, iterations: repeats, lpips: try LPIPS.loadInstalled())
        report.head = "the synthetic speaker's head"
        print(report)
    }

}

/// CPU model and core count, for benchmark reports.
func machineDescription() -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) logical cores, \(ThreadSettings.threadCount) threads"
}

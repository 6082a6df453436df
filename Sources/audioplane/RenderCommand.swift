import ArgumentParser
import DataIO
import Foundation
import TensorCore
import Training

/// `audioplane render --model MODEL (--audio FILE | --text "…" [--voice V]) --out OUT.mp4`:
/// new speech → lip-synced talking-head video (wiring only; `TalkingHeadSynthesizer` does the work).
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a trained talking head saying new speech (an audio file or text) into an H.264 mp4.",
        discussion: """
        Features are computed from the audio exactly as in training (or read with --features). Head poses,
        torso and background come from the dataset's frames in order, playing back and forth when the
        speech is longer. The video is 25 fps with the audio muxed in and lasts as long as the audio; it
        is written atomically (an interrupted or failed render leaves no file at --out).
        """)

    @Option(name: .long, help: "Model folder written by `audioplane train`.")
    var model: String

    @Option(name: .long, help: "Speech to say: any audio or video file ffmpeg reads.")
    var audio: String?

    @Option(name: .long, help: "Text to say (spoken by espeak-ng).")
    var text: String?

    @Option(name: .long, help: "espeak-ng voice for --text (en-us, en-gb, de, fr, ...).")
    var voice: String = "en-us"

    @Option(name: .long, help: "Speaking rate for --text in words per minute (80-450).")
    var rate: Int = 160

    @Option(name: .long, help: "Output mp4 file.")
    var out: String

    @Option(name: .long, help: "Dataset giving head poses, torso and background (default: the model's training dataset; another recording of the same person at the same size also works).")
    var data: String?

    @Option(name: .long, help: "Use this [N, 16, C] feature array (npy) instead of computing features from the audio (for models trained on other feature types).")
    var features: String?

    @Option(name: .long, help: "Also write every frame as PNG into this folder (created).")
    var frames: String?

    @Option(name: .long, help: "Output size WxH (default: the dataset's); the splats are rendered natively at that size.")
    var size: String?

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard (audio == nil) != (text == nil) else { throw ValidationError("give exactly one of --audio FILE and --text \"...\"") }
        guard (80...450).contains(rate) else { throw ValidationError("--rate must be between 80 and 450 words per minute") }
        if let size { _ = try Self.parseSize(size) }
    }

    static func parseSize(_ text: String) throws -> (Int, Int) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).compactMap { Int($0) }
        guard text.lowercased().filter({ $0 == "x" }).count == 1 else {
            throw ValidationError("--size must be WxH with even sides from 16 to 4096 pixels, e.g. 512x512")
        }
        guard parts.count == 2, parts[0] >= 16, parts[1] >= 16, parts[0] <= 4096, parts[1] <= 4096,
              parts[0] % 2 == 0, parts[1] % 2 == 0 else {
            throw ValidationError("--size must be WxH with even sides from 16 to 4096 pixels, e.g. 512x512")
        }
        return (parts[0], parts[1])
    }

    func run() throws {
        let outURL = URL(fileURLWithPath: out)
        let head = try TrainedTalkingHead.load(URL(fileURLWithPath: model))
        let poses = try openPoseDataset(head)
        let synthesizer = try TalkingHeadSynthesizer(head: head, poses: poses)
        if let size { (synthesizer.outputWidth, synthesizer.outputHeight) = try Self.parseSize(size) }

        var timings = StageTimings()
        var speech = try timings.measure("audio features") { () throws -> SpeechInput in
            if let audio { return try SpeechInput.audio(URL(fileURLWithPath: audio)) }
            return try SpeechInput.text(text!, voice: voice, wordsPerMinute: rate, temporaryFolder: FileManager.default.temporaryDirectory)
        }
        defer { speech.removeTemporaryFiles() }
        if let features {
            try speech.loadFeatures(URL(fileURLWithPath: features), channels: head.audioChannels)
        } else if let kind = head.featureKind, kind != .audioPlane || head.audioChannels != speech.channels {
            throw ValidationError("\(head.directory.path) was trained on \(kind.fileName) features (\(head.audioChannels) channels); audioplane computes only its own log-mel features (aud_ap.npy): pass --features with a matching array")
        }
        try synthesizer.checkFeatures(speech.features, frameCount: speech.frameCount, source: features ?? "the audio features")
        if let frames { try createFolder(URL(fileURLWithPath: frames)) }

        let progress = ProgressReporter(stage: "render", total: speech.frameCount, quiet: quiet)
        let result = try withInterruptsCaught("render") {
            try TalkingHeadVideo.render(synthesizer, speech: speech, to: outURL, framesFolder: frames.map { URL(fileURLWithPath: $0) },
                                        progress: { done, _ in progress.update(done) }, shouldStop: interrupted)
        }
        if !quiet {
            var all = timings
            all.add(result.timings)
            FileHandle.standardError.write(Data(all.table(perUnit: result.frames, unit: " per frame", nameWidth: 16).utf8))
        }
        print(String(format: "%@: %d frames, %.2f s of speech, %d×%d, rendered at %.1f frames/s (real-time factor %.2f)",
                     result.video.url.path, result.frames, result.video.duration, synthesizer.outputWidth, synthesizer.outputHeight,
                     result.framesPerSecond, result.realTimeFactor))
    }

    /// `--data`, else the dataset recorded in the model's config.json.
    func openPoseDataset(_ head: TrainedTalkingHead) throws -> TalkingHeadDataset {
        let path: String
        if let data { path = data } else {
            guard let trained = head.config.dataset?.path else {
                throw ValidationError("\(head.directory.path): the model does not name its dataset; pass --data")
            }
            guard FileManager.default.fileExists(atPath: trained) else {
                throw ValidationError("\(trained): the model's training dataset is gone; pass --data with a dataset of the same person")
            }
            path = trained
        }
        return try TalkingHeadDataset(folder: URL(fileURLWithPath: path), cacheBytes: 64 << 20)
    }
}

import AudioFeatures
import DataIO
import Foundation
import Splatting
import TensorCore

/// Settings of `audioplane synth` (Codable: stored in the dataset's `synth.json`).
public struct SynthSettings: Codable, Equatable, Sendable {
    /// Length in seconds; nil with `text` = the length of the spoken text.
    public var seconds: Double?
    /// Image width = height in pixels.
    public var size: Int
    public var voice: String
    public var identitySeed: UInt64
    public var textSeed: UInt64
    /// Text to speak instead of random sentences.
    public var text: String?
    public var wordsPerMinute: Int
    public var jpegQuality: Int
    /// Gaussian-count scale of the head and torso (1 = full; tests use less).
    public var detail: Float

    public init(seconds: Double? = 60, size: Int = 512, voice: String = "en-us", identitySeed: UInt64 = 1,
                textSeed: UInt64 = 1, text: String? = nil, wordsPerMinute: Int = 160, jpegQuality: Int = JPEGFile.defaultQuality, detail: Float = 1) {
        self.detail = detail
        self.seconds = seconds; self.size = size; self.voice = voice; self.identitySeed = identitySeed
        self.textSeed = textSeed; self.text = text; self.wordsPerMinute = wordsPerMinute; self.jpegQuality = jpegQuality
    }
}

/// What `SyntheticDataset.generate` did.
public struct SynthReport: Sendable {
    public var frames: Int
    public var seconds: Double
    public var gaussians: Int
    public var sentences: [String]
    public var timings: StageTimings
    public var wallSeconds: Double
}

/// `synth.json`: the generator's own record (seeds, text, ground-truth layout).
public struct SynthMetadata: Codable, Equatable, Sendable {
    public var generator = "audioplane synth 1"
    public var settings: SynthSettings
    public var frames: Int
    public var fps = 25
    public var sentences: [String]
    /// `mouth.npy` [N, 4] columns; `blink.npy` [N] is eyelid closure in [0, 1].
    public var mouthColumns = MouthParameters.columnNames
    /// Head box in the head frame (metres): min, max.
    public var headBoxMin: [Float]
    public var headBoxMax: [Float]
    public var complete: Bool
}

/// Generates a complete ER-NeRF-layout dataset of the synthetic speaker (DESIGN.md §4):
/// transforms_train/val.json, ori_imgs (+ .lms), gt_imgs, parsing, torso_imgs, bc.jpg, aud.wav,
/// aud_ap.npy [N, 16, 32] (ours), plus ground truth only a generator has: mouth.npy [N, 4],
/// blink.npy [N], phonemes.json (espeak-ng's events) and synth.json (seeds, text).
///
/// Frames are rendered with `SplatRenderer` and encoded in parallel (`parallelFor`), written as they
/// finish (memory stays flat). Deterministic given the settings.
public enum SyntheticDataset {
    public static func generate(_ settings: SynthSettings, to folder: URL, quiet: Bool = false) throws -> SynthReport {
        let start = monotonicSeconds()
        var timings = StageTimings()
        let writer = try TalkingHeadDatasetWriter(folder: folder, width: settings.size, height: settings.size,
                                                  focalLength: SpeakerScene.focalFactor * Float(settings.size), jpegQuality: settings.jpegQuality)
        let layout = writer.layout

        let speech = try timings.measure("speech (espeak-ng)") {
            try SpeechTrack(text: settings.text, seconds: settings.seconds, textSeed: settings.textSeed,
                            voice: settings.voice, wordsPerMinute: settings.wordsPerMinute)
        }
        let n = speech.frameCount
        try timings.measure("audio + features") {
            try WavFile.write16BitMono(speech.samples, sampleRate: 16_000, to: layout.audio)
            try writeAtomically(try speech.phonemeJSON(voice: settings.voice), to: folder.appendingPathComponent("phonemes.json"))
            let features = try FeatureExtractor().features(speech.samples)
            precondition(features.shape[0] == n, "feature rows \(features.shape[0]) != frames \(n)")
            try writer.writeFeatures(NpyArray(features), kind: .audioPlane)
        }

        let mouth = Visemes.mouthTrack(speech.phonemes, frameCount: n)
        let motion = MotionTrack(frameCount: n, seed: settings.textSeed)
        try Npy.write(NpyArray(shape: [n, 4], float32: mouth.flatMap(\.array)), to: folder.appendingPathComponent("mouth.npy"))
        try Npy.write(NpyArray(shape: [n], float32: motion.blinks), to: folder.appendingPathComponent("blink.npy"))

        let (scene, torso, backgroundFrame, torsoPNG) = try timings.measure("scene (models, torso, bc.jpg)") { () throws -> (SpeakerScene, SpeakerScene.TorsoLayer, Image8, Data) in
            let scene = SpeakerScene(identity: SpeakerIdentity(seed: settings.identitySeed), size: settings.size, detail: settings.detail)
            let torso = scene.renderTorso()
            let bcBytes = try JPEGFile.encode(scene.background(), quality: settings.jpegQuality, name: layout.background.path)
            try writeAtomically(bcBytes, to: layout.background)
            // Composite over the *decoded* bc.jpg, so gt = head + (1 − α)·(torso over bc) holds for readers.
            let bc = try JPEGFile.decode(bcBytes, name: layout.background.path)
            return (scene, torso, TalkingHeadDataset.composite(torso.rgba, over: bc), try PNGFile.encode(torso.rgba))
        }
        var metadata = SynthMetadata(settings: settings, frames: n, sentences: speech.sentences,
                                     headBoxMin: scene.head.boundsArray.min, headBoxMax: scene.head.boundsArray.max, complete: false)
        try writeMetadata(metadata, folder)

        let progress = ProgressReporter(stage: "synth", total: n, quiet: quiet)
        let lock = NSLock()
        var done = 0
        var firstError: Error?
        let frameStart = monotonicSeconds()
        parallelFor(0..<n, chunk: 4) { range in
            let renderer = SplatRenderer()
            for k in range {
                lock.lock(); let failed = firstError != nil; lock.unlock()
                if failed { return }
                do {
                    let pose = motion.poses[k]
                    let images = scene.renderHead(pose, mouth: mouth[k], blink: motion.blinks[k], renderer: renderer)
                    let frame = SpeakerScene.composite(head: images, over: backgroundFrame)
                    let files = TalkingHeadDatasetWriter.FrameFiles(
                        imageID: k, original: frame, parsing: SpeakerScene.parsing(head: images, torso: torso),
                        torso: torso.rgba, landmarks: scene.landmarks(pose, mouth: mouth[k], blink: motion.blinks[k]))
                    try writer.writeFrame(files, torsoPNG: torsoPNG)
                } catch {
                    lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
                    return
                }
                lock.lock(); done += 1; progress.update(done); lock.unlock()
            }
        }
        if let firstError { throw firstError }
        timings.add("frames (render + encode + write)", seconds: monotonicSeconds() - frameStart)

        try timings.measure("transforms") {
            try writer.finish(frames: (0..<n).map {
                CameraTransforms.Frame(imageID: $0, audioID: $0, transform: scene.cameraToHead(motion.poses[$0]))
            })
        }
        metadata.complete = true
        try writeMetadata(metadata, folder)
        return SynthReport(frames: n, seconds: Double(n) / 25, gaussians: scene.head.count, sentences: speech.sentences,
                           timings: timings, wallSeconds: monotonicSeconds() - start)
    }

    static func writeMetadata(_ metadata: SynthMetadata, _ folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try writeAtomically(try encoder.encode(metadata), to: folder.appendingPathComponent("synth.json"))
    }

    /// Reads `synth.json` of a generated dataset (nil when absent).
    public static func readMetadata(_ folder: URL) throws -> SynthMetadata? {
        let url = folder.appendingPathComponent("synth.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(SynthMetadata.self, from: data)
    }
}

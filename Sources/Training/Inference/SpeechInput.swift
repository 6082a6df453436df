import AudioFeatures
import DataIO
import Foundation
import TensorCore

/// The speech a talking head is to say, ready for inference: 16 kHz mono samples, the audio
/// features `[N, 16, C]` computed exactly as `audioplane synth` computes a dataset's `aud_ap.npy`
/// (`FeatureExtractor`, N = ⌈25·T⌉), and a file to mux as the video's sound track.
public struct SpeechInput {
    /// Samples at 16 kHz.
    public var samples: [Float]
    /// `[frameCount, 16, C]` features, row-major.
    public var features: [Float]
    public var frameCount: Int
    public var channels: Int
    /// The sound track for the video (the input file itself, or a wav written for `--text`).
    public var soundTrack: URL
    /// True when `soundTrack` is a temporary file of ours (`removeTemporaryFiles()` deletes it).
    public var ownsSoundTrack: Bool
    /// Milliseconds the feature extraction took (log-mel windows of the whole clip).
    public var featureMilliseconds: Double = 0

    /// Seconds of speech, T = samples / 16,000.
    public var duration: Double { Double(samples.count) / Double(AudioDecoder.sampleRate) }

    /// Errors with one line naming the input.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case nothingToSay(String)
        case featureMismatch(path: String, message: String)
        public var description: String {
            switch self {
            case .nothingToSay(let text):
                let shown = text.replacingOccurrences(of: "\n", with: " ")
                return "text \"\(shown.prefix(60))\": nothing speakable (espeak-ng produced no speech sounds)"
            case let .featureMismatch(path, message): return "\(path): \(message)"
            }
        }
    }

    /// Audio from any file ffmpeg (or the native wav reader) reads; features computed here.
    public static func audio(_ url: URL) throws -> SpeechInput {
        let decoded = try AudioDecoder.decode(url)
        return try make(samples: decoded.samples, soundTrack: url, owns: false)
    }

    /// Text spoken by espeak-ng with `voice`; the speech is written to a temporary wav in
    /// `temporaryFolder` (for the sound track). Throws `nothingToSay` when the text yields only
    /// pauses (e.g. "...").
    public static func text(_ text: String, voice: String, wordsPerMinute: Int = 160, temporaryFolder: URL) throws -> SpeechInput {
        let speech = try SpeechSynthesizer.synthesize(text, options: .init(voice: voice, wordsPerMinute: wordsPerMinute))
        let spoken = speech.phonemes.contains { !$0.phoneme.hasPrefix("_") }
        let peak = speech.samples.reduce(Float(0)) { max($0, abs($1)) }
        guard spoken, peak > 1e-3, speech.samples.count >= AudioDecoder.sampleRate / 25 else { throw Error.nothingToSay(text) }
        return try samples(speech.samples, temporaryFolder: temporaryFolder)
    }

    /// 16 kHz samples held in memory; written to a temporary wav in `temporaryFolder` for the sound track.
    public static func samples(_ samples: [Float], temporaryFolder: URL) throws -> SpeechInput {
        let wav = temporaryFolder.appendingPathComponent(".audioplane-speech-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).wav")
        try WavFile.write16BitMono(samples, sampleRate: AudioDecoder.sampleRate, to: wav)
        do { return try make(samples: samples, soundTrack: wav, owns: true) } catch {
            try? FileManager.default.removeItem(at: wav)
            throw error
        }
    }

    static func make(samples: [Float], soundTrack: URL, owns: Bool) throws -> SpeechInput {
        let start = monotonicSeconds()
        let extractor = try FeatureExtractor()
        let f = extractor.features(samples)
        return SpeechInput(samples: samples, features: f.data, frameCount: f.shape[0], channels: f.shape[2],
                           soundTrack: soundTrack, ownsSoundTrack: owns, featureMilliseconds: 1000 * (monotonicSeconds() - start))
    }

    /// Replaces the computed features with an `[N, 16, C]` npy (e.g. DeepSpeech `aud_ds.npy` for a
    /// model trained on those); N must cover the audio (⌈25·T⌉ rows, one more or less tolerated).
    public mutating func loadFeatures(_ url: URL, channels expected: Int) throws {
        let array = try Npy.read(url)
        guard array.shape.count == 3, array.shape[1] == 16, array.shape[2] == expected else {
            throw Error.featureMismatch(path: url.path, message: "features are \(array.shape), the model needs [N, 16, \(expected)]")
        }
        let n = array.shape[0]
        guard abs(n - frameCount) <= 1 else {
            throw Error.featureMismatch(path: url.path, message: "\(n) feature rows, but the audio lasts \(frameCount) frames at 25 fps")
        }
        features = array.floatValues()
        frameCount = n
        channels = expected
    }

    /// Deletes the temporary sound track (for `--text`).
    public func removeTemporaryFiles() {
        if ownsSoundTrack { try? FileManager.default.removeItem(at: soundTrack) }
    }
}

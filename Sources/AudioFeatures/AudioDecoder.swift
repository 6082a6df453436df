import DataIO
import Foundation

/// Audio decoded for the feature extractor: 16 kHz mono Float in [-1, 1].
public struct DecodedAudio: Sendable {
    /// How the file was decoded.
    public enum Route: String, Sendable { case nativeWav, ffmpeg }

    /// `[S]` samples at `AudioDecoder.sampleRate` (16 kHz), mono.
    public var samples: [Float]
    public var route: Route
    /// Duration in seconds, `S / 16000`.
    public var duration: Double { Double(samples.count) / Double(AudioDecoder.sampleRate) }
}

/// Decodes any audio or video file to 16 kHz mono Float: a native fast path for PCM/float wav
/// (`WavFile` + `Resampler`), ffmpeg (`FFmpegDecoder`) for everything else.
///
/// Every failure is an `AudioDecoder.Error` (or `WavFile.Error`) whose description is one line
/// naming the file: missing file, empty file, not audio, no audio stream, no samples, silence only.
public enum AudioDecoder {
    /// The rate every decoded signal has (Hz).
    public static let sampleRate = 16_000

    public struct Options: Sendable {
        /// Accept audio whose every sample is (nearly) zero; by default that is an error, since
        /// features of silence cannot drive a face.
        public var allowSilence = false
        /// ffmpeg executable; nil searches `PATH`.
        public var ffmpegPath: String?
        public init(allowSilence: Bool = false, ffmpegPath: String? = nil) {
            self.allowSilence = allowSilence
            self.ffmpegPath = ffmpegPath
        }
    }

    /// A problem with one input file; `description` is one line naming the file and the problem.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case fileNotFound(path: String)
        case notAFile(path: String)
        case unreadable(path: String)
        case emptyFile(path: String)
        case ffmpegMissing(path: String)
        case notAudio(path: String, detail: String)
        case noAudioStream(path: String)
        case noSamples(path: String)
        case silent(path: String)

        public var description: String {
            switch self {
            case .fileNotFound(let path): return "\(path): no such file"
            case .notAFile(let path): return "\(path): is a folder, not an audio file"
            case .unreadable(let path): return "\(path): cannot read file (permission denied?)"
            case .emptyFile(let path): return "\(path): file is empty (0 bytes)"
            case .ffmpegMissing(let path): return "\(path): needs ffmpeg to decode, but ffmpeg is not on PATH (run scripts/setup.sh)"
            case let .notAudio(path, detail): return "\(path): not an audio or video file ffmpeg can decode (ffmpeg: \(detail))"
            case .noAudioStream(let path): return "\(path): has no audio stream"
            case .noSamples(let path): return "\(path): contains no audio samples (zero duration)"
            case .silent(let path): return "\(path): audio is silent (every sample is below -90 dBFS)"
            }
        }
    }

    /// Peak level below which audio counts as silent: −90 dBFS (under one 16-bit step).
    static let silencePeak: Float = 3.1623e-5

    /// Decodes `url` to 16 kHz mono.
    public static func decode(_ url: URL, options: Options = Options()) throws -> DecodedAudio {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw Error.fileNotFound(path: path) }
        guard !isDirectory.boolValue else { throw Error.notAFile(path: path) }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Error.unreadable(path: path) }
        let head = handle.readData(ofLength: 12)
        try? handle.close()
        guard !head.isEmpty else { throw Error.emptyFile(path: path) }

        var decoded: DecodedAudio?
        if WavFile.looksLikeWav(head) {
            guard let data = try? Data(contentsOf: url) else { throw Error.unreadable(path: path) }
            if let wav = try WavFile.read(data, path: path), let resampler = Resampler(from: wav.sampleRate, to: sampleRate) {
                decoded = DecodedAudio(samples: resampler.resample(wav.samples), route: .nativeWav)
            }
        }
        if decoded == nil {
            guard let ffmpeg = options.ffmpegPath ?? ExternalTool.find("ffmpeg") else { throw Error.ffmpegMissing(path: path) }
            switch try FFmpegDecoder.decode(url, executable: ffmpeg, sampleRate: sampleRate) {
            case .samples(let samples): decoded = DecodedAudio(samples: samples, route: .ffmpeg)
            case .noAudioStream: throw Error.noAudioStream(path: path)
            case .failed(let message): throw Error.notAudio(path: path, detail: message)
            }
        }
        let audio = decoded!
        guard !audio.samples.isEmpty else { throw Error.noSamples(path: path) }
        if !options.allowSilence {
            var peak: Float = 0
            for x in audio.samples { peak = max(peak, abs(x)) }
            if peak < silencePeak { throw Error.silent(path: path) }
        }
        return audio
    }
}

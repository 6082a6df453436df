import Foundation

/// Parameters of the built-in speech features (log-mel at 50 frames/s, windowed per video frame).
///
/// Defaults (documented in README.md):
/// - 16 kHz mono input; hop 320 samples (20 ms) → 50 feature frames per second, 2 per video frame.
/// - Periodic Hann window of 400 samples (25 ms), zero-padded to a 512-point real FFT (FFTW).
/// - 32 triangular mel bands (HTK mel scale, peak weight 1) from 60 Hz to 7600 Hz, on the power
///   spectrum normalised by (Σ window)², so a full-scale sine reads about −6 dB in its band.
/// - Value per band: `max(0, 1 + dB / 80)` with `dB = 10·log10(melPower + 1e-12)` — a fixed affine
///   map, identical in batch and streaming, where −80 dB and quieter (and digital silence) read 0,
///   the same value as the zero padding at the ends of the windows.
/// - Feature frame `j` is centred on sample `320·j` (window samples `[320j − 200, 320j + 200)`,
///   zeros outside the signal); there are `F = ⌈S / 320⌉` feature frames for `S` samples.
/// - Video frame `i` (25 fps, timestamp `40·i` ms) gets feature frames `[2i − 8, 2i + 8)`, zeros
///   outside `[0, F)`: shape `[16, C]`, as ER-NeRF's DeepSpeech windows (`aud_ds.npy` `[N, 16, 29]`).
/// - `N = ⌈S / 640⌉ = ⌈25·T⌉` video frames: every 40 ms frame that starts inside the audio, so the
///   rendered video never ends before the sound (|N − 25·T| < 1).
public struct FeatureSettings: Codable, Equatable, Sendable {
    /// Input sample rate in Hz (audio is decoded/resampled to this).
    public var sampleRate: Int = 16_000
    /// Samples between feature frames (320 = 20 ms at 16 kHz → 50 frames/s).
    public var hopLength: Int = 320
    /// Analysis window length in samples (400 = 25 ms), periodic Hann.
    public var windowLength: Int = 400
    /// FFT size (≥ `windowLength`; the window is zero-padded to it).
    public var fftSize: Int = 512
    /// Number of mel bands `C`.
    public var melBands: Int = 32
    /// Lowest and highest mel filter edge in Hz.
    public var minFrequency: Double = 60
    public var maxFrequency: Double = 7_600
    /// Level in dB that maps to 0; louder levels rise linearly, 0 dB maps to 1.
    public var floorDecibels: Float = -80
    /// Video frame rate (frames per second).
    public var videoFPS: Int = 25
    /// Feature frames per video-frame window (16, as ER-NeRF).
    public var windowFrames: Int = 16

    public init() {}

    /// The project's default features: 32 log-mel bands, 50 Hz, windows of 16 per 25 fps frame.
    public static let standard = FeatureSettings()

    /// Feature frames per video frame (2 with the defaults). Requires `sampleRate` divisible by
    /// `videoFPS · hopLength`.
    public var featureFramesPerVideoFrame: Int { sampleRate / (videoFPS * hopLength) }

    /// Samples per video frame (640 with the defaults).
    public var samplesPerVideoFrame: Int { sampleRate / videoFPS }

    /// Number of feature frames `F = ⌈S / hop⌉` (frames whose centre lies inside the signal).
    public func featureFrameCount(sampleCount: Int) -> Int { (sampleCount + hopLength - 1) / hopLength }

    /// Number of video frames `N = ⌈S / samplesPerVideoFrame⌉` for `S` samples (see type doc).
    public func videoFrameCount(sampleCount: Int) -> Int {
        (sampleCount + samplesPerVideoFrame - 1) / samplesPerVideoFrame
    }

    /// First feature frame of video frame `i`'s window: `2i − 8` with the defaults.
    public func firstFeatureFrame(ofVideoFrame i: Int) -> Int {
        i * featureFramesPerVideoFrame - windowFrames / 2
    }

    /// Look-ahead in samples past a video frame's timestamp before its window is complete:
    /// the last feature frame `2i + 7` needs samples up to `320·(2i+7) + 200` (2440 samples).
    public var lookAheadSamples: Int {
        (windowFrames / 2 - 1) * hopLength + (windowLength - windowLength / 2)
    }

    /// Streaming latency in milliseconds (152.5 ms with the defaults): how far past a video frame's
    /// timestamp the audio must have arrived before that frame's window is emitted. Chunked input adds
    /// up to one chunk on top.
    public var latencyMilliseconds: Double { Double(lookAheadSamples) * 1000 / Double(sampleRate) }

    /// Checks the invariants the extractor relies on; throws a one-line description otherwise.
    public func validate() throws {
        func fail(_ why: String) -> FeatureError { FeatureError.invalidSettings(why) }
        guard sampleRate > 0, hopLength > 0, windowLength > 1, videoFPS > 0 else { throw fail("rates and lengths must be positive") }
        guard fftSize >= windowLength else { throw fail("fftSize \(fftSize) is smaller than windowLength \(windowLength)") }
        guard melBands > 0 else { throw fail("melBands must be positive") }
        guard windowFrames > 0, windowFrames % 2 == 0 else { throw fail("windowFrames must be a positive even number") }
        guard sampleRate % (videoFPS * hopLength) == 0 else {
            throw fail("sampleRate \(sampleRate) is not a multiple of videoFPS·hopLength = \(videoFPS * hopLength)")
        }
        guard 0 <= minFrequency, minFrequency < maxFrequency, maxFrequency <= Double(sampleRate) / 2 else {
            throw fail("need 0 ≤ minFrequency < maxFrequency ≤ sampleRate/2")
        }
        guard floorDecibels < 0 else { throw fail("floorDecibels must be negative") }
    }
}

/// Errors from feature extraction itself (decoding errors are `AudioDecoder.Error`).
public enum FeatureError: Swift.Error, CustomStringConvertible, Equatable {
    case invalidSettings(String)
    case fftPlanFailed(size: Int)

    public var description: String {
        switch self {
        case .invalidSettings(let why): return "invalid feature settings: \(why)"
        case .fftPlanFailed(let size): return "FFTW could not plan a real FFT of size \(size)"
        }
    }
}

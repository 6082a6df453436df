import Foundation

/// How `VideoWriter` encodes: H.264 (libx264, yuv420p, so width and height must be even) at a fixed
/// frame rate, AAC audio. Codable so a render job can record what it used.
public struct VideoEncodingSettings: Codable, Equatable, Sendable {
    /// Frames per second of the output (DESIGN.md §3: 25, the rate of the audio features).
    public var fps: Int = 25
    /// x264 constant rate factor: 0 lossless … 51 worst; 18 is visually lossless for most content.
    public var crf: Int = 18
    /// x264 speed preset (ultrafast … veryslow). `veryfast` keeps encoding well under the render cost.
    public var preset: String = "veryfast"
    /// AAC bit rate in kbit/s.
    public var audioBitrateKbps: Int = 128
    /// Output audio sample rate in Hz. 48 kHz keeps AAC frames (1024 samples) at 21 ms, well under
    /// one video frame; 16 kHz speech would give 64 ms AAC frames.
    public var audioSampleRate: Int = 48_000
    /// The ffmpeg program: a name looked up on PATH, or a path.
    public var ffmpeg: String = "ffmpeg"
    /// The ffprobe program (to measure the audio's duration when the caller does not give it).
    public var ffprobe: String = "ffprobe"

    public init() {}

    /// Video frames that cover `seconds` of audio: N = ⌈fps·T⌉, every frame that starts inside the
    /// audio (the same count as `AudioFeatures`' per-frame windows, ⌈S/640⌉ at 16 kHz). A tolerance
    /// of 1 µs keeps T = 1.4 s at exactly 35 frames despite floating-point rounding.
    public func frameCount(forDuration seconds: Double) -> Int {
        max(0, Int((Double(fps) * seconds - 1e-6).rounded(.up)))
    }
}

import DataIO
import Foundation
import TensorCore

/// End-to-end inference timing (`audioplane bench --only inference`): a trained head says
/// `speech`, every frame rendered at the dataset's size.
///
/// Two passes over the same frames:
/// 1. **render only** — audio encoder + attention, plane query (S ⊙ f_a), decoders, deformation,
///    rasterization, background (torso PNG decode + composite over bc.jpg) and compositing into
///    8-bit frames, no video: the "frames/s excluding video encoding" figure;
/// 2. **to mp4** — the same plus H.264 encoding and muxing through ffmpeg (`TalkingHeadVideo`),
///    which runs as a separate process on the same cores: the real-time factor.
/// Audio feature extraction is timed once for the whole clip (it is not per frame).
public enum InferenceBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public var width: Int, height: Int, gaussians: Int, frames: Int
        public var speechSeconds: Double
        public var featureMilliseconds: Double
        public var renderOnly: StageTimings
        public var renderOnlySeconds: Double
        public var withVideo: TalkingHeadVideo.Result
        public var source: String

        public var framesPerSecondExcludingEncoding: Double { Double(frames) / renderOnlySeconds }

        public var description: String {
            var s = "inference: \(source)\n"
            s += "  \(frames) frames (\(String(format: "%.2f", speechSeconds)) s of speech) at \(width)×\(height), \(gaussians) Gaussians, \(ThreadSettings.threadCount) threads\n"
            s += String(format: "  audio features (whole clip)   %8.2f ms\n", featureMilliseconds)
            s += "  per frame, render only (mean):\n"
            s += renderOnly.table(perUnit: frames, indent: "    ", nameWidth: 26)
            s += String(format: "    %@ %8.2f ms  → %.1f frames/s excluding video encoding\n",
                        "total".padding(toLength: 26, withPad: " ", startingAt: 0), 1000 * renderOnlySeconds / Double(frames),
                        framesPerSecondExcludingEncoding)
            let encode = withVideo.timings.seconds["video encoding"] ?? 0
            s += String(format: "  to mp4 (H.264 + AAC through ffmpeg, running concurrently): %.2f s = %.1f frames/s, of which %.2f ms/frame waiting on the encoder\n",
                        withVideo.seconds, withVideo.framesPerSecond, 1000 * encode / Double(frames))
            s += String(format: "  real-time factor including encoding: %.2f (≤ 1 is faster than real time)\n", withVideo.realTimeFactor)
            return s
        }
    }

    /// Runs both passes; the mp4 goes to a temporary file that is deleted afterwards.
    public static func run(_ synthesizer: TalkingHeadSynthesizer, speech: SpeechInput, featureMilliseconds: Double,
                           source: String, shouldStop: () -> Bool = { false }) throws -> Report {
        let count = speech.frameCount
        // Warm-up (page faults, caches) on a few frames, not timed.
        var frame = Image8(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 0, count: 12))
        for k in 0..<min(3, count) { try synthesizer.renderFrame(k, features: speech.features, frameCount: count, into: &frame) }
        synthesizer.timings.reset()
        let start = monotonicSeconds()
        for k in 0..<count {
            if shouldStop() { throw TalkingHeadVideo.Interrupted() }
            try synthesizer.renderFrame(k, features: speech.features, frameCount: count, into: &frame)
        }
        let renderSeconds = monotonicSeconds() - start
        let renderOnly = synthesizer.timings

        let mp4 = FileManager.default.temporaryDirectory.appendingPathComponent("audioplane-bench-\(getpid()).mp4")
        defer { try? FileManager.default.removeItem(at: mp4) }
        let video = try TalkingHeadVideo.render(synthesizer, speech: speech, to: mp4, shouldStop: shouldStop)
        return Report(width: synthesizer.outputWidth, height: synthesizer.outputHeight, gaussians: synthesizer.head.cloud.count,
                      frames: count, speechSeconds: speech.duration, featureMilliseconds: featureMilliseconds,
                      renderOnly: renderOnly, renderOnlySeconds: renderSeconds, withVideo: video, source: source)
    }
}

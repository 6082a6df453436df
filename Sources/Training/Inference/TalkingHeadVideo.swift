import DataIO
import Foundation
import TensorCore

/// The render loop shared by `audioplane render`, the demo and the inference benchmark: every
/// frame of `speech` through `synthesizer` into an H.264 mp4 with the speech muxed in (`VideoWriter`:
/// atomic, so a failed or cancelled render leaves nothing at `output`).
public enum TalkingHeadVideo {
    /// What a render produced and how long it took.
    public struct Result: Sendable {
        public var video: VideoWriter.Summary
        public var frames: Int
        /// Wall-clock seconds of the whole loop (features excluded; encoding included).
        public var seconds: Double
        /// Per-stage times summed over the frames (the synthesizer's stages + "video encoding").
        public var timings: StageTimings
        public var framesPerSecond: Double { Double(frames) / max(seconds, 1e-9) }
        /// Rendering time ÷ speech duration (≤ 1: faster than real time).
        public var realTimeFactor: Double { seconds / max(video.duration, 1e-9) }
    }

    /// Thrown when `shouldStop` turned true (the video was cancelled, nothing written).
    public struct Interrupted: Error, CustomStringConvertible {
        public var description: String { "interrupted; no video written" }
    }

    /// Renders `speech` to `output`. `framesFolder`, when given, also receives every frame as
    /// `00000.png`, `00001.png`, …; `progress` is called after each frame with the count done;
    /// `shouldStop` is polled once per frame.
    public static func render(_ synthesizer: TalkingHeadSynthesizer, speech: SpeechInput, to output: URL,
                              framesFolder: URL? = nil, progress: (Int, Int) -> Void = { _, _ in },
                              shouldStop: () -> Bool = { false }) throws -> Result {
        let writer = try VideoWriter(url: output, width: synthesizer.outputWidth, height: synthesizer.outputHeight,
                                     audio: speech.soundTrack, audioDuration: speech.duration)
        let count = min(writer.expectedFrameCount ?? speech.frameCount, speech.frameCount)
        synthesizer.timings.reset()
        var encoding = StageTimings()
        var frame = Image8(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 0, count: 12))
        let start = monotonicSeconds()
        let summary: VideoWriter.Summary
        do {
            for k in 0..<count {
                if shouldStop() { throw Interrupted() }
                try synthesizer.renderFrame(k, features: speech.features, frameCount: speech.frameCount, into: &frame)
                try encoding.measure("video encoding") { try writer.append(frame) }
                if let framesFolder {
                    try PNGFile.write(frame, to: framesFolder.appendingPathComponent(String(format: "%05d.png", k)))
                }
                progress(k + 1, count)
            }
            summary = try encoding.measure("video encoding") { try writer.finish() }
        } catch {
            writer.cancel()
            throw error
        }
        var timings = synthesizer.timings
        timings.add("video encoding", seconds: encoding.seconds["video encoding"] ?? 0)
        return Result(video: summary, frames: count, seconds: monotonicSeconds() - start, timings: timings)
    }
}

import Foundation
import TensorCore

/// One video frame's audio window as it leaves the streaming extractor.
public struct FeatureWindow: Equatable, Sendable {
    /// Video frame index `i` (timestamp `40·i` ms at 25 fps).
    public var videoFrame: Int
    /// Feature frames `[2i − 8, 2i + 8)`, `[16, C]` row-major, zeros outside the signal.
    public var values: [Float]
}

/// Streaming speech features: push 16 kHz mono audio in chunks of any size and receive each video
/// frame's `[16, C]` window as soon as its last feature frame's audio has arrived; `finish()` flushes
/// the tail. The windows equal the batch `FeatureExtractor.features` rows bit for bit: every feature
/// frame is computed once, by the same `LogMelAnalyzer` code, on the same samples and zero padding.
///
/// Latency: video frame `i` is emitted once audio up to `40·i ms + settings.latencyMilliseconds`
/// (152.5 ms with the defaults) has been pushed, plus at most one chunk of buffering.
///
/// Per-stream state (one per live stream, not thread-safe); memory stays bounded: samples and feature
/// frames are dropped once no future window needs them.
public final class StreamingFeatureExtractor {
    public let analyzer: LogMelAnalyzer
    public var settings: FeatureSettings { analyzer.settings }
    private let workspace: LogMelAnalyzer.Workspace

    /// Samples not yet consumed; `samples[0]` is signal sample `sampleOffset`.
    private var samples: [Float] = []
    private var sampleOffset = 0
    /// Total samples pushed so far.
    public private(set) var samplesReceived = 0
    /// Computed feature frames `[.., C]`; row 0 is feature frame `featureOffset`.
    private var features: [Float] = []
    private var featureOffset = 0
    /// Next feature frame to compute and next video frame to emit.
    private var nextFeatureFrame = 0
    private var nextVideoFrame = 0
    private var finished = false

    public init(analyzer: LogMelAnalyzer) {
        self.analyzer = analyzer
        workspace = analyzer.makeWorkspace()
    }

    public convenience init(settings: FeatureSettings = .standard) throws {
        self.init(analyzer: try LogMelAnalyzer(settings: settings))
    }

    /// Feeds a chunk of 16 kHz mono samples; returns the windows that became complete, in order.
    public func push(_ chunk: [Float]) -> [FeatureWindow] {
        precondition(!finished, "StreamingFeatureExtractor.push after finish()")
        samples.append(contentsOf: chunk)
        samplesReceived += chunk.count
        let hop = settings.hopLength, length = settings.windowLength
        // Feature frame j is complete once samples up to hop·j − L/2 + L have arrived.
        while nextFeatureFrame * hop - length / 2 + length <= samplesReceived {
            computeNextFeatureFrame(signalLength: Int.max)
        }
        return emitWindows(upToFeatureFrame: nextFeatureFrame, videoFrameLimit: Int.max)
    }

    /// Ends the stream: computes the last feature frames with zero padding and returns the remaining
    /// windows, so that the total is `N = ⌈S / 640⌉`. The extractor cannot be pushed to afterwards.
    public func finish() -> [FeatureWindow] {
        precondition(!finished, "StreamingFeatureExtractor.finish called twice")
        finished = true
        let total = samplesReceived
        let frames = settings.featureFrameCount(sampleCount: total)
        while nextFeatureFrame < frames { computeNextFeatureFrame(signalLength: total) }
        return emitWindows(upToFeatureFrame: Int.max, videoFrameLimit: settings.videoFrameCount(sampleCount: total))
    }

    private func computeNextFeatureFrame(signalLength: Int) {
        let bands = settings.melBands
        let row = features.count
        features.append(contentsOf: repeatElement(0, count: bands))
        samples.withUnsafeBufferPointer { buffer in
            features.withUnsafeMutableBufferPointer { out in
                analyzer.computeFrame(nextFeatureFrame, samples: buffer, offset: sampleOffset, signalLength: signalLength,
                                      workspace: workspace, out: out.baseAddress! + row)
            }
        }
        nextFeatureFrame += 1
        // Drop samples that no later feature frame reads (frame j starts at hop·j − L/2).
        let keepFrom = nextFeatureFrame * settings.hopLength - settings.windowLength / 2
        let drop = min(samples.count, keepFrom - sampleOffset)
        if drop > 4096 {  // amortise: trim in batches rather than per frame
            samples.removeFirst(drop)
            sampleOffset += drop
        }
    }

    /// Emits every video frame whose window ends before `limit` (the first feature frame not yet
    /// known; `Int.max` after finish, when frames past the end are zeros), up to `videoFrameLimit`.
    private func emitWindows(upToFeatureFrame limit: Int, videoFrameLimit: Int) -> [FeatureWindow] {
        let bands = settings.melBands, width = settings.windowFrames
        var out: [FeatureWindow] = []
        while nextVideoFrame < videoFrameLimit {
            let first = settings.firstFeatureFrame(ofVideoFrame: nextVideoFrame)
            guard first + width <= limit else { break }
            var values = [Float](repeating: 0, count: width * bands)
            for w in 0..<width {
                let row = first + w - featureOffset
                // Rows before the stream (j < 0) are zero; rows past the end exist only after finish and
                // are zero as well (j ≥ F is never computed).
                guard first + w >= 0, first + w < nextFeatureFrame, row >= 0 else { continue }
                for c in 0..<bands { values[w * bands + c] = features[row * bands + c] }
            }
            out.append(FeatureWindow(videoFrame: nextVideoFrame, values: values))
            nextVideoFrame += 1
        }
        // Drop feature rows no future window reads (the next window starts at 2i − 8).
        let keepFrom = settings.firstFeatureFrame(ofVideoFrame: nextVideoFrame)
        let dropRows = min(features.count / bands, keepFrom - featureOffset)
        if dropRows > 64 {
            features.removeFirst(dropRows * bands)
            featureOffset += dropRows
        }
        return out
    }
}

import Foundation
import TensorCore

/// Batch speech features: 16 kHz mono samples → log-mel frames `[F, C]` → per-video-frame windows
/// `[N, 16, C]` (the layout of ER-NeRF's `aud_ds.npy`). See `FeatureSettings` for every parameter.
///
/// Shareable: it holds only the immutable `LogMelAnalyzer`; frames are computed in parallel
/// through `parallelFor`, each worker with its own workspace.
public final class FeatureExtractor: Sendable {
    public let analyzer: LogMelAnalyzer
    public var settings: FeatureSettings { analyzer.settings }

    public init(settings: FeatureSettings = .standard) throws {
        analyzer = try LogMelAnalyzer(settings: settings)
    }

    /// Log-mel frames of a whole signal, `[F, C]` with `F = ⌈S / hop⌉`; frame `j` is centred on
    /// sample `hop·j`, zeros outside the signal.
    public func logMel(_ samples: [Float]) -> Tensor {
        let bands = settings.melBands
        let frames = settings.featureFrameCount(sampleCount: samples.count)
        var out = [Float](repeating: 0, count: frames * bands)
        samples.withUnsafeBufferPointer { signal in
            out.withUnsafeMutableBufferPointer { dst in
                let base = dst.baseAddress!
                parallelFor(0..<frames, chunk: 128) { range in
                    let workspace = analyzer.makeWorkspace()
                    for j in range {
                        analyzer.computeFrame(j, samples: signal, offset: 0, signalLength: signal.count,
                                              workspace: workspace, out: base + j * bands)
                    }
                }
            }
        }
        return Tensor(shape: [frames, bands], data: out)
    }

    /// Per-video-frame windows `[N, W, C]` (`W = 16`) from log-mel frames `[F, C]` of a signal of
    /// `sampleCount` samples: row `i` holds feature frames `[2i − 8, 2i + 8)`, zeros outside `[0, F)`;
    /// `N = ⌈S / 640⌉` at 25 fps.
    public func videoFrameWindows(logMel: Tensor, sampleCount: Int) -> Tensor {
        let count = settings.videoFrameCount(sampleCount: sampleCount)
        let bands = settings.melBands, width = settings.windowFrames
        let frames = logMel.shape[0]
        var out = [Float](repeating: 0, count: count * width * bands)
        logMel.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count {
                    let first = settings.firstFeatureFrame(ofVideoFrame: i)
                    for w in 0..<width {
                        let j = first + w
                        guard j >= 0, j < frames else { continue }
                        let to = (i * width + w) * bands
                        for c in 0..<bands { dst[to + c] = src[j * bands + c] }
                    }
                }
            }
        }
        return Tensor(shape: [count, width, bands], data: out)
    }

    /// The full batch path: samples (16 kHz mono) → `[N, 16, C]`.
    public func features(_ samples: [Float]) -> Tensor {
        videoFrameWindows(logMel: logMel(samples), sampleCount: samples.count)
    }
}

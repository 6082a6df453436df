@testable import AudioFeatures
import TensorCore
import XCTest

final class StreamingTests: XCTestCase {
    let extractor = try! FeatureExtractor()

    private func stream(_ samples: [Float], chunk: Int) -> [FeatureWindow] {
        let streaming = StreamingFeatureExtractor(analyzer: extractor.analyzer)
        var out: [FeatureWindow] = []
        var start = 0
        while start < samples.count {
            out += streaming.push(Array(samples[start..<min(start + chunk, samples.count)]))
            start += chunk
        }
        return out + streaming.finish()
    }

    /// Streaming output equals batch output exactly (bit for bit), for awkward chunk sizes and
    /// lengths (shorter than one window, not a multiple of the hop or the video frame).
    func testStreamingEqualsBatchExactly() {
        let long = Fixtures.chirp(from: 100, to: 7000, seconds: 2.3).enumerated().map { $0.element + 0.05 * Float(sin(Double($0.offset) * 0.37)) }
        let cases: [(samples: [Float], chunks: [Int])] = [
            (long, [1, 7, 320, 333, 640, 4096, long.count]),
            (Array(long.prefix(16_123)), [160, 999]),
            (Array(long.prefix(150)), [1, 64]),
            (Array(long.prefix(2440)), [2440, 100]),
        ]
        for (samples, chunks) in cases {
            let batch = extractor.features(samples)
            for chunk in chunks {
                let windows = stream(samples, chunk: chunk)
                XCTAssertEqual(windows.count, batch.shape[0], "\(samples.count) samples, chunk \(chunk)")
                XCTAssertEqual(windows.map(\.videoFrame), Array(0..<windows.count))
                XCTAssertEqual(windows.flatMap(\.values).map(\.bitPattern), batch.data.map(\.bitPattern),
                               "\(samples.count) samples, chunk \(chunk): streaming differs from batch")
            }
        }
    }

    /// Each window leaves as soon as its look-ahead has arrived: after at least 640·i + 2440 samples
    /// (152.5 ms past the frame's timestamp) and at most one chunk later.
    func testLatency() {
        let chunk = 160
        let samples = Fixtures.tone(300, seconds: 1.5)
        let streaming = StreamingFeatureExtractor(analyzer: extractor.analyzer)
        let lookAhead = extractor.settings.lookAheadSamples
        XCTAssertEqual(lookAhead, 2440)
        XCTAssertEqual(extractor.settings.latencyMilliseconds, 152.5)
        var emittedBeforeFinish = 0
        for start in stride(from: 0, to: samples.count, by: chunk) {
            for window in streaming.push(Array(samples[start..<min(start + chunk, samples.count)])) {
                let received = streaming.samplesReceived
                XCTAssertGreaterThanOrEqual(received - 640 * window.videoFrame, lookAhead)
                XCTAssertLessThan(received - 640 * window.videoFrame, lookAhead + chunk)
                emittedBeforeFinish += 1
            }
        }
        let tail = streaming.finish()
        XCTAssertEqual(emittedBeforeFinish + tail.count, 38)  // ⌈24000 / 640⌉
        XCTAssertLessThanOrEqual(tail.count, 4)  // only the frames within the last 152.5 ms
    }
}

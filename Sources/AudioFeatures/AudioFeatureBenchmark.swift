import Foundation
import TensorCore

/// Times the audio front end on a synthetic speech-like signal (for `audioplane bench` and
/// `audioplane features --bench`). What is timed:
/// - `batchSeconds`: `FeatureExtractor.features` on `audioSeconds` of 16 kHz samples already in memory
///   (log-mel + windowing to `[N, 16, C]`; analyzer/plan creation excluded), best of `repeats`.
/// - `streamingSeconds`: a fresh `StreamingFeatureExtractor` fed the same samples in chunks of
///   `chunkMilliseconds`, including `finish()`, best of `repeats`; `worstChunkMilliseconds` is the slowest
///   single `push`.
/// - `wavDecodeSeconds`: `AudioDecoder.decode` of the same audio stored as a 44.1 kHz 16-bit wav
///   (native wav path + resampling to 16 kHz), best of `repeats`.
public enum AudioFeatureBenchmark {
    public struct Report: Sendable, CustomStringConvertible {
        public var audioSeconds: Double
        public var featureShape: [Int]
        public var batchSeconds: Double
        public var streamingSeconds: Double
        public var chunkMilliseconds: Double
        public var worstChunkMilliseconds: Double
        public var wavDecodeSeconds: Double
        public var latencyMilliseconds: Double
        public var threads: Int

        /// Audio seconds processed per second of streaming compute (≫ 1 keeps up with live audio).
        public var streamingRealTimeFactor: Double { audioSeconds / streamingSeconds }
        /// Audio seconds per second of batch compute.
        public var batchRealTimeFactor: Double { audioSeconds / batchSeconds }

        public var description: String {
            func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
            return """
            audio features (\(String(format: "%.0f", audioSeconds)) s of 16 kHz audio, \(threads) threads, output \(featureShape)):
              batch log-mel + windows : \(ms(batchSeconds))  (\(String(format: "%.0f", batchRealTimeFactor))x real time)
              streaming, \(String(format: "%.0f", chunkMilliseconds)) ms chunks : \(ms(streamingSeconds))  (\(String(format: "%.0f", streamingRealTimeFactor))x real time, slowest chunk \(String(format: "%.3f", worstChunkMilliseconds)) ms)
              streaming latency       : \(String(format: "%.1f", latencyMilliseconds)) ms look-ahead past each video frame's timestamp (+ one chunk)
              wav decode (44.1 kHz)   : \(ms(wavDecodeSeconds))
            """
        }
    }

    /// A deterministic speech-like test signal: a 120–220 Hz gliding harmonic voice with syllable-rate
    /// amplitude modulation plus a little noise, `[seconds · 16000]`.
    public static func testSignal(seconds: Double, seed: UInt64 = 7) -> [Float] {
        let rate = Double(AudioDecoder.sampleRate)
        let count = Int(seconds * rate)
        var random = SeededRandom(seed: seed)
        var phase = 0.0
        return (0..<count).map { n in
            let t = Double(n) / rate
            let f0 = 170 + 50 * sin(2 * Double.pi * 0.7 * t)
            phase += 2 * Double.pi * f0 / rate
            var voice = 0.0
            for h in 1...8 { voice += sin(Double(h) * phase) / Double(h) }
            let envelope = 0.5 + 0.5 * sin(2 * Double.pi * 4 * t)
            return Float(0.2 * envelope * voice) + 0.01 * random.uniform(-1, 1)
        }
    }

    public static func run(seconds: Double = 60, chunkMilliseconds: Double = 20, repeats: Int = 3,
                           settings: FeatureSettings = .standard) throws -> Report {
        let samples = testSignal(seconds: seconds)
        let extractor = try FeatureExtractor(settings: settings)
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

        var shape: [Int] = []
        var batch = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = now()
            let features = extractor.features(samples)
            batch = min(batch, now() - start)
            shape = features.shape
        }

        let chunk = max(1, Int(chunkMilliseconds * Double(settings.sampleRate) / 1000))
        let chunks = stride(from: 0, to: samples.count, by: chunk).map { Array(samples[$0..<min($0 + chunk, samples.count)]) }
        var streaming = Double.infinity, worstChunk = 0.0
        for _ in 0..<max(1, repeats) {
            let stream = StreamingFeatureExtractor(analyzer: extractor.analyzer)
            var emitted = 0
            let start = now()
            for piece in chunks {
                let t0 = now()
                emitted += stream.push(piece).count
                worstChunk = max(worstChunk, now() - t0)
            }
            emitted += stream.finish().count
            streaming = min(streaming, now() - start)
            precondition(emitted == shape[0], "streaming emitted \(emitted) windows, batch \(shape[0])")
        }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("audioplane-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let wavURL = folder.appendingPathComponent("bench44k.wav")
        let upsampler = Resampler(from: settings.sampleRate, to: 44_100)!
        try WavFile.write16BitMono(upsampler.resample(samples), sampleRate: 44_100, to: wavURL)
        var decode = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = now()
            _ = try AudioDecoder.decode(wavURL)
            decode = min(decode, now() - start)
        }

        return Report(audioSeconds: seconds, featureShape: shape, batchSeconds: batch, streamingSeconds: streaming,
                      chunkMilliseconds: chunkMilliseconds, worstChunkMilliseconds: worstChunk * 1000,
                      wavDecodeSeconds: decode, latencyMilliseconds: settings.latencyMilliseconds,
                      threads: ThreadSettings.threadCount)
    }
}

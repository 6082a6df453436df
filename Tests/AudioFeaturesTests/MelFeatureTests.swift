@testable import AudioFeatures
import TensorCore
import XCTest

final class MelFeatureTests: XCTestCase {
    let extractor = try! FeatureExtractor()

    /// A pure tone's energy peaks in the mel band whose centre is nearest to its frequency (in mel).
    func testTonePeaksInItsMelBand() throws {
        let bank = extractor.analyzer.filterBank
        for frequency in [150.0, 300, 440, 1000, 1800, 2500, 4000, 6000, 7200] {
            let mel = extractor.logMel(Fixtures.tone(frequency, seconds: 0.3))
            let bands = mel.shape[1]
            let row = 7  // a frame well inside the signal
            let peak = Fixtures.argmax(mel.data[(row * bands)..<((row + 1) * bands)])
            XCTAssertEqual(peak, bank.nearestBand(to: frequency), "tone \(frequency) Hz peaks in band \(peak) (centre \(bank.centreFrequencies[peak]) Hz)")
        }
    }

    /// A chirp's peak band rises monotonically with time.
    func testChirpPeakBandRises() {
        let mel = extractor.logMel(Fixtures.chirp(from: 200, to: 7000, seconds: 1))
        let bands = mel.shape[1]
        let peaks = (1..<(mel.shape[0] - 1)).map { Fixtures.argmax(mel.data[($0 * bands)..<(($0 + 1) * bands)]) }
        for k in 1..<peaks.count { XCTAssertGreaterThanOrEqual(peaks[k], peaks[k - 1], "frame \(k + 1)") }
        XCTAssertLessThanOrEqual(peaks.first!, 3)
        XCTAssertGreaterThanOrEqual(peaks.last!, bands - 3)
    }

    /// Fixed normalisation: a full-scale sine in its band reads ≈ 1 − 6/80 (−6 dB), half amplitude
    /// 6 dB lower; digital silence reads exactly 0. Tolerance 0.03 (≈ 2.4 dB) covers the Hann main
    /// lobe spreading a tone between bins and bands.
    func testFixedLevelScale() {
        func peakValue(_ amplitude: Float) -> Float {
            let mel = extractor.logMel(Fixtures.tone(1000, seconds: 0.3, amplitude: amplitude))
            return mel.data[(7 * 32)..<(8 * 32)].max()!
        }
        let full = peakValue(1), half = peakValue(0.5)
        XCTAssertEqual(full, 1 - 6.0 / 80, accuracy: 0.03)
        XCTAssertEqual(full - half, 6.02 / 80, accuracy: 0.002)
        XCTAssertTrue(extractor.logMel([Float](repeating: 0, count: 4000)).data.allSatisfy { $0 == 0 })
    }

    /// N = ⌈S/640⌉: 0 ≤ N − 25·T < 1 for durations that are and are not whole frames.
    func testFrameCountMatchesDurationAt25fps() {
        for count in [1, 319, 320, 640, 641, 16_000, 16_001, 16_639, 24_321, 48_000] {
            let features = extractor.features([Float](repeating: 0.1, count: count))
            let expected = 25 * Double(count) / 16_000
            XCTAssertEqual(features.shape, [Int(expected.rounded(.up)), 16, 32], "\(count) samples")
            XCTAssertGreaterThanOrEqual(Double(features.shape[0]) - expected, 0)
            XCTAssertLessThan(Double(features.shape[0]) - expected, 1)
        }
    }

    /// Window i holds feature frames [2i − 8, 2i + 8): zero rows before the start and after the end,
    /// and the log-mel rows in between.
    func testWindowsAreCentredAndZeroPadded() {
        let samples = Fixtures.tone(500, seconds: 1.01)  // 16160 samples: F = 51, N = 26
        let mel = extractor.logMel(samples)
        let windows = extractor.videoFrameWindows(logMel: mel, sampleCount: samples.count)
        XCTAssertEqual(mel.shape, [51, 32])
        XCTAssertEqual(windows.shape, [26, 16, 32])
        func row(_ i: Int, _ w: Int) -> ArraySlice<Float> { windows.data[((i * 16 + w) * 32)..<((i * 16 + w + 1) * 32)] }
        for i in [0, 3, 12, 25] {
            for w in 0..<16 {
                let j = 2 * i - 8 + w
                if j < 0 || j >= 51 {
                    XCTAssertTrue(row(i, w).allSatisfy { $0 == 0 }, "window \(i) row \(w) (frame \(j)) should be padding")
                } else {
                    XCTAssertEqual(Array(row(i, w)), Array(mel.data[(j * 32)..<((j + 1) * 32)]), "window \(i) row \(w)")
                }
            }
        }
    }

    func testSettingsValidation() {
        var settings = FeatureSettings()
        settings.fftSize = 256
        XCTAssertThrowsError(try FeatureExtractor(settings: settings))
        settings = FeatureSettings()
        settings.hopLength = 300  // 16000 is not a multiple of 25·300
        XCTAssertThrowsError(try FeatureExtractor(settings: settings)) { error in
            XCTAssertFalse(String(describing: error).contains("\n"))
        }
        XCTAssertEqual(FeatureSettings.standard.latencyMilliseconds, 152.5)
    }

    /// Other band counts work (e.g. 29, the DeepSpeech width).
    func testConfigurableBandCount() throws {
        var settings = FeatureSettings()
        settings.melBands = 29
        let features = try FeatureExtractor(settings: settings).features(Fixtures.tone(440, seconds: 0.5))
        XCTAssertEqual(features.shape, [13, 16, 29])
    }
}

@testable import AudioFeatures
import XCTest

final class ResamplerTests: XCTestCase {
    /// RMS of a slice.
    private func rms(_ x: ArraySlice<Float>) -> Float { (x.map { $0 * $0 }.reduce(0, +) / Float(x.count)).squareRoot() }

    /// A tone in the pass band (up to ~7 kHz at 16 kHz output) keeps its frequency and level (within 0.5 %) across
    /// 22.05 → 16 kHz (espeak), 48 → 16 kHz and 8 → 16 kHz; length is ⌈S·L/M⌉.
    func testTonesKeepFrequencyAndLevel() throws {
        for (rate, frequency) in [(22_050, 1234.0), (48_000, 3000.0), (8_000, 500.0), (44_100, 6800.0)] {
            let input = Fixtures.tone(frequency, seconds: 0.5, amplitude: 0.5, rate: rate)
            let resampler = try XCTUnwrap(Resampler(from: rate, to: 16_000))
            let output = resampler.resample(input)
            XCTAssertEqual(output.count, (input.count * 16_000 + rate - 1) / rate)
            let expected = Fixtures.tone(frequency, seconds: 0.5, amplitude: 0.5)
            // Compare away from the ends, where the filter sees the implicit zeros.
            let inner = 400..<(expected.count - 400)
            XCTAssertEqual(rms(output[inner]), 0.5 / Float(2).squareRoot(), accuracy: 0.002, "\(rate) Hz")
            let error = zip(output[inner], expected[inner]).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(inner.count)
            XCTAssertLessThan(error.squareRoot(), 0.005, "\(rate) Hz: waveform differs")
        }
    }

    /// Content above the new Nyquist is removed (a 10 kHz tone at 48 kHz nearly vanishes at 16 kHz).
    func testAntiAliasing() throws {
        let output = try XCTUnwrap(Resampler(from: 48_000, to: 16_000)).resample(Fixtures.tone(10_000, seconds: 0.3, rate: 48_000))
        XCTAssertLessThan(rms(output[400..<(output.count - 400)]), 0.005)
    }

    func testIdentityAndUnsupportedRatios() {
        let x = Fixtures.tone(100, seconds: 0.01)
        XCTAssertEqual(Resampler(from: 16_000, to: 16_000)!.resample(x), x)
        XCTAssertNil(Resampler(from: 16_001, to: 16_000))  // needs 16000 phases: ffmpeg's job
    }
}

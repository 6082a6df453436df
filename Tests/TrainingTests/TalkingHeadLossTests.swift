import XCTest
import DataIO
@testable import Splatting
import TensorCore
@testable import Training

/// The lip emphasis term λ_mouth·mean_lips|x − y| of `TalkingHeadLoss`: value and gradient against
/// central differences (the loss is piecewise linear; the ground truth stays ≥ 0.1 away from x, so
/// no kink is crossed), inside and outside the lips rectangle, through the compositing with α.
final class TalkingHeadLossTests: XCTestCase {
    func testMouthL1TermValueAndGradient() {
        let w = 20, h = 16, p = w * h
        var rng = SeededRandom(seed: 3)
        var images = RasterImages()
        images.width = w; images.height = h
        images.alpha = (0..<p).map { _ in rng.uniform(0.2, 0.9) }
        images.image = (0..<(3 * p)).map { i in images.alpha[i / 3] * rng.uniform(0.1, 0.9) }
        let background = (0..<(3 * p)).map { _ in rng.uniform(0, 1) }
        let x = Compositing.composite(headRGB: images.image, headAlpha: images.alpha, background: background)
        let truth = x.map { $0 + (rng.next() & 1 == 0 ? 0.15 : -0.15) }
        let lips = PixelRect(rowMin: 5, rowMax: 11, colMin: 6, colMax: 15)
        let sample = TalkingHeadSample(index: 0, camera: Camera.lookAt(eye: [0, 0, 1], target: .zero, width: w, height: h, focal: 20),
                                       groundTruth: truth, background: background, mouthMask: [Float](repeating: 0, count: p),
                                       lips: lips, audioWindow: [])
        var config = TrainingConfig.quick()
        config.perceptual = .dssim
        config.lambdaDSSIM = 0
        config.lambdaMouthL1 = 2.5
        let loss = TalkingHeadLoss(config: config, lpips: nil)
        var r = SeededRandom(seed: 1)
        let result = loss.evaluate(images, sample: sample, withMask: false, rng: &r)

        // Value: full-frame mean L1 + 2.5 × mean over the rectangle's 6 × 9 × 3 values (each 0.15).
        XCTAssertEqual(Double(result.terms.total), 0.15 + 2.5 * 0.15, accuracy: 1e-5)
        var plain = config
        plain.lambdaMouthL1 = 0
        let base = TalkingHeadLoss(config: plain, lpips: nil).evaluate(images, sample: sample, withMask: false, rng: &r)
        XCTAssertEqual(Double(base.terms.total), 0.15, accuracy: 1e-5)

        func total(_ edit: (inout RasterImages) -> Void) -> Double {
            var copy = images
            edit(&copy)
            var rr = SeededRandom(seed: 1)
            return Double(loss.evaluate(copy, sample: sample, withMask: false, rng: &rr).terms.total)
        }
        let step: Float = 0.02     // exact for a piecewise-linear loss (|x − y| = 0.15 > step); large against Float rounding of L
        for (row, col) in [(7, 9), (5, 6), (10, 14), (2, 3), (12, 18)] {
            let pixel = row * w + col
            for ch in 0..<3 {
                let i = 3 * pixel + ch
                let numeric = (total { $0.image[i] += step } - total { $0.image[i] -= step }) / (2 * Double(step))
                XCTAssertEqual(Double(result.dImage[i]), numeric, accuracy: 1e-2 * abs(numeric) + 1e-6, "∂L/∂c at (\(row), \(col), \(ch))")
            }
            let numericAlpha = (total { $0.alpha[pixel] += step } - total { $0.alpha[pixel] -= step }) / (2 * Double(step))
            XCTAssertEqual(Double(result.dAlpha[pixel]), numericAlpha, accuracy: 1e-2 * abs(numericAlpha) + 1e-6, "∂L/∂α at (\(row), \(col))")
        }
        // Inside the rectangle the gradient is larger than outside by λ/(rectangle values) per value.
        let inside = abs(result.dImage[3 * (7 * w + 9)]), outside = abs(result.dImage[3 * (2 * w + 3)])
        XCTAssertEqual(Double(inside - outside), 2.5 / Double(6 * 9 * 3), accuracy: 1e-6)
    }
}

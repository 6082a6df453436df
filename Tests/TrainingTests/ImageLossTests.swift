import XCTest
import TensorCore
import _TestSupport
@testable import Training

final class ImageLossTests: XCTestCase {
    func randomImage(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in rng.uniform(0.05, 0.95) }
    }

    func testSSIMOfIdenticalImagesIsOneAndDropsWithNoise() {
        let x = randomImage(20 * 17 * 3, seed: 1)
        let ssim = SSIM()
        XCTAssertEqual(ssim.evaluate(x, x, width: 20, height: 17, channels: 3).ssim, 1, accuracy: 1e-5)
        var last: Float = 1
        var rng = SeededRandom(seed: 2)
        for sigma: Float in [0.02, 0.08, 0.2] {
            let y = x.map { min(max($0 + sigma * rng.normal(), 0), 1) }
            let s = ssim.evaluate(y, x, width: 20, height: 17, channels: 3, wantGradient: false).ssim
            XCTAssertLessThan(s, last)
            last = s
        }
    }

    func testSSIMGradientMatchesFiniteDifferences() {
        // D-SSIM gradient vs central differences of the Float implementation evaluated in Double
        // sums; step 1e-2 on values in [0.05, 0.95]; SSIM is smooth there, so the O(h²) error is
        // ~1e-6 and Float rounding of the mean over 300 values ~1e-7/h: tolerance 2e-4 absolute.
        let w = 10, h = 10, c = 3
        let x = randomImage(w * h * c, seed: 3), y = randomImage(w * h * c, seed: 4)
        let ssim = SSIM()
        let analytic = ssim.evaluate(x, y, width: w, height: h, channels: c).gradient
        let numeric = finiteDifferenceGradient(x.map { Double($0) }, step: 1e-2) { v in
            Double(ssim.evaluate(v.map { Float($0) }, y, width: w, height: h, channels: c, wantGradient: false).ssim)
        }
        assertClose(analytic, numeric.map { Float($0) }, atol: 2e-4)
        XCTAssertGreaterThan(analytic.map { abs($0) }.max()!, 1e-3)
    }

    func testL1AndPSNR() {
        let x: [Float] = [0, 0.5, 1, 0.25], y: [Float] = [0, 0.25, 0.5, 0.5]
        let (loss, g) = ImageLosses.l1(x, y)
        XCTAssertEqual(loss, 1.0 / 4, accuracy: 1e-6)
        XCTAssertEqual(g, [0, 0.25, 0.25, -0.25])
        XCTAssertEqual(ImageLosses.psnr(x, x), .infinity)
        XCTAssertEqual(ImageLosses.psnr([0.1, 0.1], [0.2, 0.2]), 20, accuracy: 1e-4)
    }

    func testAdamConvergesOnQuadratic() {
        // minimise Σ (p − t)²: Adam with lr 0.05 reaches the target within 1e-2 in 400 steps.
        let adam = NeuralNetAdam()
        var p: [Float] = [3, -2, 0.5]
        let t: [Float] = [1, 1, 1]
        for _ in 0..<400 {
            let g = zip(p, t).map { 2 * ($0 - $1) }
            adam.step("p", params: &p, grads: g, lr: 0.05, width: 1)
        }
        assertClose(p, t, atol: 1e-2)
    }
}

import NeuralNet
typealias NeuralNetAdam = Adam

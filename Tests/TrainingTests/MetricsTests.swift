import DataIO
import Foundation
import Perceptual
import TensorCore
import Training
import XCTest
import _TestSupport

/// Evaluation metrics, landmark distance, comparison frames, compositing and ping-pong playback.
final class MetricsTests: XCTestCase {
    /// A face-like test image [H, W, 3]: smooth skin gradient, a dark mouth with red lips centred
    /// at (`mouthX`, `mouthY`) — the region the mouth metrics look at.
    func face(width: Int, height: Int, mouthX: Float, mouthY: Float) -> [Float] {
        var image = [Float](repeating: 0, count: width * height * 3)
        for row in 0..<height {
            for col in 0..<width {
                let x = Float(col) + 0.5, y = Float(row) + 0.5
                var rgb = SIMD3<Float>(0.85 - 0.2 * y / Float(height), 0.65, 0.55 + 0.1 * x / Float(width))
                let dx = (x - mouthX) / 14, dy = (y - mouthY) / 6
                let r = (dx * dx + dy * dy).squareRoot()
                if r < 0.6 { rgb = SIMD3(0.15, 0.02, 0.04) } else if r < 1 { rgb = SIMD3(0.75, 0.2, 0.25) }
                for c in 0..<3 { image[3 * (row * width + col) + c] = rgb[c] }
            }
        }
        return image
    }

    /// 68 landmarks with the outer lips 48–59 on an ellipse around the mouth (other points on a
    /// circle around the face; only the lips matter for the lips rectangle).
    func landmarks(mouthX: Float, mouthY: Float) -> Landmarks {
        var points = (0..<68).map { i -> SIMD2<Float> in
            let a = Float(i) / 68 * 2 * .pi
            return SIMD2(48 + 30 * cosf(a), 48 + 30 * sinf(a))
        }
        for (k, i) in (48..<68).enumerated() {
            let a = Float(k % 12) / 12 * 2 * .pi, s: Float = i < 60 ? 1 : 0.5
            points[i] = SIMD2(mouthX + 14 * s * cosf(a), mouthY + 6 * s * sinf(a))
        }
        return Landmarks(points: points)
    }

    // MARK: - Identical images

    /// Ground truth against itself: PSNR +inf (no crash, JSON "inf"), SSIM 1, LPIPS 0 when installed.
    func testIdenticalImagesGiveInfinitePSNRAndSSIMOne() throws {
        let (w, h) = (64, 64)
        let image = face(width: w, height: h, mouthX: 32, mouthY: 44)
        let lips = landmarks(mouthX: 32, mouthY: 44).lipsRectangle(width: w, height: h)
        let metrics = ImageMetrics(lpips: nil)
        let m = metrics.evaluate(image, image, width: w, height: h, lips: lips)
        XCTAssertEqual(m.psnr, .infinity)
        XCTAssertEqual(m.ssim, 1, accuracy: 1e-6)
        XCTAssertEqual(m.mouthPSNR, .infinity)
        XCTAssertEqual(try XCTUnwrap(m.mouthSSIM), 1, accuracy: 1e-6)
        XCTAssertNil(m.lpips)

        var sum = MetricsAccumulator()
        sum.add(m); sum.add(m)
        let report = sum.report
        XCTAssertEqual(report.frames, 2)
        XCTAssertEqual(report.psnr, .infinity)
        let line = report.jsonLine()
        XCTAssertFalse(line.contains("\n"))
        XCTAssertTrue(line.contains("\"psnr\":\"inf\""), line)
        XCTAssertTrue(line.contains("\"frames\":2"), line)
        XCTAssertFalse(line.contains("lpips"), "absent when not computed: \(line)")
        XCTAssertEqual(try MetricsReport(jsonLine: line), report)
    }

    func testIdenticalImagesGiveLPIPSZeroWhenInstalled() throws {
        guard let network = try LPIPS.loadInstalled() else {
            throw XCTSkip(LPIPSInstallation.unavailableReason ?? "LPIPS not installed")
        }
        let (w, h) = (64, 64)
        let image = face(width: w, height: h, mouthX: 32, mouthY: 44)
        let metrics = ImageMetrics(lpips: network)
        XCTAssertTrue(metrics.hasLPIPS)
        let same = metrics.evaluate(image, image, width: w, height: h)
        XCTAssertEqual(try XCTUnwrap(same.lpips), 0, accuracy: 1e-6)
        let moved = metrics.evaluate(face(width: w, height: h, mouthX: 32, mouthY: 40), image, width: w, height: h)
        XCTAssertGreaterThan(try XCTUnwrap(moved.lpips), 1e-3)
        var sum = MetricsAccumulator()
        sum.add(same); sum.add(moved)
        XCTAssertEqual(try XCTUnwrap(sum.report.lpips), (same.lpips! + moved.lpips!) / 2, accuracy: 1e-12)
    }

    // MARK: - Mouth region

    /// Moving the mouth by a few pixels: the mouth-region PSNR falls well below the whole-frame
    /// PSNR (the error is all inside the lips rectangle), further for a larger shift, and mouth SSIM < 1.
    func testShiftedMouthLowersMouthRegionPSNR() {
        let (w, h) = (96, 96)
        let truth = face(width: w, height: h, mouthX: 48, mouthY: 66)
        let lips = landmarks(mouthX: 48, mouthY: 66).lipsRectangle(width: w, height: h)
        XCTAssertFalse(lips.isEmpty)
        let metrics = ImageMetrics(lpips: nil)
        let small = metrics.evaluate(face(width: w, height: h, mouthX: 49, mouthY: 67), truth, width: w, height: h, lips: lips)
        let large = metrics.evaluate(face(width: w, height: h, mouthX: 51, mouthY: 69), truth, width: w, height: h, lips: lips)
        for m in [small, large] {
            XCTAssertTrue(m.psnr.isFinite)
            XCTAssertLessThan(m.mouthPSNR!, m.psnr - 5, "error concentrates in the mouth: \(m)")
            XCTAssertLessThan(m.mouthSSIM!, 0.99)
        }
        XCTAssertLessThan(large.mouthPSNR!, small.mouthPSNR!)
        XCTAssertLessThan(large.mouthPSNR!, 20)

        // A rectangle outside the image or empty: mouth metrics skipped, not a crash.
        let outside = PixelRect(rowMin: 200, rowMax: 210, colMin: 0, colMax: 10)
        XCTAssertNil(metrics.evaluate(truth, truth, width: w, height: h, lips: outside).mouthPSNR)
    }

    func testCropTakesTheRectangle() {
        let image = (0..<(4 * 5 * 3)).map(Float.init)  // [4, 5, 3]
        let crop = ImageMetrics.crop(image, width: 5, rect: PixelRect(rowMin: 1, rowMax: 3, colMin: 2, colMax: 4))
        XCTAssertEqual(crop, [21, 22, 23, 24, 25, 26, 36, 37, 38, 39, 40, 41])
    }

    // MARK: - Accumulator and report

    func testAccumulatorAveragesAndReportRoundTrips() throws {
        var sum = MetricsAccumulator()
        sum.add(FrameMetrics(psnr: 30, ssim: 0.9, lpips: 0.1, mouthPSNR: 25, mouthSSIM: 0.8))
        sum.add(FrameMetrics(psnr: 20, ssim: 0.7, lpips: 0.3))
        sum.add(LandmarkDistance(mouth: 2, all: 1))
        let r = sum.report
        XCTAssertEqual(r.frames, 2)
        XCTAssertEqual(r.psnr, 25, accuracy: 1e-12)
        XCTAssertEqual(r.ssim, 0.8, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(r.lpips), 0.2, accuracy: 1e-12)
        XCTAssertEqual(r.mouthFrames, 1)
        XCTAssertEqual(r.mouthPSNR, 25)
        XCTAssertEqual(r.lmdMouth, 2)
        XCTAssertEqual(r.landmarkFrames, 1)
        XCTAssertEqual(try MetricsReport(jsonLine: r.jsonLine()), r)

        sum.add(FrameMetrics(psnr: 10, ssim: 0.5))  // no LPIPS for this frame
        XCTAssertNil(sum.report.lpips, "a partial LPIPS average is not reported")
        XCTAssertEqual(MetricsAccumulator().report.frames, 0)
        XCTAssertTrue(MetricsAccumulator().report.jsonLine().contains("\"psnr\":\"nan\""))
    }

    // MARK: - Landmark distance

    func testLandmarkDistance() {
        let a = landmarks(mouthX: 40, mouthY: 60)
        var b = a
        for i in 0..<68 { b.points[i] += SIMD2(3, 4) }
        let all = landmarkDistance(a, b)
        XCTAssertEqual(all.mouth, 5, accuracy: 1e-6)
        XCTAssertEqual(all.all, 5, accuracy: 1e-6)

        var c = a
        for i in Landmarks.lips { c.points[i] += SIMD2(0, 2) }  // only the mouth opens
        let mouth = landmarkDistance(a, c)
        XCTAssertEqual(mouth.mouth, 2, accuracy: 1e-6)
        XCTAssertEqual(mouth.all, 2 * 20 / 68, accuracy: 1e-6)
        XCTAssertEqual(landmarkDistance(a, a), LandmarkDistance(mouth: 0, all: 0))
    }

    // MARK: - Comparison frame

    func testSideBySidePutsPredictionLeft() {
        let p = Image8(width: 2, height: 2, channels: 3, pixels: (0..<12).map { UInt8($0) })
        let g = Image8(width: 2, height: 2, channels: 3, pixels: (100..<112).map { UInt8($0) })
        let s = ComparisonFrame.sideBySide(prediction: p, groundTruth: g)
        XCTAssertEqual(s.width, 4)
        XCTAssertEqual(s.height, 2)
        XCTAssertEqual(s.pixels, [0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105,
                                  6, 7, 8, 9, 10, 11, 106, 107, 108, 109, 110, 111])
    }

    // MARK: - Inference helpers

    /// final = RGB + (1 − α)·background, exactly (same Float operations), and the limits α = 0, 1.
    func testCompositingFormulaIsExact() {
        var rng = SeededRandom(seed: 7)
        let p = 37
        let alpha = (0..<p).map { _ in rng.uniform() }
        let rgb = (0..<(3 * p)).map { alpha[$0 / 3] * rng.uniform() }  // premultiplied
        let background = (0..<(3 * p)).map { _ in rng.uniform() }
        let out = Compositing.composite(headRGB: rgb, headAlpha: alpha, background: background)
        XCTAssertEqual(out, (0..<(3 * p)).map { rgb[$0] + (1 - alpha[$0 / 3]) * background[$0] })

        let opaque = Compositing.composite(headRGB: rgb, headAlpha: [Float](repeating: 1, count: p), background: background)
        XCTAssertEqual(opaque, rgb)
        let empty = Compositing.composite(headRGB: [Float](repeating: 0, count: 3 * p), headAlpha: [Float](repeating: 0, count: p),
                                          background: background)
        XCTAssertEqual(empty, background)

        // 8-bit form: the float result rounded as Image8(floats:) does (≤ 1 level for ties).
        let bg8 = Image8(floats: background, width: p, height: 1, channels: 3)
        var frame = Image8(width: 1, height: 1, channels: 3, pixels: [0, 0, 0])
        Compositing.composite(headRGB: rgb, headAlpha: alpha, background: bg8, into: &frame)
        let expected = Image8(floats: Compositing.composite(headRGB: rgb, headAlpha: alpha, background: bg8.floats),
                              width: p, height: 1, channels: 3)
        XCTAssertEqual(frame.width, p)
        for i in 0..<frame.pixels.count { XCTAssertLessThanOrEqual(abs(Int(frame.pixels[i]) - Int(expected.pixels[i])), 1) }
    }

    func testPingPongIndex() {
        XCTAssertEqual((0..<14).map { pingPongIndex($0, count: 4) }, [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1])
        XCTAssertEqual((0..<5).map { pingPongIndex($0, count: 2) }, [0, 1, 0, 1, 0])
        XCTAssertEqual((0..<3).map { pingPongIndex($0, count: 1) }, [0, 0, 0])
        // Consecutive indices never jump by more than one frame.
        for k in 0..<1000 { XCTAssertEqual(abs(pingPongIndex(k + 1, count: 7) - pingPongIndex(k, count: 7)), 1) }
    }
}

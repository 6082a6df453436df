import XCTest
import TensorCore
import _TestSupport
@testable import Splatting

/// The fast rasterizer against `Splatting/Reference` (forward images and every gradient).
///
/// Tolerances: the fast path runs in Float with a polynomial exp (≤ 2e-7 relative) and
/// reconstructs transmittance by division in the backward; the reference runs in Double. Forward
/// values agree to ~1e-5, so images use atol 2e-4. Gradients are compared per parameter group
/// relative to the group's largest reference gradient (1e-4 of that scale; measured agreement ~1e-6), which absorbs
/// Float accumulation over ~10³ pixels.
final class RasterizerVersusReferenceTests: XCTestCase {
    let channels = 2

    func testForwardMatchesReference() {
        for (seed, bg) in [(UInt64(7), SIMD3<Float>(0.2, 0.5, 0.9)), (11, .zero), (23, .one)] {
            let cam = SceneFixtures.camera()
            let cloud = SceneFixtures.scene(seed: seed, camera: cam)
            let extras = SceneFixtures.extras(count: cloud.count, channels: channels)
            let settings = RenderSettings(background: bg)
            let fast = SplatRenderer().render(cloud, camera: cam, settings: settings, extras: extras, extraChannels: channels)
            let ref = ReferenceRenderer.render(SceneFixtures.referenceScene(cloud, extras: extras, channels: channels, as: Double.self),
                                               camera: cam, settings: settings)
            assertClose(fast.images.image, ref.rgb.map { Float($0) }, atol: 2e-4, "rgb seed \(seed)")
            assertClose(fast.images.alpha, ref.alpha.map { Float($0) }, atol: 2e-4, "alpha seed \(seed)")
            assertClose(fast.images.extras, ref.extras.map { Float($0) }, atol: 5e-4, "extras seed \(seed)")
            // The scene is not trivially empty: most pixels are covered.
            XCTAssertGreaterThan(fast.images.alpha.filter { $0 > 0.5 }.count, fast.images.alpha.count / 3)
        }
    }

    func testForwardHandlesLowerActiveSHDegree() {
        let cam = SceneFixtures.camera()
        let cloud = SceneFixtures.scene(seed: 5, camera: cam)
        let settings = RenderSettings(background: [0.3, 0.3, 0.3], activeSHDegree: 1)
        let fast = SplatRenderer().render(cloud, camera: cam, settings: settings)
        let ref = ReferenceRenderer.render(SceneFixtures.referenceScene(cloud, extras: [], channels: 0, as: Double.self),
                                           camera: cam, settings: settings)
        assertClose(fast.images.image, ref.rgb.map { Float($0) }, atol: 2e-4)
    }

    func testImagesDoNotDependOnTiling() {
        // Shifting the principal point by one whole tile moves every Gaussian across tile
        // boundaries; the image must shift exactly by 16 pixels.
        let cam = SceneFixtures.camera(width: 64, height: 48, focal: 60)
        var shifted = cam
        shifted.width = 80; shifted.cx += 16
        let cloud = SceneFixtures.scene(seed: 9, edgeCases: false, camera: cam)
        let a = SplatRenderer().render(cloud, camera: cam).images
        let b = SplatRenderer().render(cloud, camera: shifted).images
        var worst: Float = 0
        for row in 0..<48 { for col in 0..<64 { for c in 0..<3 {
            worst = max(worst, abs(a.image[3 * (row * 64 + col) + c] - b.image[3 * (row * 80 + col + 16) + c]))
        } } }
        XCTAssertLessThan(worst, 1e-4)
    }

    func testEveryGradientMatchesReference() {
        let cam = SceneFixtures.camera()
        let cloud = SceneFixtures.scene(seed: 7, camera: cam)
        let extras = SceneFixtures.extras(count: cloud.count, channels: channels)
        let settings = RenderSettings(background: [0.2, 0.5, 0.9])
        let w = SceneFixtures.lossWeights(cam, channels: channels, seed: 99)
        let g = SceneFixtures.fastGradients(cloud, extras: extras, channels: channels, camera: cam, settings: settings, weights: w)
        let ref = ReferenceGradients.compute(cloud: cloud, extras: extras, channels: channels, camera: cam,
                                             settings: settings, wImage: w.image, wAlpha: w.alpha, wExtras: w.extras)
        for (name, fast, reference) in [("means", g.means, ref.means), ("rotations", g.rotations, ref.rotations),
                                        ("logScales", g.logScales, ref.logScales),
                                        ("opacityLogits", g.opacityLogits, ref.opacityLogits),
                                        ("shCoefficients", g.shCoefficients, ref.shCoefficients),
                                        ("extras", g.extras, ref.extras)] {
            let scale = reference.map { abs($0) }.max() ?? 0
            XCTAssertGreaterThan(scale, 1e-3, "\(name): reference gradient is all zero")
            assertClose(fast, reference.map { Float($0) }, atol: Float(scale) * 1e-4, name)
        }
    }
}

/// Exact gradients of L = Σ wImage·rgb + Σ wAlpha·alpha + Σ wExtras·extras of the reference
/// renderer, by forward-mode AD (8 parameters per pass).
enum ReferenceGradients {
    struct Result { var means, rotations, logScales, opacityLogits, shCoefficients, extras: [Double] }

    static func compute(cloud: GaussianCloud, extras: [Float], channels: Int, camera: Camera, settings: RenderSettings,
                        wImage: [Float], wAlpha: [Float], wExtras: [Float]) -> Result {
        var base: ReferenceScene<Dual> = SceneFixtures.referenceScene(cloud, extras: extras, channels: channels)
        let groups: [WritableKeyPath<ReferenceScene<Dual>, [Dual]>] =
            [\.means, \.rotations, \.logScales, \.opacityLogits, \.shCoefficients, \.extras]
        var params: [(WritableKeyPath<ReferenceScene<Dual>, [Dual]>, Int)] = []
        for kp in groups { for i in 0..<base[keyPath: kp].count { params.append((kp, i)) } }
        var grads = [Double](repeating: 0, count: params.count)
        var start = 0
        while start < params.count {
            let batch = Array(params[start..<min(start + 8, params.count)])
            for (lane, (kp, i)) in batch.enumerated() { var t = SIMD8<Double>.zero; t[lane] = 1; base[keyPath: kp][i].tangent = t }
            let out = ReferenceRenderer.render(base, camera: camera, settings: settings)
            var l = SIMD8<Double>.zero
            for (j, v) in out.rgb.enumerated() { l += v.tangent * Double(wImage[j]) }
            for (j, v) in out.alpha.enumerated() { l += v.tangent * Double(wAlpha[j]) }
            for (j, v) in out.extras.enumerated() { l += v.tangent * Double(wExtras[j]) }
            for (lane, (kp, i)) in batch.enumerated() { grads[start + lane] = l[lane]; base[keyPath: kp][i].tangent = .zero }
            start += 8
        }
        var offset = 0
        func take(_ n: Int) -> [Double] { defer { offset += n }; return Array(grads[offset..<offset + n]) }
        return Result(means: take(cloud.means.count), rotations: take(cloud.rotations.count),
                      logScales: take(cloud.logScales.count), opacityLogits: take(cloud.opacityLogits.count),
                      shCoefficients: take(cloud.shCoefficients.count), extras: take(extras.count))
    }
}

/// Coverage: thin, long, rotated ellipses at low and high opacity stress the per-tile-row column
/// ranges of the binning; any pixel dropped with α ≥ 1/255 would differ from the reference by
/// ≥ 1/255 × its colour, far above the 2e-4 tolerance.
final class CoverageTests: XCTestCase {
    func testThinRotatedEllipsesMatchReference() {
        var rng = SeededRandom(seed: 404)
        let cam = SceneFixtures.camera(width: 70, height: 50, focal: 60)
        var cloud = GaussianCloud(shDegree: 0)
        for _ in 0..<150 {
            let long = rng.uniform(-2.0, -0.8), thin = rng.uniform(-6, -3.5)
            cloud.append(mean: SIMD3(rng.uniform(-1, 1), rng.uniform(-0.8, 0.8), rng.uniform(-0.5, 0.5)),
                         rotation: SIMD4(rng.normal(), rng.normal(), rng.normal(), rng.normal()),
                         logScale: SIMD3(long, thin, thin),
                         opacityLogit: rng.uniform() < 0.5 ? logit(rng.uniform(1.05, 3) / 255) : rng.uniform(-2, 4),
                         sh: [rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)])
        }
        let fast = SplatRenderer().render(cloud, camera: cam, settings: RenderSettings(background: [0.5, 0.5, 0.5]))
        let ref = ReferenceRenderer.render(SceneFixtures.referenceScene(cloud, extras: [], channels: 0, as: Double.self),
                                           camera: cam, settings: RenderSettings(background: [0.5, 0.5, 0.5]))
        assertClose(fast.images.alpha, ref.alpha.map { Float($0) }, atol: 2e-4)
        assertClose(fast.images.image, ref.rgb.map { Float($0) }, atol: 2e-4)
        // The ellipse-aware binning must drop some (tile, Gaussian) pairs of the boxes here.
        let boxTiles = (0..<cloud.count).reduce(0) { $0 + Int(fast.projected.tileCount[$1]) * (fast.projected.visible[$1] ? 1 : 0) }
        XCTAssertLessThan(fast.tileEntryCount, boxTiles)
    }
}

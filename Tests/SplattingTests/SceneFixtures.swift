import TensorCore
@testable import Splatting

/// Random test scenes that exercise every rule of the rasterizer (seeded, deterministic).
enum SceneFixtures {
    /// A camera 2.5 units in front of the origin, non-square image with partial tiles.
    static func camera(width: Int = 45, height: Int = 34, focal: Float = 52) -> Camera {
        var cam = Camera.lookAt(eye: [0.3, -0.2, -2.5], target: [0, 0, 0], width: width, height: height, focal: focal)
        cam.cx += 1.7   // off-centre principal point
        cam.fy = focal * 1.05
        return cam
    }

    /// `count` random anisotropic rotated Gaussians around the origin plus the edge cases:
    /// one crossing the near plane, one behind the camera, one huge, one tiny, opacities just above
    /// 1/255 and near 0.99. SH degree 3 by default.
    static func scene(count: Int = 14, shDegree: Int = 3, seed: UInt64 = 7, edgeCases: Bool = true,
                      camera: Camera = camera()) -> GaussianCloud {
        var rng = SeededRandom(seed: seed)
        var cloud = GaussianCloud(shDegree: shDegree)
        let k = cloud.shCoefficientCount
        func sh(_ dc: SIMD3<Float>) -> [Float] {
            var v = [Float](repeating: 0, count: 3 * k)
            for c in 0..<3 { v[c] = GaussianCloud.shDC(fromColor: dc[c]) }
            for j in 3..<(3 * k) { v[j] = rng.normal() * 0.25 }
            return v
        }
        for _ in 0..<count {
            cloud.append(mean: [rng.uniform(-0.9, 0.9), rng.uniform(-0.7, 0.7), rng.uniform(-0.8, 0.8)],
                         rotation: [rng.normal(), rng.normal(), rng.normal(), rng.normal()],
                         logScale: [rng.uniform(-3.2, -1.2), rng.uniform(-3.2, -1.2), rng.uniform(-3.2, -1.2)],
                         opacityLogit: rng.uniform(-1.5, 2.5),
                         sh: sh([rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9)]))
        }
        guard edgeCases else { return cloud }
        let centre = camera.centre
        let forward = camera.rotation.r2     // camera +Z in world
        // Centre just in front of the near plane, extent crossing it.
        cloud.append(mean: centre + 0.05 * forward + SIMD3(0.004, 0.003, 0), rotation: [0.9, 0.2, 0.1, 0.3],
                     logScale: [-3.5, -3.9, -3.0], opacityLogit: 0.5, sh: sh([0.8, 0.3, 0.2]))
        // Behind the camera (culled).
        cloud.append(mean: centre - 0.4 * forward, rotation: [1, 0, 0, 0], logScale: [-1, -1, -1],
                     opacityLogit: 3, sh: sh([0.2, 0.9, 0.2]))
        // Huge: covers the whole image.
        cloud.append(mean: [0.1, 0.05, 1.2], rotation: [0.7, 0.1, -0.4, 0.2], logScale: [0.6, 0.2, 0.9],
                     opacityLogit: -0.3, sh: sh([0.4, 0.5, 0.7]))
        // Tiny: far below a pixel, the 0.3 px² blur dominates.
        cloud.append(mean: [-0.3, 0.2, -0.5], rotation: [0.3, 0.9, 0.1, 0.2], logScale: [-7, -6.5, -7.5],
                     opacityLogit: 2.0, sh: sh([0.9, 0.9, 0.1]))
        // Opacity just above 1/255: only a small core of pixels reaches α ≥ 1/255.
        cloud.append(mean: [0.25, -0.3, -0.6], rotation: [0.5, 0.5, 0.5, 0.5], logScale: [-1.6, -2.2, -1.9],
                     opacityLogit: logit(1.6 / 255), sh: sh([0.1, 0.2, 0.9]))
        // Opacity near 0.99: the α clamp is active around the centre.
        cloud.append(mean: [-0.35, -0.25, -0.9], rotation: [0.2, -0.3, 0.8, 0.1], logScale: [-1.7, -2.0, -1.5],
                     opacityLogit: logit(0.997), sh: sh([0.7, 0.6, 0.5]))
        return cloud
    }

    /// Random extra channels [N, E].
    static func extras(count: Int, channels: Int, seed: UInt64 = 3) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<(count * channels)).map { _ in rng.uniform(-1, 2) }
    }

    /// Weights of a random linear loss L = Σ wImage·rgb + Σ wAlpha·alpha + Σ wExtras·extras on a
    /// camera's images (uniform in [−1, 1]); they are also ∂L/∂outputs for the fast backward.
    struct LossWeights { var image: [Float], alpha: [Float], extras: [Float] }
    static func lossWeights(_ cam: Camera, channels: Int, seed: UInt64) -> LossWeights {
        var rng = SeededRandom(seed: seed)
        let pixels = cam.width * cam.height
        return LossWeights(image: (0..<(3 * pixels)).map { _ in rng.uniform(-1, 1) },
                           alpha: (0..<pixels).map { _ in rng.uniform(-1, 1) },
                           extras: (0..<(channels * pixels)).map { _ in rng.uniform(-1, 1) })
    }

    /// Renders with the fast renderer and back-propagates the loss weights.
    static func fastGradients(_ cloud: GaussianCloud, extras: [Float], channels: Int, camera: Camera,
                              settings: RenderSettings, weights w: LossWeights) -> SplatGradients {
        let renderer = SplatRenderer()
        let pass = renderer.render(cloud, camera: camera, settings: settings, extras: extras, extraChannels: channels)
        return renderer.backward(pass, dImage: w.image, dAlpha: w.alpha, dExtras: w.extras)
    }

    /// The reference scene (Double or Dual) of a cloud.
    static func referenceScene<S: ReferenceScalar>(_ c: GaussianCloud, extras: [Float], channels: Int,
                                                   as: S.Type = S.self) -> ReferenceScene<S> {
        func conv(_ a: [Float]) -> [S] { a.map { S(Double($0)) } }
        return ReferenceScene(shDegree: c.shDegree, means: conv(c.means), rotations: conv(c.rotations),
                              logScales: conv(c.logScales), opacityLogits: conv(c.opacityLogits),
                              shCoefficients: conv(c.shCoefficients), extras: conv(extras), extraChannels: channels)
    }
}

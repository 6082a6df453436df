import TensorCore

/// A Gaussian scene in any `ReferenceScalar`, same layouts as `GaussianCloud` (N Gaussians,
/// K = (degree+1)² SH coefficients): means [N,3], rotations [N,4] (w,x,y,z), logScales [N,3],
/// opacityLogits [N], shCoefficients [N,K,3], extras [N,E].
public struct ReferenceScene<S: ReferenceScalar> {
    public var shDegree: Int
    public var means: [S], rotations: [S], logScales: [S], opacityLogits: [S], shCoefficients: [S]
    public var extras: [S]
    public var extraChannels: Int

    public init(shDegree: Int, means: [S], rotations: [S], logScales: [S], opacityLogits: [S],
                shCoefficients: [S], extras: [S] = [], extraChannels: Int = 0) {
        self.shDegree = shDegree; self.means = means; self.rotations = rotations; self.logScales = logScales
        self.opacityLogits = opacityLogits; self.shCoefficients = shCoefficients
        self.extras = extras; self.extraChannels = extraChannels
    }
    public var count: Int { opacityLogits.count }
}

/// Reference images: rgb [H,W,3], alpha [H,W], extras [H,W,E].
public struct ReferenceImages<S: ReferenceScalar> {
    public var rgb: [S], alpha: [S], extras: [S]
}

/// The slow, obviously correct renderer used as the test oracle (DESIGN.md §6): no tiles, no
/// threads, no SIMD, no bounding boxes. Every pixel visits every Gaussian in depth order and
/// applies the 3DGS rules literally. Generic over the scalar so `Dual` yields exact gradients.
public enum ReferenceRenderer {
    public static func render<S: ReferenceScalar>(_ scene: ReferenceScene<S>, camera cam: Camera,
                                                 settings: RenderSettings = RenderSettings()) -> ReferenceImages<S> {
        let n = scene.count, e = scene.extraChannels
        let k = (scene.shDegree + 1) * (scene.shDegree + 1)
        let degree = min(settings.activeSHDegree ?? scene.shDegree, scene.shDegree)
        let fx = Double(cam.fx), fy = Double(cam.fy), cx = Double(cam.cx), cy = Double(cam.cy)
        let rw = (0..<3).map { i in (0..<3).map { j in Double(cam.rotation[i, j]) } }
        let tw = [Double(cam.translation.x), Double(cam.translation.y), Double(cam.translation.z)]
        let centre = cam.centre
        let limLeft = 1.3 * cx / fx, limRight = 1.3 * (Double(cam.width) - cx) / fx
        let limTop = 1.3 * cy / fy, limBottom = 1.3 * (Double(cam.height) - cy) / fy

        var splats: [ReferenceSplat<S>] = []
        for i in 0..<n {
            let p = [scene.means[3 * i], scene.means[3 * i + 1], scene.means[3 * i + 2]]
            // camera-space point t = W p + tw
            let t = (0..<3).map { r in S(rw[r][0]) * p[0] + S(rw[r][1]) * p[1] + S(rw[r][2]) * p[2] + S(tw[r]) }
            if t[2].value <= Double(settings.nearPlane) { continue }
            let opacity = S(1) / (S(1) + (-scene.opacityLogits[i]).exp())
            if opacity.value < 1.0 / 255.0 { continue }
            // rotation from the normalised quaternion
            let q = (0..<4).map { scene.rotations[4 * i + $0] }
            let qn = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).sqrt()
            let w = q[0] / qn, x = q[1] / qn, y = q[2] / qn, z = q[3] / qn
            let one = S(1), two = S(2)
            let r: [[S]] = [[one - two * (y * y + z * z), two * (x * y - w * z), two * (x * z + w * y)],
                            [two * (x * y + w * z), one - two * (x * x + z * z), two * (y * z - w * x)],
                            [two * (x * z - w * y), two * (y * z + w * x), one - two * (x * x + y * y)]]
            let s = (0..<3).map { scene.logScales[3 * i + $0].exp() }
            // Σ = R S² Rᵀ
            var sigma = [[S]](repeating: [S](repeating: S(0), count: 3), count: 3)
            for a in 0..<3 { for b in 0..<3 { for c in 0..<3 { sigma[a][b] = sigma[a][b] + r[a][c] * s[c] * s[c] * r[b][c] } } }
            // Jacobian with the frustum clamp
            let u = clamp(t[0] / t[2], -limLeft, limRight), v = clamp(t[1] / t[2], -limTop, limBottom)
            let j: [[S]] = [[S(fx) / t[2], S(0), -S(fx) * u / t[2]], [S(0), S(fy) / t[2], -S(fy) * v / t[2]]]
            // T = J W (2×3); cov2D = T Σ Tᵀ + 0.3 I
            var tm = [[S]](repeating: [S](repeating: S(0), count: 3), count: 2)
            for a in 0..<2 { for b in 0..<3 { for c in 0..<3 { tm[a][b] = tm[a][b] + j[a][c] * S(rw[c][b]) } } }
            var cov = [[S]](repeating: [S](repeating: S(0), count: 2), count: 2)
            for a in 0..<2 { for b in 0..<2 { for c in 0..<3 { for d in 0..<3 {
                cov[a][b] = cov[a][b] + tm[a][c] * sigma[c][d] * tm[b][d] } } } }
            cov[0][0] = cov[0][0] + S(0.3); cov[1][1] = cov[1][1] + S(0.3)
            let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[0][1]
            if det.value <= 0 { continue }
            let mx = S(fx) * t[0] / t[2] + S(cx), my = S(fy) * t[1] / t[2] + S(cy)
            // colour from SH, direction from the camera centre
            let dir = [p[0] - S(Double(centre.x)), p[1] - S(Double(centre.y)), p[2] - S(Double(centre.z))]
            let len = (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]).sqrt()
            let basis = referenceSHBasis(dir[0] / len, dir[1] / len, dir[2] / len, degree: degree)
            var color: [S] = []
            for ch in 0..<3 {
                var c = S(0.5)
                for kk in 0..<basis.count { c = c + basis[kk] * scene.shCoefficients[3 * k * i + 3 * kk + ch] }
                color.append(c.value < 0 ? S(0) : c)
            }
            splats.append(ReferenceSplat(depth: t[2].value, mx: mx, my: my, ca: cov[1][1] / det, cb: -cov[0][1] / det,
                                cc: cov[0][0] / det, opacity: opacity, color: color,
                                extras: (0..<e).map { scene.extras[i * e + $0] }))
        }
        // stable depth order
        let order = splats.indices.sorted { (splats[$0].depth, $0) < (splats[$1].depth, $1) }

        let h = cam.height, wd = cam.width
        var rgb = [S](repeating: S(0), count: 3 * h * wd)
        var alphaImage = [S](repeating: S(0), count: h * wd)
        var extrasImage = [S](repeating: S(0), count: e * h * wd)
        for row in 0..<h {
            for col in 0..<wd {
                let px = S(Double(col) + 0.5), py = S(Double(row) + 0.5)
                var tr = S(1)
                var c = [S(0), S(0), S(0)]
                var ex = [S](repeating: S(0), count: e)
                for gi in order {
                    let g = splats[gi]
                    let dx = g.mx - px, dy = g.my - py
                    let power = -S(0.5) * (g.ca * dx * dx + g.cc * dy * dy) - g.cb * dx * dy
                    if power.value > 0 { continue }
                    var alpha = g.opacity * power.exp()
                    if alpha.value > 0.99 { alpha = S(0.99) }
                    if alpha.value < 1.0 / 255.0 { continue }
                    let testT = tr * (S(1) - alpha)
                    if testT.value < 1e-4 { break }
                    for ch in 0..<3 { c[ch] = c[ch] + g.color[ch] * alpha * tr }
                    for ch in 0..<e { ex[ch] = ex[ch] + g.extras[ch] * alpha * tr }
                    tr = testT
                }
                let p = row * wd + col
                let bg = [Double(settings.background.x), Double(settings.background.y), Double(settings.background.z)]
                for ch in 0..<3 { rgb[3 * p + ch] = c[ch] + tr * S(bg[ch]) }
                alphaImage[p] = S(1) - tr
                for ch in 0..<e { extrasImage[p * e + ch] = ex[ch] }
            }
        }
        return ReferenceImages(rgb: rgb, alpha: alphaImage, extras: extrasImage)
    }

    private static func clamp<S: ReferenceScalar>(_ x: S, _ lo: Double, _ hi: Double) -> S {
        x.value < lo ? S(lo) : (x.value > hi ? S(hi) : x)
    }
}

/// One projected Gaussian of the reference renderer.
struct ReferenceSplat<S: ReferenceScalar> {
    var depth: Double
    var mx, my, ca, cb, cc, opacity: S
    var color: [S]
    var extras: [S]
}

/// Real SH basis (3DGS constants) written out independently of the fast path.
func referenceSHBasis<S: ReferenceScalar>(_ x: S, _ y: S, _ z: S, degree: Int) -> [S] {
    var b: [S] = [S(0.28209479177387814)]
    if degree >= 1 {
        let c1 = S(0.4886025119029199)
        b += [-c1 * y, c1 * z, -c1 * x]
    }
    if degree >= 2 {
        let xx = x * x, yy = y * y, zz = z * z
        b += [S(1.0925484305920792) * x * y, S(-1.0925484305920792) * y * z,
              S(0.31539156525252005) * (S(2) * zz - xx - yy), S(-1.0925484305920792) * x * z,
              S(0.5462742152960396) * (xx - yy)]
    }
    if degree >= 3 {
        let xx = x * x, yy = y * y, zz = z * z
        b += [S(-0.5900435899266435) * y * (S(3) * xx - yy), S(2.890611442640554) * x * y * z,
              S(-0.4570457994644658) * y * (S(4) * zz - xx - yy),
              S(0.3731763325901154) * z * (S(2) * zz - S(3) * xx - S(3) * yy),
              S(-0.4570457994644658) * x * (S(4) * zz - xx - yy), S(1.445305721320277) * z * (xx - yy),
              S(-0.5900435899266435) * x * (xx - S(3) * yy)]
    }
    return b
}

/// The LPIPS comparison of one feature layer (Zhang et al. 2018, eq. 1):
///
///     f̂ = f / (‖f‖₂ + ε)  per pixel over channels (ε = 1e-10, as `lpips.normalize_tensor`)
///     d_l = (1/P) Σ_p Σ_c w_c · (f̂x[p, c] − f̂y[p, c])²
///
/// with `fx`, `fy` the ReLU outputs `[P, C]` of the two images and `w` the non-negative linear head `[C]`.
enum LPIPSHead {
    static let epsilon: Float = 1e-10

    /// Returns `d_l`. When `gradient` is given, *adds* `∂d_l/∂fx` (`[P, C]`) into it:
    ///
    ///     g = 2 w (f̂x − f̂y) / P,   ∂d/∂fx = g / (r + ε) − fx · (g · fx) / (r (r + ε)²),   r = ‖fx‖₂
    ///
    /// (the second term is dropped where r = 0, where the ReLU mask zeroes it anyway).
    static func distance(_ fx: UnsafePointer<Float>, _ fy: UnsafePointer<Float>, pixels: Int, channels: Int,
                         weights: [Float], gradient: UnsafeMutablePointer<Float>? = nil) -> Double {
        let c = channels
        let inversePixels = 1 / Float(pixels)
        var total = 0.0
        weights.withUnsafeBufferPointer { w in
            for p in 0..<pixels {
                let x = fx + p * c, y = fy + p * c
                var sx: Float = 0, sy: Float = 0
                for i in 0..<c { sx += x[i] * x[i]; sy += y[i] * y[i] }
                let rx = sx.squareRoot(), ry = sy.squareRoot()
                let ix = 1 / (rx + epsilon), iy = 1 / (ry + epsilon)
                var d: Float = 0
                for i in 0..<c {
                    let diff = x[i] * ix - y[i] * iy
                    d += w[i] * diff * diff
                }
                total += Double(d)
                guard let gradient else { continue }
                let g = gradient + p * c
                var dot: Float = 0
                for i in 0..<c { dot += 2 * w[i] * (x[i] * ix - y[i] * iy) * inversePixels * x[i] }
                let radial: Float = rx > 0 ? dot / (rx * (rx + epsilon) * (rx + epsilon)) : 0
                for i in 0..<c {
                    let gn = 2 * w[i] * (x[i] * ix - y[i] * iy) * inversePixels
                    g[i] += gn * ix - x[i] * radial
                }
            }
        }
        return total / Double(pixels)
    }
}

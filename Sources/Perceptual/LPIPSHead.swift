import TensorCore

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
        precondition(channels % 16 == 0, "LPIPSHead: channels must be a multiple of 16")
        typealias V = SIMD16<Float>
        let c = channels
        let inversePixels = 1 / Float(pixels)
        let chunk = max(16, pixels / (4 * ThreadSettings.threadCount))
        let chunks = (pixels + chunk - 1) / chunk
        var partial = [Double](repeating: 0, count: chunks)
        weights.withUnsafeBufferPointer { wb in
            partial.withUnsafeMutableBufferPointer { sums in
                let w = UnsafeRawPointer(wb.baseAddress!)
                parallelFor(0..<pixels, chunk: chunk) { range in
                    var total = 0.0
                    for p in range {
                        let x = UnsafeRawPointer(fx + p * c), y = UnsafeRawPointer(fy + p * c)
                        var sx = V(), sy = V()
                        for i in stride(from: 0, to: 4 * c, by: 64) {
                            let a = x.loadUnaligned(fromByteOffset: i, as: V.self), b = y.loadUnaligned(fromByteOffset: i, as: V.self)
                            sx = sx.addingProduct(a, a); sy = sy.addingProduct(b, b)
                        }
                        let rx = sx.sum().squareRoot(), ry = sy.sum().squareRoot()
                        let ix = 1 / (rx + epsilon), iy = 1 / (ry + epsilon)
                        var d = V(), dot = V()
                        for i in stride(from: 0, to: 4 * c, by: 64) {
                            let a = x.loadUnaligned(fromByteOffset: i, as: V.self), b = y.loadUnaligned(fromByteOffset: i, as: V.self)
                            let wv = w.loadUnaligned(fromByteOffset: i, as: V.self)
                            let diff = a * ix - b * iy
                            d = d.addingProduct(wv * diff, diff)
                            dot = dot.addingProduct(wv * diff, a)
                        }
                        total += Double(d.sum())
                        guard let gradient else { continue }
                        // g_n = 2 w (f̂x − f̂y) / P;  ∂d/∂fx = g_n / (r + ε) − fx (g_n · fx) / (r (r + ε)²).
                        let scale = 2 * inversePixels
                        let radial: Float = rx > 0 ? scale * dot.sum() / (rx * (rx + epsilon) * (rx + epsilon)) : 0
                        let g = UnsafeMutableRawPointer(gradient + p * c)
                        for i in stride(from: 0, to: 4 * c, by: 64) {
                            let a = x.loadUnaligned(fromByteOffset: i, as: V.self), b = y.loadUnaligned(fromByteOffset: i, as: V.self)
                            let wv = w.loadUnaligned(fromByteOffset: i, as: V.self)
                            let gn = scale * wv * (a * ix - b * iy)
                            let old = g.loadUnaligned(fromByteOffset: i, as: V.self)
                            g.storeBytes(of: old + gn * ix - a * radial, toByteOffset: i, as: V.self)
                        }
                    }
                    sums[range.lowerBound / chunk] = total
                }
            }
        }
        return partial.reduce(0, +) / Double(pixels)
    }
}

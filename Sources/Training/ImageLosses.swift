import Foundation
import TensorCore

/// Photometric losses between a rendered image x and a target y, both [H, W, C] floats, each
/// returning the loss and ∂loss/∂x.
public enum ImageLosses {
    /// L1 = mean |x − y|; ∂/∂x = sign(x − y) / count (0 where equal).
    public static func l1(_ x: [Float], _ y: [Float]) -> (loss: Float, gradient: [Float]) {
        precondition(x.count == y.count && !x.isEmpty)
        let inv = 1 / Float(x.count)
        var total: Double = 0
        var g = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let d = x[i] - y[i]
            total += Double(abs(d))
            g[i] = d > 0 ? inv : (d < 0 ? -inv : 0)
        }
        return (Float(total * Double(inv)), g)
    }

    /// Mean squared error and PSNR in dB for values in [0, 1] (PSNR = +inf for identical images).
    public static func psnr(_ x: [Float], _ y: [Float]) -> Double {
        precondition(x.count == y.count && !x.isEmpty)
        var s: Double = 0
        for i in 0..<x.count { let d = Double(x[i] - y[i]); s += d * d }
        let mse = s / Double(x.count)
        return mse == 0 ? .infinity : -10 * log10(mse)
    }
}

/// Structural similarity (Wang et al. 2004) as 3DGS computes it: per channel, 11×11 Gaussian
/// window σ = 1.5 with zero padding ("same" size), C1 = 0.01², C2 = 0.03², averaged over all
/// pixels and channels. Holds scratch buffers for one image size; reuse it across iterations.
///
/// S = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)), with μ = G∗x,
/// σx² = G∗x² − μx², σxy = G∗(xy) − μxμy. The gradient uses G's self-adjointness:
/// ∂L/∂x = G∗(∂L/∂μx) + 2x·G∗(∂L/∂E[x²]) + y·G∗(∂L/∂E[xy]).
public final class SSIM {
    static let c1: Float = 0.01 * 0.01
    static let c2: Float = 0.03 * 0.03
    let filter = GaussianFilter()
    /// Scratch: the five planar maps x, y, x², y², xy ([5, C, H, W]) and their blurred versions.
    private var stacked: [Float] = []
    private var filtered: [Float] = []

    public init() {}

    /// SSIM of x against y ([H, W, C]) and, when `wantGradient`, ∂SSIM/∂x ([H, W, C]).
    public func evaluate(_ x: [Float], _ y: [Float], width: Int, height: Int, channels: Int,
                         wantGradient: Bool = true) -> (ssim: Float, gradient: [Float]) {
        let p = width * height, n = p * channels
        precondition(x.count == n && y.count == n)
        if stacked.count != 5 * n {
            stacked = [Float](repeating: 0, count: 5 * n); filtered = [Float](repeating: 0, count: 5 * n)
        }
        for i in 0..<p { for c in 0..<channels {
            let xv = x[i * channels + c], yv = y[i * channels + c], o = c * p + i
            stacked[o] = xv; stacked[n + o] = yv; stacked[2 * n + o] = xv * xv
            stacked[3 * n + o] = yv * yv; stacked[4 * n + o] = xv * yv
        } }
        stacked.withUnsafeBufferPointer { s in filtered.withUnsafeMutableBufferPointer { d in
            filter.apply(s.baseAddress!, d.baseAddress!, planes: 5 * channels, width: width, height: height)
        } }
        let inv = 1 / Float(n)
        var total: Double = 0
        // ∂L/∂(μx, E[x²], E[xy]) per pixel, L = mean S
        var dStack = [Float](repeating: 0, count: 3 * n)
        for o in 0..<n {
            let mx = filtered[o], my = filtered[n + o]
            let exx = filtered[2 * n + o], eyy = filtered[3 * n + o], exy = filtered[4 * n + o]
            let sxx = exx - mx * mx, syy = eyy - my * my, sxy = exy - mx * my
            let a = 2 * mx * my + SSIM.c1, bb = 2 * sxy + SSIM.c2
            let c = mx * mx + my * my + SSIM.c1, d = sxx + syy + SSIM.c2
            let s = a * bb / (c * d)
            total += Double(s)
            if wantGradient {
                dStack[o] = inv * s * (2 * my / a - 2 * my / bb - 2 * mx / c + 2 * mx / d)
                dStack[n + o] = inv * s * (-1 / d)
                dStack[2 * n + o] = inv * s * (2 / bb)
            }
        }
        guard wantGradient else { return (Float(total / Double(n)), []) }
        var dFiltered = [Float](repeating: 0, count: 3 * n)
        dStack.withUnsafeBufferPointer { s in dFiltered.withUnsafeMutableBufferPointer { d in
            filter.apply(s.baseAddress!, d.baseAddress!, planes: 3 * channels, width: width, height: height)
        } }
        var g = [Float](repeating: 0, count: n)
        for i in 0..<p { for c in 0..<channels {
            let o = c * p + i
            g[i * channels + c] = dFiltered[o] + 2 * stacked[o] * dFiltered[n + o] + stacked[n + o] * dFiltered[2 * n + o]
        } }
        return (Float(total / Double(n)), g)
    }
}

import Foundation
import TensorCore

/// Separable Gaussian blur of a planar image [C, H, W] with zero padding and "same" output size
/// (PyTorch `conv2d(padding=size/2)` with a normalised Gaussian kernel, as 3DGS's SSIM).
/// With a symmetric kernel this operator is self-adjoint, so the same call serves the backward.
struct GaussianFilter {
    let radius: Int
    let weights: [Float]

    /// Kernel of `size` taps (odd) and standard deviation `sigma` pixels, normalised to sum 1.
    init(size: Int = 11, sigma: Float = 1.5) {
        radius = size / 2
        let raw = (0..<size).map { expf(-Float(($0 - size / 2) * ($0 - size / 2)) / (2 * sigma * sigma)) }
        let total = raw.reduce(0, +)
        weights = raw.map { $0 / total }
    }

    /// Blurs `planes` planes of `height`×`width` floats from `src` into `dst` (both [planes, H, W]);
    /// `scratch` must hold one plane.
    func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, planes: Int, width: Int, height: Int) {
        let r = radius
        parallelFor(0..<planes) { range in
            let tmp = UnsafeMutablePointer<Float>.allocate(capacity: width * height)
            defer { tmp.deallocate() }
            weights.withUnsafeBufferPointer { w in
                for plane in range {
                    let s = src + plane * width * height, d = dst + plane * width * height
                    // horizontal
                    for y in 0..<height {
                        let row = s + y * width, out = tmp + y * width
                        for x in 0..<width {
                            var acc: Float = 0
                            let lo = max(-r, -x), hi = min(r, width - 1 - x)
                            for k in lo...hi { acc += w[k + r] * row[x + k] }
                            out[x] = acc
                        }
                    }
                    // vertical
                    for y in 0..<height {
                        let lo = max(-r, -y), hi = min(r, height - 1 - y)
                        let out = d + y * width
                        for x in 0..<width { out[x] = 0 }
                        for k in lo...hi {
                            let wk = w[k + r], row = tmp + (y + k) * width
                            for x in 0..<width { out[x] += wk * row[x] }
                        }
                    }
                }
            }
        }
    }
}

import TensorCore

extension ConvLayer {
    /// Gradient with respect to the input of one image (the weights are fixed):
    ///
    ///     dCols[Ho·Wo, K] = dPre[Ho·Wo, Cout] · Wᵀ,    dIn[iy, ix, i] = Σ dCols[(oy, ox), (ky, kx, i)]
    ///
    /// over all (oy, ox, ky, kx) with `oy·s − p + ky = iy`, `ox·s − p + kx = ix` (col2im as a gather,
    /// so rows of dIn are independent and run in parallel). `preActivationGradient` is the gradient
    /// w.r.t. the convolution output *before* ReLU (`[Ho, Wo, Cout]`, the caller applies the ReLU mask);
    /// `inputGradient` (`[H, W, Cin]`) is overwritten.
    func inputGradient(_ preActivationGradient: UnsafePointer<Float>, height: Int, width: Int,
                       into inputGradient: UnsafeMutablePointer<Float>, columns: FloatBuffer) {
        let ho = outputSize(height), wo = outputSize(width)
        let kDepth = depth, c = inChannels, k = kernel, s = stride, p = padding
        let dCols = columns.reserve(ho * wo * kDepth)
        Gemm.multiply(m: ho * wo, a: preActivationGradient, lda: outChannels, packed: weightsTransposed,
                      c: dCols, ldc: kDepth)
        parallelFor(0..<height, chunk: max(1, height / (4 * ThreadSettings.threadCount))) { rowRange in
            for iy in rowRange {
                for ix in 0..<width {
                    let dst = inputGradient + (iy * width + ix) * c
                    dst.update(repeating: 0, count: c)
                    // ky ≡ (iy + p) mod s, oy = (iy + p − ky) / s within [0, Ho).
                    var ky = (iy + p) % s
                    while ky < k {
                        let oy = (iy + p - ky) / s
                        if oy >= 0 && oy < ho {
                            var kx = (ix + p) % s
                            while kx < k {
                                let ox = (ix + p - kx) / s
                                if ox >= 0 && ox < wo {
                                    let src = dCols + (oy * wo + ox) * kDepth + (ky * k + kx) * c
                                    for i in 0..<c { dst[i] += src[i] }
                                }
                                kx += s
                            }
                        }
                        ky += s
                    }
                }
            }
        }
    }
}

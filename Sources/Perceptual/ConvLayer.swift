import TensorCore

/// One 2-D convolution with bias and ReLU on NHWC feature maps (cross-correlation, as PyTorch and
/// flax), computed as im2col + GEMM:
///
///     out[b, oy, ox, o] = max(0, bias[o] + Σ_{ky,kx,i} in[b, oy·s − p + ky, ox·s − p + kx, i] · W[o, i, ky, kx])
///
/// with zero padding `p` and stride `s`. The im2col row of output pixel (b, oy, ox) has
/// `K = k·k·Cin` entries ordered (ky, kx, i), so the weight matrix is `[K, Cout]` (HWIO flattened).
struct ConvLayer: Sendable {
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    /// `[K, Cout]`, packed for the forward product `cols · W`.
    let weights: PackedMatrix
    /// `Wᵀ` (`[Cout, K]`), packed for the input gradient `dCols = dOut · Wᵀ`.
    let weightsTransposed: PackedMatrix
    /// `[Cout]`.
    let bias: [Float]

    /// im2col depth `K = k·k·Cin`.
    var depth: Int { kernel * kernel * inChannels }

    /// `weightOIHW`: PyTorch layout `[Cout, Cin, k, k]`; `bias`: `[Cout]`.
    init(weightOIHW: [Float], bias: [Float], inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int) {
        precondition(weightOIHW.count == outChannels * inChannels * kernel * kernel && bias.count == outChannels)
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.stride = stride; self.padding = padding
        self.bias = bias
        let k = kernel * kernel * inChannels
        var hwio = [Float](repeating: 0, count: k * outChannels)
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                for ky in 0..<kernel {
                    for kx in 0..<kernel {
                        hwio[((ky * kernel + kx) * inChannels + i) * outChannels + o] =
                            weightOIHW[((o * inChannels + i) * kernel + ky) * kernel + kx]
                    }
                }
            }
        }
        weights = PackedMatrix(rows: k, columns: outChannels, hwio)
        weightsTransposed = PackedMatrix(rows: outChannels, columns: k, hwio, .transposed)
    }

    /// Output height or width for input size `n`: `⌊(n + 2p − k) / s⌋ + 1`.
    func outputSize(_ n: Int) -> Int { (n + 2 * padding - kernel) / stride + 1 }

    /// Writes the im2col rows `rows` (flat output-pixel indices over the batch) of `input`
    /// (`[B, H, W, Cin]`) into `cols` (`[rows.count, K]`).
    func im2col(_ input: UnsafePointer<Float>, height: Int, width: Int, rows: Range<Int>, into cols: UnsafeMutablePointer<Float>) {
        let ho = outputSize(height), wo = outputSize(width)
        let c = inChannels, k = kernel, kDepth = depth
        for (n, r) in rows.enumerated() {
            let b = r / (ho * wo), oy = (r / wo) % ho, ox = r % wo
            let dst = cols + n * kDepth
            let x0 = ox * stride - padding
            let kx0 = max(0, -x0), kx1 = min(k, width - x0)
            for ky in 0..<k {
                let rowDst = dst + ky * k * c
                let iy = oy * stride - padding + ky
                guard iy >= 0, iy < height, kx0 < kx1 else { rowDst.update(repeating: 0, count: k * c); continue }
                if kx0 > 0 { rowDst.update(repeating: 0, count: kx0 * c) }
                let src = input + ((b * height + iy) * width + x0 + kx0) * c
                (rowDst + kx0 * c).update(from: src, count: (kx1 - kx0) * c)
                if kx1 < k { (rowDst + kx1 * c).update(repeating: 0, count: (k - kx1) * c) }
            }
        }
    }

    /// `output[B, Ho, Wo, Cout] = ReLU(conv(input[B, H, W, Cin]) + bias)`.
    /// Large layers run in blocks of output pixels (im2col block → GEMM → bias + ReLU) on all threads;
    /// small ones as one im2col and a GEMM that splits its columns over the threads.
    func forwardReLU(_ input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                     output: UnsafeMutablePointer<Float>, scratch: ScratchPool) {
        let m = batch * outputSize(height) * outputSize(width)
        let threads = ThreadSettings.threadCount
        let tile = Gemm.panelHeight
        let blockRows: Int
        if m >= 8 * threads * tile {
            let target = (m + 4 * threads - 1) / (4 * threads)
            blockRows = min(240, (target + tile - 1) / tile * tile)
        } else {
            blockRows = m
        }
        let blocks = (m + blockRows - 1) / blockRows
        let kDepth = depth, n = outChannels
        let run = { (range: Range<Int>) in
            for block in range {
                let r0 = block * blockRows, rows = min(blockRows, m - r0)
                scratch.with(rows * kDepth) { cols in
                    im2col(input, height: height, width: width, rows: r0..<(r0 + rows), into: cols)
                    Gemm.multiply(m: rows, a: cols, lda: kDepth, packed: weights,
                                  c: output + r0 * n, ldc: n, parallel: blocks == 1)
                }
                addBiasReLU(output + r0 * n, rows: rows)
            }
        }
        if blocks == 1 { run(0..<1) } else { parallelFor(0..<blocks, chunk: 1, run) }
    }

    /// `x[r, o] = max(0, x[r, o] + bias[o])` for `rows` rows of `[rows, Cout]`.
    private func addBiasReLU(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        let n = outChannels
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows {
                let row = x + r * n
                var o = 0
                while o + 16 <= n {
                    let raw = UnsafeMutableRawPointer(row + o)
                    var v = raw.loadUnaligned(as: SIMD16<Float>.self)
                    v += UnsafeRawPointer(b.baseAddress! + o).loadUnaligned(as: SIMD16<Float>.self)
                    v.replace(with: 0, where: v .< 0)
                    raw.storeBytes(of: v, as: SIMD16<Float>.self)
                    o += 16
                }
                while o < n { row[o] = max(0, row[o] + b[o]); o += 1 }
            }
        }
    }
}

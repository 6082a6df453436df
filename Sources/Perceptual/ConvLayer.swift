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

    /// Packs im2col rows `rows` (flat output-pixel indices over the batch) × depth `depth` of
    /// `input` (`[B, H, W, Cin]`) straight into GEMM panels (`Gemm.PanelPacker` layout): element
    /// (pixel r, depth t) at `(t − depth.lower)·MR + r` within the pixel's panel. For a fixed ky the
    /// valid kx run is contiguous in the input, so each (pixel, ky) is zeros, one run, zeros.
    func packColumns(_ input: UnsafePointer<Float>, height: Int, width: Int, rows: Range<Int>, depth: Range<Int>,
                     into dst: UnsafeMutablePointer<Float>) {
        let ho = outputSize(height), wo = outputSize(width)
        let c = inChannels, k = kernel, rowLength = k * c
        let mr = Gemm.panelHeight, kc = depth.count
        var q = 0, first = rows.lowerBound
        while first < rows.upperBound {
            let panel = dst + q * mr * kc
            for r in 0..<mr {
                let pixel = first + r
                if pixel >= rows.upperBound {
                    for t in 0..<kc { panel[t * mr + r] = 0 }
                    continue
                }
                let b = pixel / (ho * wo), oy = (pixel / wo) % ho, ox = pixel % wo
                let x0 = ox * stride - padding
                let kx0 = max(0, -x0), kx1 = max(kx0, min(k, width - x0))
                var t = depth.lowerBound
                while t < depth.upperBound {
                    let ky = t / rowLength, rowStart = ky * rowLength
                    let rowEnd = min(rowStart + rowLength, depth.upperBound)
                    let iy = oy * stride - padding + ky
                    var validStart = rowStart + kx0 * c, validEnd = rowStart + kx1 * c
                    if iy < 0 || iy >= height { validStart = rowEnd; validEnd = rowEnd }
                    let out = panel + r - depth.lowerBound * mr
                    var u = t
                    while u < min(validStart, rowEnd) { out[u * mr] = 0; u += 1 }
                    if u < validEnd {
                        let src = input + ((b * height + iy) * width + x0) * c - rowStart
                        let stop = min(validEnd, rowEnd)
                        while u < stop { out[u * mr] = src[u]; u += 1 }
                    }
                    while u < rowEnd { out[u * mr] = 0; u += 1 }
                    t = rowEnd
                }
            }
            q += 1; first += mr
        }
    }

    /// `output[B, Ho, Wo, Cout] = ReLU(conv(input[B, H, W, Cin]) + bias)`.
    /// Large layers run in blocks of output pixels (implicit GEMM: im2col panels packed straight from
    /// the input → bias + ReLU) on all threads; small ones as one GEMM that splits its columns over threads.
    func forwardReLU(_ input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                     output: UnsafeMutablePointer<Float>) {
        let m = batch * outputSize(height) * outputSize(width)
        let threads = ThreadSettings.threadCount
        let tile = Gemm.panelHeight
        // Blocks of ≤ 240 rows (multiples of the 12-row tile), their count a multiple of the thread
        // count so the last round is not half idle; tiny layers use one block and a column-parallel GEMM.
        let blockRows: Int
        if m >= 8 * threads * tile {
            var count = max(4 * threads, (m + 239) / 240)
            count = (count + threads - 1) / threads * threads
            blockRows = ((m + count - 1) / count + tile - 1) / tile * tile
        } else {
            blockRows = m
        }
        let blocks = (m + blockRows - 1) / blockRows
        let n = outChannels
        let run = { (range: Range<Int>) in
            for block in range {
                let r0 = block * blockRows, rows = min(blockRows, m - r0)
                Gemm.multiply(m: rows, packingA: { rowRange, depthRange, dst in
                    packColumns(input, height: height, width: width, rows: (r0 + rowRange.lowerBound)..<(r0 + rowRange.upperBound),
                                depth: depthRange, into: dst)
                }, packed: weights, c: output + r0 * n, ldc: n, parallel: blocks == 1)
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

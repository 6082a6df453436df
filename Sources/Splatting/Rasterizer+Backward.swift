import TensorCore

/// Per-entry gradient layout of the blend backward: mean2D (2), conic (3), opacity (1),
/// colour (3), then E extras. One row per tile-list entry, reduced per Gaussian afterwards in a
/// fixed order, so results do not depend on thread scheduling.
let entryGradientBase = 9

/// Gradients of the blend with respect to the per-Gaussian screen-space quantities, N Gaussians:
/// `mean2D` [N, 2] (per pixel), `conic` [N, 3] (a, b, c with b the shared off-diagonal),
/// `opacity` [N], `color` [N, 3], `extras` [N, E].
struct BlendGradients {
    var mean2D: [Float] = [], conic: [Float] = [], opacity: [Float] = [], color: [Float] = [], extras: [Float] = []
    mutating func reset(count n: Int, extraChannels e: Int) {
        mean2D = [Float](repeating: 0, count: 2 * n); conic = [Float](repeating: 0, count: 3 * n)
        opacity = [Float](repeating: 0, count: n); color = [Float](repeating: 0, count: 3 * n)
        extras = [Float](repeating: 0, count: e * n)
    }
}

/// Backward of `blendTiles` (3DGS `renderCUDA` backward): walks each pixel's contributors back to
/// front, reconstructing T_k = T_{k+1} / (1 − α_k) from the final transmittance, with
///   ∂L/∂c_k = α_k T_k ∂L/∂C,
///   ∂L/∂α_k = T_k (c_k − Ĉ_k)·∂L/∂C + T_k Σ_e (v_ke − Ê_ke) ∂L/∂E_e + (∂L/∂A − bg·∂L/∂C) T_final / (1 − α_k),
/// where Ĉ_k is the colour accumulated behind k, normalised (Ĉ_{k−1} = α_k c_k + (1 − α_k) Ĉ_k).
/// The α clamp at 0.99 has zero derivative. Gradients of G = exp(power) go to mean2D and conic.
/// `dImage` [H, W, 3], `dAlpha` [H, W] (may be empty), `dExtras` [H, W, E] (may be empty).
func blendTilesBackward(binning: TileBinning, records: [Float], extras: [Float], extraChannels e: Int,
                        background bg: SIMD3<Float>, forward: RasterImages,
                        dImage: [Float], dAlpha: [Float], dExtras: [Float],
                        entryGradients: inout [Float], into grads: inout BlendGradients) {
    let width = forward.width, height = forward.height, tile = SplatConstants.tileSize
    let stride = entryGradientBase + e
    let entryCount = binning.entryCount
    if entryGradients.count < entryCount * stride { entryGradients = [Float](repeating: 0, count: entryCount * stride) }
    let hasAlpha = !dAlpha.isEmpty, hasExtras = !dExtras.isEmpty && e > 0
    let tilesX = binning.tilesX
    records.withUnsafeBufferPointer { rec in
    extras.withUnsafeBufferPointer { ext in
    binning.entries.withUnsafeBufferPointer { entries in
    binning.tileStart.withUnsafeBufferPointer { tileStart in
    dImage.withUnsafeBufferPointer { dImg in
    dAlpha.withUnsafeBufferPointer { dAlp in
    dExtras.withUnsafeBufferPointer { dExt in
    forward.finalTransmittance.withUnsafeBufferPointer { finalT in
    forward.contributorEnd.withUnsafeBufferPointer { contributorEnd in
    entryGradients.withUnsafeMutableBufferPointer { eg in
        parallelFor(0..<binning.tileCount, chunk: 4) { tiles in
            // Per-row state of one tile: 16 rows × 16 lanes.
            let rowsState = 8
            let st = UnsafeMutablePointer<Lanes>.allocate(capacity: tile * (rowsState + 2 * max(e, 1)))
            let endIdx = UnsafeMutablePointer<SIMD16<Int32>>.allocate(capacity: tile)
            let gE = UnsafeMutablePointer<Lanes>.allocate(capacity: max(e, 1))
            defer { st.deallocate(); endIdx.deallocate(); gE.deallocate() }
            // state slots: T, accR, accG, accB, dR, dG, dB, (dA − bg·dC)·T_final
            @inline(__always) func s(_ slot: Int, _ row: Int) -> UnsafeMutablePointer<Lanes> { st + slot * tile + row }
            let accE = st + rowsState * tile          // [e][tile]
            let dE = accE + e * tile                  // [e][tile]
            for t in tiles {
                let tx = t % tilesX, ty = t / tilesX
                let x0 = tx * tile, y0 = ty * tile
                let start = Int(tileStart[t]), end = Int(tileStart[t + 1])
                if start == end { continue }
                let cols = min(tile, width - x0), rows = min(tile, height - y0)
                var maxEnd: Int32 = 0
                for row in 0..<rows {
                    var tv = Lanes(), rr = Lanes(), gg = Lanes(), bb = Lanes(), aa = Lanes(), ends = SIMD16<Int32>()
                    for c in 0..<cols {
                        let p = (y0 + row) * width + x0 + c
                        tv[c] = finalT[p]
                        rr[c] = dImg[3 * p]; gg[c] = dImg[3 * p + 1]; bb[c] = dImg[3 * p + 2]
                        aa[c] = hasAlpha ? dAlp[p] : 0
                        ends[c] = contributorEnd[p]
                        maxEnd = max(maxEnd, ends[c])
                        for ch in 0..<e { dE[ch * tile + row][c] = hasExtras ? dExt[p * e + ch] : 0 }
                    }
                    s(0, row).pointee = tv
                    s(1, row).pointee = Lanes(); s(2, row).pointee = Lanes(); s(3, row).pointee = Lanes()
                    s(4, row).pointee = rr; s(5, row).pointee = gg; s(6, row).pointee = bb
                    // (∂L/∂A − bg·∂L/∂C)·T_final: the background/alpha term of ∂L/∂α_k times (1 − α_k)
                    s(7, row).pointee = (aa - (rr * bg.x + gg * bg.y + bb * bg.z)) * tv
                    endIdx[row] = ends
                    for ch in 0..<e { accE[ch * tile + row] = Lanes() }
                }
                let px = laneCentres + Float(x0)
                // Entries past the last contributor of every pixel get zero gradient.
                for j in (start + Int(maxEnd))..<end {
                    for k in 0..<stride { eg[j * stride + k] = 0 }
                }
                var jl = Int(maxEnd) - 1
                while jl >= 0 {
                    let j = start + jl
                    let id = Int(entries[j])
                    let r = rec.baseAddress! + id * recordStride
                    let rowLo = max(Int(r[9]) - y0, 0), rowHi = min(Int(r[10]) - y0, rows - 1)
                    var gmx = Lanes(), gmy = Lanes(), gca = Lanes(), gcb = Lanes(), gcc = Lanes()
                    var gop = Lanes(), gr = Lanes(), gg = Lanes(), gb = Lanes()
                    for ch in 0..<e { gE[ch] = Lanes() }
                    let v = ext.baseAddress.map { $0 + id * e }
                    let cR = Lanes(repeating: r[6]), cG = Lanes(repeating: r[7]), cB = Lanes(repeating: r[8])
                    if rowLo <= rowHi {
                        for row in rowLo...rowHi {
                            let py = Float(y0 + row) + 0.5
                            let dx = r[0] - px
                            let dy = r[1] - py
                            let power = -0.5 * (r[2] * dx * dx + r[4] * dy * dy) - r[3] * dy * dx
                            let g = laneExp(power)
                            let rawAlpha = r[5] * g
                            var alpha = rawAlpha
                            alpha.replace(with: SplatConstants.maxAlpha, where: rawAlpha .> SplatConstants.maxAlpha)
                            let contrib = (SIMD16<Int32>(repeating: Int32(jl)) .< endIdx[row])
                                .& (alpha .>= SplatConstants.minAlpha) .& (power .<= 0)
                            // α where this Gaussian contributed, 0 elsewhere: every update below
                            // is then exactly the identity on the other lanes (T/(1−0) = T,
                            // 0·c + 1·Ĉ = Ĉ), which avoids vector selects.
                            // Rows where this Gaussian touches no pixel (ellipse rims, pixels already
                            // finished) change nothing: skip them.
                            if !anyLanes(contrib) { continue }
                            alpha.replace(with: 0, where: .!contrib)
                            let oneMinus = 1 - alpha
                            let tNext = s(0, row).pointee
                            let tk = tNext / oneMinus
                            let w = alpha * tk
                            let dR = s(4, row).pointee, dG = s(5, row).pointee, dB = s(6, row).pointee
                            gr += w * dR; gg += w * dG; gb += w * dB
                            let accR = s(1, row).pointee, accG = s(2, row).pointee, accB = s(3, row).pointee
                            // (c − Ĉ)·∂L/∂C written as c·∂L/∂C − Ĉ·∂L/∂C with explicit broadcasts
                            // (the mixed scalar − vector form was split into 128-bit pieces).
                            let cDot = dR * cR + dG * cG + dB * cB
                            let accDot = accR * dR + accG * dG + accB * dB
                            var dAlphaK = tk * (cDot - accDot) + s(7, row).pointee / oneMinus
                            if let v {
                                for ch in 0..<e {
                                    let a = accE[ch * tile + row]
                                    let d = dE[ch * tile + row]
                                    gE[ch] += w * d
                                    dAlphaK += tk * (v[ch] - a) * d
                                    accE[ch * tile + row] = alpha * v[ch] + oneMinus * a
                                }
                            }
                            s(1, row).pointee = alpha * cR + oneMinus * accR
                            s(2, row).pointee = alpha * cG + oneMinus * accG
                            s(3, row).pointee = alpha * cB + oneMinus * accB
                            s(0, row).pointee = tk
                            // The α clamp at 0.99 passes no gradient.
                            dAlphaK.replace(with: 0, where: .!contrib .| (rawAlpha .> SplatConstants.maxAlpha))
                            gop += g * dAlphaK
                            let dPower = r[5] * g * dAlphaK
                            gmx -= dPower * (r[2] * dx + r[3] * dy)
                            gmy -= dPower * (r[4] * dy + r[3] * dx)
                            gca -= 0.5 * dPower * dx * dx
                            gcc -= 0.5 * dPower * dy * dy
                            gcb -= dPower * dx * dy
                        }
                    }
                    let o = j * stride
                    eg[o] = gmx.sum(); eg[o + 1] = gmy.sum()
                    eg[o + 2] = gca.sum(); eg[o + 3] = gcb.sum(); eg[o + 4] = gcc.sum()
                    eg[o + 5] = gop.sum(); eg[o + 6] = gr.sum(); eg[o + 7] = gg.sum(); eg[o + 8] = gb.sum()
                    for ch in 0..<e { eg[o + entryGradientBase + ch] = gE[ch].sum() }
                    jl -= 1
                }
            }
        }
    }}}}}}}}}}
    // Deterministic reduction: entries in tile order, then list order.
    let n = records.count / recordStride
    grads.reset(count: n, extraChannels: e)
    entryGradients.withUnsafeBufferPointer { eg in
    binning.entries.withUnsafeBufferPointer { entries in
    grads.mean2D.withUnsafeMutableBufferPointer { mean2D in
    grads.conic.withUnsafeMutableBufferPointer { conic in
    grads.opacity.withUnsafeMutableBufferPointer { opacity in
    grads.color.withUnsafeMutableBufferPointer { color in
    grads.extras.withUnsafeMutableBufferPointer { extrasGrad in
        for j in 0..<entryCount {
            let i = Int(entries[j]), o = j * stride
            mean2D[2 * i] += eg[o]; mean2D[2 * i + 1] += eg[o + 1]
            conic[3 * i] += eg[o + 2]; conic[3 * i + 1] += eg[o + 3]; conic[3 * i + 2] += eg[o + 4]
            opacity[i] += eg[o + 5]
            color[3 * i] += eg[o + 6]; color[3 * i + 1] += eg[o + 7]; color[3 * i + 2] += eg[o + 8]
            for ch in 0..<e { extrasGrad[i * e + ch] += eg[o + entryGradientBase + ch] }
        }
    }}}}}}}
}

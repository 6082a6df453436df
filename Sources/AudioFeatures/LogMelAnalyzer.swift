import CFFTW3f
import Foundation

/// Computes one log-mel feature frame from one window of samples: Hann window → zero-pad to the FFT
/// size → real FFT (FFTW, single precision) → power → mel filters → `max(0, 1 + dB/|floor|)`.
///
/// Immutable and shareable: it holds the window, the filters and one FFTW plan. Each caller (thread,
/// stream) owns a `Workspace` with FFTW-aligned buffers; `fftwf_execute_dft_r2c` on such buffers is
/// thread-safe, and every frame is computed by the same code on the same values, so batch and
/// streaming results are bit-identical.
public final class LogMelAnalyzer: @unchecked Sendable {
    public let settings: FeatureSettings
    public let filterBank: MelFilterBank
    /// Periodic Hann window, `[windowLength]`: `w[n] = 0.5 − 0.5·cos(2πn / windowLength)`.
    let window: [Float]
    private let plan: fftwf_plan

    /// Serialises FFTW planning, which (unlike execution) is not thread-safe.
    private static let planLock = NSLock()

    public init(settings: FeatureSettings = .standard) throws {
        try settings.validate()
        self.settings = settings
        let n = settings.windowLength
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        // Power normalised by (Σw)²: a sine of amplitude A at a bin centre gives A²/4 in that bin.
        let windowSum = window.reduce(0, +)
        filterBank = MelFilterBank(settings: settings, scale: 1 / (windowSum * windowSum))
        let size = settings.fftSize
        let input = fftwf_alloc_real(size)!, output = fftwf_alloc_complex(size / 2 + 1)!
        defer { fftwf_free(input); fftwf_free(output) }
        // FFTW_ESTIMATE: deterministic plan choice (no timing), so results repeat run to run.
        let flags = UInt32(FFTW_ESTIMATE) | UInt32(FFTW_PRESERVE_INPUT)
        Self.planLock.lock()
        let made = fftwf_plan_dft_r2c_1d(Int32(size), input, output, flags)
        Self.planLock.unlock()
        guard let made else { throw FeatureError.fftPlanFailed(size: size) }
        plan = made
    }

    deinit {
        Self.planLock.lock()
        fftwf_destroy_plan(plan)
        Self.planLock.unlock()
    }

    /// Per-caller scratch buffers (FFTW-aligned). Not shareable between threads.
    public final class Workspace {
        let input: UnsafeMutablePointer<Float>
        let spectrum: UnsafeMutablePointer<fftwf_complex>
        let power: UnsafeMutablePointer<Float>
        let size: Int

        public init(fftSize: Int) {
            size = fftSize
            input = fftwf_alloc_real(fftSize)!
            input.initialize(repeating: 0, count: fftSize)
            spectrum = fftwf_alloc_complex(fftSize / 2 + 1)!
            power = .allocate(capacity: fftSize / 2 + 1)
        }

        deinit {
            fftwf_free(input)
            fftwf_free(spectrum)
            power.deallocate()
        }
    }

    /// A workspace sized for this analyzer.
    public func makeWorkspace() -> Workspace { Workspace(fftSize: settings.fftSize) }

    /// Computes feature frame `frame` of a signal: window samples `[hop·frame − L/2, hop·frame − L/2 + L)`
    /// taken from `samples`, whose element 0 is signal sample `offset`; indices outside
    /// `[0, signalLength)` (in signal coordinates) and outside `samples` read as 0.
    /// Writes `C = melBands` values to `out`.
    ///
    /// - Parameters:
    ///   - samples: a stretch of the signal, 16 kHz mono Float in [-1, 1].
    ///   - offset: signal index of `samples[0]`.
    ///   - signalLength: total signal length if known (`Int.max` while streaming).
    func computeFrame(_ frame: Int, samples: UnsafeBufferPointer<Float>, offset: Int, signalLength: Int,
                      workspace: Workspace, out: UnsafeMutablePointer<Float>) {
        let length = settings.windowLength
        let start = frame * settings.hopLength - length / 2
        let input = workspace.input
        let available = min(samples.count + offset, signalLength)
        window.withUnsafeBufferPointer { w in
            for n in 0..<length {
                let s = start + n
                let x: Float = (s >= offset && s < available) ? samples[s - offset] : 0
                input[n] = x * w[n]
            }
        }
        // input[length ..< fftSize] stays zero from the workspace initialisation.
        fftwf_execute_dft_r2c(plan, input, workspace.spectrum)
        let bins = settings.fftSize / 2 + 1
        let power = workspace.power
        let spectrum = UnsafeMutableRawPointer(workspace.spectrum).assumingMemoryBound(to: Float.self)
        for k in 0..<bins {
            let re = spectrum[2 * k], im = spectrum[2 * k + 1]
            power[k] = re * re + im * im
        }
        let inverseFloor = 1 / -settings.floorDecibels
        for (b, band) in filterBank.bands.enumerated() {
            var sum: Float = 0
            band.weights.withUnsafeBufferPointer { w in
                for k in 0..<w.count { sum += w[k] * power[band.firstBin + k] }
            }
            let decibels = 10 * log10f(sum + 1e-12)
            out[b] = max(0, 1 + decibels * inverseFloor)
        }
    }
}
